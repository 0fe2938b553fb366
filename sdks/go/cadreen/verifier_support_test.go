package cadreen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// conditionBound is how long a wait on a condition may take before the test fails: generous, since
// the condition (not the time) is what is asserted.
const conditionBound = 10 * time.Second

// waitFor polls condition until it holds, failing the test after conditionBound.
func waitFor(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(conditionBound)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cadreenProcess is a `cadreen serve` of the test's own, on SQLite in a temporary directory; it can be
// stopped and started again on the same port and database.
type cadreenProcess struct {
	t       *testing.T
	env     []string
	port    int
	baseURL string
	cmd     *exec.Cmd
	exited  chan struct{}
	output  *bytes.Buffer
}

const testAdminToken = "go-verifier-admin-token-0123456789"
const testVerifierToken = "go-verifier-token-0123456789abcdef"

// startCadreen initialises a database and serves it; extra sets more CADREEN_* variables.
func startCadreen(t *testing.T, extra ...string) *cadreenProcess {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(),
		"CADREEN_DATABASE_URL=sqlite:"+filepath.Join(dir, "cadreen.db"),
		"CADREEN_ADMIN_TOKEN="+testAdminToken,
		"CADREEN_VERIFIER_TOKENS="+testVerifierToken,
		"CADREEN_LOG_LEVEL=warn",
	)
	env = append(env, extra...)
	init := exec.Command("node", cliPath(t), "init", "--json")
	init.Env = env
	if output, err := init.CombinedOutput(); err != nil {
		t.Fatalf("cadreen init: %v\n%s", err, output)
	}
	server := &cadreenProcess{t: t, env: env}
	for attempt := 1; ; attempt++ {
		server.port = freePort(t)
		server.baseURL = fmt.Sprintf("http://127.0.0.1:%d", server.port)
		if server.start() {
			break
		}
		if attempt == 5 {
			t.Fatalf("cadreen serve did not start:\n%s", server.output)
		}
	}
	t.Cleanup(server.stop)
	return server
}

func cliPath(t *testing.T) string {
	path := filepath.Join(repoRoot(t), "dist", "cli", "main.js")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing: run `npm run build` first", path)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

// start runs the server on its port and waits until it answers; false when it exited first (the port
// was taken meanwhile).
func (s *cadreenProcess) start() bool {
	s.t.Helper()
	s.output = &bytes.Buffer{}
	s.cmd = exec.Command("node", cliPath(s.t), "serve", "--port", strconv.Itoa(s.port), "--host", "127.0.0.1")
	s.cmd.Env = s.env
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return false
		default:
		}
		if response, err := http.Get(s.baseURL + "/livez"); err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("cadreen serve did not answer within a minute:\n%s", s.output)
	return false
}

// stop ends the server (SIGTERM) and waits for it.
func (s *cadreenProcess) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		<-s.exited
	}
}

// restart starts the server again on the same port and database.
func (s *cadreenProcess) restart() {
	s.t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		if s.start() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("cadreen serve did not restart:\n%s", s.output)
}

// admin sends one call with the admin token and decodes the JSON answer into out (when not nil).
func admin(t *testing.T, baseURL, method, path string, body, out interface{}) {
	t.Helper()
	status, data := call(t, baseURL, testAdminToken, method, path, body)
	if status >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, status, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}

// call sends one call with token and returns the status and body.
func call(t *testing.T, baseURL, token, method, path string, body interface{}) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		payload, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(payload)
	}
	request, err := http.NewRequest(method, baseURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	data, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, data
}

// testWorkspace is a workspace of a test's own with keys in it.
type testWorkspace struct {
	t       *testing.T
	baseURL string
	id      string
	keys    map[string]createdKey
}

type createdKey struct{ id, token string }

// newWorkspace creates a workspace whose keys each have limit units per window.
func newWorkspace(t *testing.T, baseURL string, limit, windowSeconds int, extra map[string]interface{}) *testWorkspace {
	t.Helper()
	body := map[string]interface{}{
		"name":       fmt.Sprintf("go-verifier-%d", time.Now().UnixNano()),
		"rate_limit": map[string]int{"limit": limit, "window_seconds": windowSeconds},
	}
	for name, value := range extra {
		body[name] = value
	}
	var workspace struct {
		ID string `json:"id"`
	}
	admin(t, baseURL, http.MethodPost, "/api/v1/maas/workspaces", body, &workspace)
	return &testWorkspace{t: t, baseURL: baseURL, id: workspace.ID, keys: map[string]createdKey{}}
}

func (w *testWorkspace) client() *Client {
	return NewClient(CadreenConfig{APIKey: testAdminToken, BaseURL: w.baseURL, WorkspaceID: w.id, MaxRetries: Int(0)})
}

// key creates a key named name (once) and returns it.
func (w *testWorkspace) key(name string) createdKey {
	w.t.Helper()
	if key, ok := w.keys[name]; ok {
		return key
	}
	created, err := w.client().APIKeys.Create(context.Background(), CreateAPIKeyParams{Name: name})
	if err != nil {
		w.t.Fatal(err)
	}
	key := createdKey{id: created.Metadata.ID, token: created.Spec.Token}
	w.keys[name] = key
	return key
}

