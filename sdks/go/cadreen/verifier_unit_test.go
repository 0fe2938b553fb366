package cadreen

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// makeKey builds a well-formed key for prefix from a 30-character base62 body.
func makeKey(prefix, body string) string {
	value := crc32.ChecksumIEEE([]byte(prefix + body))
	checksum := make([]byte, keyChecksumLength)
	for i := keyChecksumLength - 1; i >= 0; i-- {
		checksum[i] = base62Digits[value%62]
		value /= 62
	}
	return prefix + body + string(checksum)
}

func TestKeyFormatIsCheckedAsTheServerChecksIt(t *testing.T) {
	valid := makeKey(DefaultKeyPrefix, "0123456789abcdefghijABCDEFGHIJ")
	if valid != "sk_cadreen_0123456789abcdefghijABCDEFGHIJ2pgvM0" {
		t.Fatalf("checksum differs from the fixture's: %s", valid)
	}
	if !HasValidKeyFormat(valid, DefaultKeyPrefix) || !HasValidKeyFormat(makeKey("sk_acme_", strings.Repeat("z", 30)), "sk_acme_") {
		t.Fatal("a well-formed key was refused")
	}
	for _, bad := range []string{
		"", "sk_cadreen_short", valid[:len(valid)-1] + "1", valid + "0", "pk_other_0123456789abcdefghijABCDEFGHIJ2pgvM0",
		strings.Replace(valid, "0123", "01-3", 1), strings.Replace(valid, "M0", "M!", 1),
	} {
		if HasValidKeyFormat(bad, DefaultKeyPrefix) {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestTheKeyIsTakenFromABearerHeaderOrGivenBare(t *testing.T) {
	for input, want := range map[string]string{
		"Bearer sk_cadreen_x": "sk_cadreen_x", "bearer  sk_cadreen_x ": "sk_cadreen_x", "sk_cadreen_x": "sk_cadreen_x", "": "", "Bearer ": "",
	} {
		if got := bearerKey(input); got != want {
			t.Errorf("bearerKey(%q) = %q, want %q", input, got, want)
		}
	}
}

func TestALeaseIsATenthOfTheLimitAndNeverMoreThanWasLeft(t *testing.T) {
	for _, c := range []struct{ limit, remaining, want int }{{1000, 999, 100}, {1000, 40, 40}, {3, 2, 1}, {100, 0, 1}, {5, 5, 1}} {
		entry := &cacheEntry{limit: c.limit, remaining: c.remaining}
		if got := entry.leaseSize(); got != c.want {
			t.Errorf("limit %d, remaining %d: lease %d, want %d", c.limit, c.remaining, got, c.want)
		}
	}
}

func TestNewVerifierWantsAToken(t *testing.T) {
	t.Setenv("CADREEN_VERIFIER_TOKEN", "")
	if _, err := NewVerifierE(VerifierConfig{BaseURL: "http://127.0.0.1:9"}); err != ErrNoVerifierToken {
		t.Fatalf("want ErrNoVerifierToken, got %v", err)
	}
}

// scriptedCadreen answers verify for any key (valid, in workspace ws_1) and serves each event-stream
// connection with the next script: a function writing to the stream until it returns (hungUp closes
// when the client goes away).
type scriptedCadreen struct {
	*httptest.Server
	mu          sync.Mutex
	verifies    int
	lastEventID []string
	// verifyGate, when set, holds every verify answer until it is closed; verifyEntered hears each arrival.
	verifyGate    chan struct{}
	verifyEntered chan struct{}
	scripts       chan func(w http.ResponseWriter, flush func(), hungUp <-chan struct{})
}

func newScriptedCadreen(t *testing.T) *scriptedCadreen {
	s := &scriptedCadreen{scripts: make(chan func(http.ResponseWriter, func(), <-chan struct{}), 10)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/cadreen/keys/verify":
			var body struct{ Key string }
			_ = json.NewDecoder(r.Body).Decode(&body)
			s.mu.Lock()
			s.verifies++
			s.mu.Unlock()
			if s.verifyGate != nil {
				s.verifyEntered <- struct{}{}
				<-s.verifyGate
			}
			_ = json.NewEncoder(w).Encode(map[string]interface{}{
				"valid": true, "workspace_id": "ws_1", "key_id": "key_" + body.Key[len(body.Key)-6:], "status": "active",
				"ratelimit": map[string]int{"limit": 1000, "remaining": 999, "reset": 60}, "expires_at": nil, "grace_until": nil,
			})
		case "/api/v1/cadreen/keys/leases":
			var body struct {
				KeyID string `json:"key_id"`
				Units int    `json:"units"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			_ = json.NewEncoder(w).Encode(map[string]interface{}{"key_id": body.KeyID, "granted": body.Units, "limit": 1000, "reset": 60})
		case "/api/v1/cadreen/keys/events":
			s.mu.Lock()
			s.lastEventID = append(s.lastEventID, r.Header.Get("Last-Event-ID"))
			s.mu.Unlock()
			var script func(http.ResponseWriter, func(), <-chan struct{})
			select {
			case script = <-s.scripts:
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			flush := func() { w.(http.Flusher).Flush() }
			flush()
			script(w, flush, r.Context().Done())
		}
	}))
	t.Cleanup(func() {
		s.CloseClientConnections()
		s.Close()
	})
	return s
}

func (s *scriptedCadreen) verifyCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verifies
}

func (s *scriptedCadreen) resumedFrom() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lastEventID...)
}

func TestTheStreamDropsChangedKeysResetsAndResumesFromTheLastEventAfterSilence(t *testing.T) {
	server := newScriptedCadreen(t)
	events := make(chan string, 20)
	next := make(chan string)
	done := make(chan struct{})
	defer close(done)
	// The first connection plays what the test sends on next, then falls silent without closing.
	server.scripts <- func(w http.ResponseWriter, flush func(), hungUp <-chan struct{}) {
		for {
			select {
			case frame := <-next:
				fmt.Fprint(w, frame)
				flush()
			case <-done:
				return
			case <-hungUp:
				return
			}
		}
	}
	server.scripts <- func(w http.ResponseWriter, flush func(), hungUp <-chan struct{}) {
		fmt.Fprint(w, "event: ready\ndata: {\"last_event_id\": 12}\n\n: heartbeat\n\n")
		flush()
		select {
		case <-done:
		case <-hungUp:
		}
	}
	verifier := NewVerifier(VerifierConfig{BaseURL: server.URL, Token: "verifier-token-0123456789", OnEvent: func(e VerifierEvent) { events <- e.Type }})
	defer verifier.Close()
	next <- "retry: 1000\nevent: ready\ndata: {\"last_event_id\": 7}\n\n"
	if got := <-events; got != VerifierConnected {
		t.Fatalf("first event %s", got)
	}
	a, b := makeKey(DefaultKeyPrefix, strings.Repeat("a", 30)), makeKey(DefaultKeyPrefix, strings.Repeat("b", 30))
	verify := func(key string) {
		t.Helper()
		if result, err := verifier.Verify(context.Background(), key); err != nil || !result.Valid {
			t.Fatalf("verify: %+v, %v", result, err)
		}
	}
	verify(a)
	verify(b)
	verify(a)
	if server.verifyCalls() != 2 {
		t.Fatalf("%d verify calls, want 2", server.verifyCalls())
	}

	next <- fmt.Sprintf("id: 8\nevent: key.revoked\ndata: {\"key_id\": \"key_%s\", \"workspace_id\": \"ws_1\"}\n\n", a[len(a)-6:])
	waitFor(t, "event 8", func() bool { return verifier.LastEventID() == 8 })
	verify(b)
	verify(a)
	if server.verifyCalls() != 3 {
		t.Fatalf("after key.revoked of a: %d verify calls, want 3 (a asked again, b still cached)", server.verifyCalls())
	}

	next <- "id: 9\nevent: workspace.updated\ndata: {\"workspace_id\": \"ws_1\"}\n\n"
	waitFor(t, "event 9", func() bool { return verifier.LastEventID() == 9 })
	if verifier.CacheLen() != 0 {
		t.Fatalf("workspace.updated left %d entries", verifier.CacheLen())
	}
	verify(a)
	next <- "id: 10\nevent: reset\ndata: {}\n\n"
	if got := <-events; got != VerifierReset {
		t.Fatalf("want reset, got %s", got)
	}
	if verifier.CacheLen() != 0 {
		t.Fatalf("reset left %d entries", verifier.CacheLen())
	}

	// Silence: no heartbeat for 3 s counts as a cut; the verifier reconnects from event 10.
	if got := <-events; got != VerifierDisconnected {
		t.Fatalf("want disconnected after silence, got %s", got)
	}
	if got := <-events; got != VerifierConnected {
		t.Fatalf("want connected again, got %s", got)
	}
	if resumed := server.resumedFrom(); len(resumed) != 2 || resumed[0] != "" || resumed[1] != "10" {
		t.Fatalf("Last-Event-ID of each connection: %q, want [\"\" \"10\"]", resumed)
	}
}

func TestTheCacheKeepsTheMostRecentlyUsedKeysAndNothingIsTrustedAfterClose(t *testing.T) {
	server := newScriptedCadreen(t)
	server.scripts <- func(w http.ResponseWriter, flush func(), hungUp <-chan struct{}) {
		fmt.Fprint(w, "event: ready\ndata: {\"last_event_id\": 1}\n\n")
		flush()
		<-hungUp
	}
	verifier := NewVerifier(VerifierConfig{BaseURL: server.URL, Token: "verifier-token-0123456789", CacheSize: 2})
	waitFor(t, "the verifier to connect", verifier.Connected)
	keys := []string{makeKey(DefaultKeyPrefix, strings.Repeat("a", 30)), makeKey(DefaultKeyPrefix, strings.Repeat("b", 30)), makeKey(DefaultKeyPrefix, strings.Repeat("c", 30))}
	for _, key := range []string{keys[0], keys[1], keys[0], keys[2]} { // b is the least recently used when c arrives
		if result, err := verifier.Verify(context.Background(), key); err != nil || !result.Valid {
			t.Fatalf("verify: %+v, %v", result, err)
		}
	}
	if verifier.CacheLen() != 2 || server.verifyCalls() != 3 {
		t.Fatalf("%d cached, %d verify calls; want 2 and 3", verifier.CacheLen(), server.verifyCalls())
	}
	result, _ := verifier.Verify(context.Background(), keys[0])
	result.RateLimit.Remaining = -1 // a caller's copy
	verifier.Verify(context.Background(), keys[1])
	if server.verifyCalls() != 4 {
		t.Fatalf("a stayed cached and b was evicted: want 4 verify calls, got %d", server.verifyCalls())
	}
	if again, _ := verifier.Verify(context.Background(), keys[1]); again.RateLimit.Remaining < 0 {
		t.Fatal("a caller's change reached the cache")
	}
	verifier.Close()
	verifier.Verify(context.Background(), keys[1])
	if server.verifyCalls() != 5 {
		t.Fatalf("after Close every verification asks the server: %d verify calls, want 5", server.verifyCalls())
	}
}

func TestCallersMissingTheSameKeyTogetherShareOneVerifyCall(t *testing.T) {
	server := newScriptedCadreen(t)
	server.verifyGate, server.verifyEntered = make(chan struct{}), make(chan struct{}, 8)
	server.scripts <- func(w http.ResponseWriter, flush func(), hungUp <-chan struct{}) {
		fmt.Fprint(w, "event: ready\ndata: {\"last_event_id\": 1}\n\n")
		flush()
		<-hungUp
	}
	verifier := NewVerifier(VerifierConfig{BaseURL: server.URL, Token: "verifier-token-0123456789"})
	defer verifier.Close()
	waitFor(t, "the verifier to connect", verifier.Connected)
	key := makeKey(DefaultKeyPrefix, strings.Repeat("s", 30))
	results := make(chan *Verification, 8)
	verify := func() {
		result, err := verifier.Verify(context.Background(), key)
		if err != nil {
			t.Error(err)
		}
		results <- result
	}
	go verify()
	<-server.verifyEntered // the first caller is asking; the others miss meanwhile (or hit, if late)
	for i := 0; i < 7; i++ {
		go verify()
	}
	close(server.verifyGate)
	for i := 0; i < 8; i++ {
		if result := <-results; result == nil || !result.Valid {
			t.Fatalf("caller %d: %+v", i, result)
		}
	}
	if server.verifyCalls() != 1 {
		t.Fatalf("%d verify calls for one key missed by 8 callers at once, want 1", server.verifyCalls())
	}
}