func (w *testWorkspace) revoke(name string) {
	w.t.Helper()
	if _, err := w.client().APIKeys.Revoke(context.Background(), w.keys[name].id); err != nil {
		w.t.Fatal(err)
	}
}

func (w *testWorkspace) rotate(name string) {
	w.t.Helper()
	if _, err := w.client().APIKeys.Rotate(context.Background(), w.keys[name].id, nil); err != nil {
		w.t.Fatal(err)
	}
}

// newestEventID opens the event stream directly (admin token, no Last-Event-ID) and reads the id of
// the newest change the server holds from its ready event.
func newestEventID(t *testing.T, baseURL string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), conditionBound)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/cadreen/keys/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Authorization", "Bearer "+testAdminToken)
	request.Header.Set("Accept", "text/event-stream")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %d", response.StatusCode)
	}
	reader := bufio.NewReader(response.Body)
	event := ""
	for {
		line, err := reader.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream ended before ready: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "event:") {
			event = strings.TrimSpace(line[len("event:"):])
		}
		if strings.HasPrefix(line, "data:") && event == "ready" {
			var ready struct {
				LastEventID int64 `json:"last_event_id"`
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(line[len("data:"):])), &ready); err != nil {
				t.Fatal(err)
			}
			return ready.LastEventID
		}
	}
}

// waitCaughtUp waits until v has applied every change the server holds now.
func waitCaughtUp(t *testing.T, v *Verifier, baseURL string) {
	t.Helper()
	newest := newestEventID(t, baseURL)
	waitFor(t, fmt.Sprintf("the verifier to apply event %d", newest), func() bool { return v.LastEventID() >= newest })
}

// Proxy states, as sdks/conformance/verifier-cases.json names them.
const (
	proxyOpen      = "open"
	proxyStreamCut = "stream_cut"
	proxyDown      = "down"
)

// verifierProxy forwards to a Cadreen server, counts verify and lease calls, and can cut the event
// stream or everything.
type verifierProxy struct {
	*httptest.Server
	mu      sync.Mutex
	state   string
	counts  map[string]int
	streams map[*http.Request]context.CancelFunc
}

func newVerifierProxy(t *testing.T, target string) *verifierProxy {
	t.Helper()
	upstream, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	forward := httputil.NewSingleHostReverseProxy(upstream)
	forward.Transport = transport
	forward.FlushInterval = -1
	forward.ErrorLog = nil
	forward.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) }
	p := &verifierProxy{state: proxyOpen, counts: map[string]int{}, streams: map[*http.Request]context.CancelFunc{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := routeOf(r)
		p.mu.Lock()
		p.counts[route]++
		state := p.state
		if state == proxyDown || (state == proxyStreamCut && route == "events") {
			p.mu.Unlock()
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if route == "events" {
			ctx, cancel := context.WithCancel(r.Context())
			r = r.WithContext(ctx)
			p.streams[r] = cancel
			defer func() {
				p.mu.Lock()
				delete(p.streams, r)
				p.mu.Unlock()
				cancel()
			}()
		}
		p.mu.Unlock()
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		p.setState(proxyDown)
		p.Close()
		transport.CloseIdleConnections()
	})
	return p
}

func routeOf(r *http.Request) string {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/cadreen/keys/verify":
		return "verify"
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/cadreen/keys/leases":
		return "leases"
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/cadreen/keys/events":
		return "events"
	}
	return "other"
}

// setState switches the proxy; leaving open ends every event stream it carries.
func (p *verifierProxy) setState(state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = state
	if state != proxyOpen {
		for _, cancel := range p.streams {
			cancel()
		}
	}
}

// count is how many calls of route the proxy has received so far.
func (p *verifierProxy) count(route string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[route]
}

// events records what a verifier reports through OnEvent.
type events struct {
	mu     sync.Mutex
	counts map[string]int
}

func (e *events) record(event VerifierEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.counts == nil {
		e.counts = map[string]int{}
	}
	e.counts[event.Type]++
}

func (e *events) count(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[kind]
}

// cadreenApp serves the conformance app: GET / behind the middleware answers what it set.
func cadreenApp(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	app := httptest.NewServer(Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]interface{}{
			"cadreen": map[string]string{"workspace_id": caller.WorkspaceID, "key_id": caller.KeyID, "status": caller.Status},
		})
	})))
	t.Cleanup(app.Close)
	return app
}

// appResponse is what the app answered one request with.
type appResponse struct {
	status     int
	retryAfter string
	body       map[string]interface{}
}

func (a appResponse) errorCode() string {
	if e, ok := a.body["error"].(map[string]interface{}); ok {
		code, _ := e["code"].(string)
		return code
	}
	return ""
}

// get sends GET target with an Authorization header (none when authorization is nil).
func get(t *testing.T, target string, authorization *string) appResponse {
	t.Helper()
	request, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != nil {
		request.Header.Set("Authorization", *authorization)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	var body map[string]interface{}
	_ = json.NewDecoder(response.Body).Decode(&body)
	return appResponse{status: response.StatusCode, retryAfter: response.Header.Get("Retry-After"), body: body}
}
