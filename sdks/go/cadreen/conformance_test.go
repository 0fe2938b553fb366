package cadreen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// conformance is sdks/conformance/cases.json.
type conformance struct {
	Callers map[string]map[string]interface{} `json:"callers"`
	Steps   []struct {
		Name   string                 `json:"name"`
		As     string                 `json:"as"`
		Call   string                 `json:"call"`
		Args   map[string]interface{} `json:"args"`
		Expect struct {
			OK     bool                   `json:"ok"`
			Match  interface{}            `json:"match"`
			Absent []string               `json:"absent"`
			Error  map[string]interface{} `json:"error"`
		} `json:"expect"`
		Save map[string]string `json:"save"`
	} `json:"steps"`
	Canned []struct {
		Name string `json:"name"`
		cannedAnswer
		Expect cannedError `json:"expect"`
	} `json:"canned"`
	Retries []struct {
		Name       string                 `json:"name"`
		Call       string                 `json:"call"`
		Args       map[string]interface{} `json:"args"`
		MaxRetries int                    `json:"max_retries"`
		Answers    []cannedAnswer         `json:"answers"`
		Expect     struct {
			Requests int          `json:"requests"`
			MinGapMs *float64     `json:"min_gap_ms"`
			Match    interface{}  `json:"match"`
			Error    *cannedError `json:"error"`
		} `json:"expect"`
	} `json:"retries"`
}

// cannedAnswer is one answer of a stub server.
type cannedAnswer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    interface{}       `json:"body"`
}

// cannedError is the error a canned answer must turn into.
type cannedError struct {
	Code       string `json:"code"`
	Status     int    `json:"status"`
	Family     string `json:"family"`
	RequestID  string `json:"request_id"`
	RetryAfter *int   `json:"retry_after"`
}

// check fails the test unless err is the expected *Error.
func (want cannedError) check(t *testing.T, err error) {
	t.Helper()
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want *Error, got %v", err)
	}
	if apiErr.Code != want.Code || apiErr.Status != want.Status || string(apiErr.Family()) != want.Family ||
		(want.RequestID != "" && apiErr.RequestID != want.RequestID) ||
		(want.RetryAfter != nil && apiErr.RetryAfter != *want.RetryAfter) {
		t.Fatalf("want %+v, got %+v (family %s)", want, apiErr, apiErr.Family())
	}
}

// cannedStub answers the n-th request with answers[n] (the last one again once they run out) and
// records when each request arrived.
func cannedStub(t *testing.T, answers []cannedAnswer) (*httptest.Server, func() []time.Time) {
	t.Helper()
	var mu sync.Mutex
	var received []time.Time
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		answer := answers[len(answers)-1]
		if len(received) < len(answers) {
			answer = answers[len(received)]
		}
		received = append(received, time.Now())
		mu.Unlock()
		for name, value := range answer.Headers {
			w.Header().Set(name, value)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(answer.Status)
		_ = json.NewEncoder(w).Encode(answer.Body)
	}))
	t.Cleanup(stub.Close)
	return stub, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), received...)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadCases(t *testing.T) conformance {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "sdks", "conformance", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases conformance
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// startSeededServer runs sdks/conformance/start-server.mjs and returns its variables; it stops with the test.
func startSeededServer(t *testing.T) map[string]string {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(repoRoot(t), "sdks", "conformance", "start-server.mjs"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start-server.mjs: %v (is node installed and `npm run build` done?)", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("start-server.mjs did not start: %v", err)
	}
	vars := map[string]string{}
	if err := json.Unmarshal([]byte(line), &vars); err != nil {
		t.Fatal(err)
	}
	return vars
}

func substitute(value interface{}, vars map[string]string) interface{} {
	switch v := value.(type) {
	case string:
		if strings.HasPrefix(v, "$repeat:") {
			parts := strings.Split(v, ":")
			n, _ := strconv.Atoi(parts[2])
			return strings.Repeat(parts[1], n)
		}
		if strings.HasPrefix(v, "$") {
			if found, ok := vars[v[1:]]; ok {
				return found
			}
		}
		return v
	case []interface{}:
		out := make([]interface{}, len(v))
		for i, item := range v {
			out[i] = substitute(item, vars)
		}
		return out
	case map[string]interface{}:
		out := map[string]interface{}{}
		for key, item := range v {
			out[key] = substitute(item, vars)
		}
		return out
	}
	return value
}

// asJSON turns an SDK result into the API's JSON shape, as the fixture describes it.
func asJSON(t *testing.T, value interface{}) interface{} {
	t.Helper()
	data, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	var out interface{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func at(value interface{}, path string) interface{} {
	for _, key := range strings.Split(path, ".") {
		object, ok := value.(map[string]interface{})
		if !ok {
			return nil
		}
		value = object[key]
	}
	return value
}

var tokenPattern = regexp.MustCompile(`^sk_cadreen_[0-9A-Za-z]{36}$`)

func match(t *testing.T, actual, expected interface{}, path string) {
	t.Helper()
	switch e := expected.(type) {
	case string:
		switch e {
		case "$present":
			if actual == nil {
				t.Errorf("%s: missing", path)
			}
			return
		case "$token":
			if s, _ := actual.(string); !tokenPattern.MatchString(s) {
				t.Errorf("%s: %v is not a key", path, actual)
			}
			return
		}
	case []interface{}:
		list, _ := actual.([]interface{})
		if len(list) < len(e) {
			t.Errorf("%s: want at least %d items, got %v", path, len(e), actual)
			return
		}
		for i, item := range e {
			match(t, list[i], item, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	case map[string]interface{}:
		object, _ := actual.(map[string]interface{})
		for key, item := range e {
			match(t, object[key], item, path+"."+key)
		}
		return
	}
	if fmt.Sprint(actual) != fmt.Sprint(expected) {
		t.Errorf("%s: want %v, got %v", path, expected, actual)
	}
}

func str(args map[string]interface{}, key string) string {
	s, _ := args[key].(string)
	return s
}

func perform(ctx context.Context, t *testing.T, client *Client, call string, args map[string]interface{}) (interface{}, error) {
	switch call {
	case "health":
		return client.Health(ctx)
	case "verify":
		return client.Verify(ctx, str(args, "key"))
	case "api_keys.create":
		labels := map[string]string{}
		if raw, ok := args["labels"].(map[string]interface{}); ok {
			for k, v := range raw {
				labels[k] = fmt.Sprint(v)
			}
		} else {
			labels = nil
		}
		return client.APIKeys.Create(ctx, CreateAPIKeyParams{Name: str(args, "name"), Description: str(args, "description"), Labels: labels})
	case "api_keys.get":
		include, _ := args["include_info"].(bool)
		return client.APIKeys.Get(ctx, str(args, "id"), include)
	case "api_keys.update":
		params := UpdateAPIKeyParams{}
		if name, ok := args["name"].(string); ok {
			params.Name = &name
		}
		return client.APIKeys.Update(ctx, str(args, "id"), params)
	case "api_keys.rotate":
		var grace *int
		if seconds, ok := args["grace_period_seconds"].(float64); ok {
			grace = Int(int(seconds))
		}
		return client.APIKeys.Rotate(ctx, str(args, "id"), grace)
	case "api_keys.revoke":
		return client.APIKeys.Revoke(ctx, str(args, "id"))
	case "api_keys.list":
		limit, _ := args["limit"].(float64)
		include, _ := args["include_info"].(bool)
		params := ListAPIKeysParams{Limit: int(limit), Prefix: str(args, "prefix"), SortOrder: str(args, "sort_order"), IncludeInfo: include}
		if all, _ := args["all"].(bool); all {
			it := client.APIKeys.ListAutoPaging(ctx, params)
			count := 0
			for it.Next() {
				count++
			}
			return map[string]int{"count": count}, it.Err()
		}
		page, err := client.APIKeys.List(ctx, params)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"items": page.Items, "total": page.Pagination.Total}, nil
	case "workspaces.create":
		return client.Workspaces.Create(ctx, str(args, "name"), "")
	case "workspaces.list":
		it := client.Workspaces.ListAutoPaging(ctx, 0)
		count := 0
		for it.Next() {
			count++
		}
		return map[string]int{"count": count}, it.Err()
	case "members.add":
		return client.Members.Add(ctx, AddMemberParams{WorkspaceID: str(args, "workspace_id"), Email: str(args, "email"), Name: str(args, "name"), Role: str(args, "role")})
	case "members.update":
		return client.Members.Update(ctx, str(args, "profile_id"), UpdateMemberParams{WorkspaceID: str(args, "workspace_id"), Role: str(args, "role")})
	case "members.remove":
		return map[string]interface{}{}, client.Members.Remove(ctx, str(args, "profile_id"), RemoveMemberParams{WorkspaceID: str(args, "workspace_id")})
	case "members.list":
		limit, _ := args["limit"].(float64)
		params := ListMembersParams{WorkspaceID: str(args, "workspace_id"), Limit: int(limit)}
		if all, _ := args["all"].(bool); all {
			it := client.Members.ListAutoPaging(ctx, params)
			count := 0
			for it.Next() {
				count++
			}
			return map[string]int{"count": count}, it.Err()
		}
		page, err := client.Members.List(ctx, params)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"items": page.Members}, nil
	case "me":
		return client.Me(ctx)
	}
	t.Fatalf("unknown call %s", call)
	return nil, nil
}

func TestConformanceAgainstARealServer(t *testing.T) {
	cases := loadCases(t)
	vars := startSeededServer(t)
	ctx := context.Background()
	for _, step := range cases.Steps {
		caller := map[string]interface{}{"api_key": "$" + strings.TrimPrefix(step.As, "key:")}
		if !strings.HasPrefix(step.As, "key:") {
			caller = cases.Callers[step.As]
		}
		resolved := substitute(caller, vars).(map[string]interface{})
		config := CadreenConfig{APIKey: resolved["api_key"].(string), BaseURL: vars["base_url"]}
		if baseURL, ok := resolved["base_url"].(string); ok {
			config.BaseURL = baseURL
		}
		if retries, ok := resolved["max_retries"].(float64); ok {
			config.MaxRetries = Int(int(retries))
		}
		if workspace, ok := resolved["workspace_id"].(string); ok {
			config.WorkspaceID = workspace
		}
		client := NewClient(config)
		args, _ := substitute(step.Args, vars).(map[string]interface{})
		result, err := perform(ctx, t, client, step.Call, args)
		if step.Expect.Error != nil {
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("%s: want error %v, got %v", step.Name, step.Expect.Error, err)
			}
			if apiErr.Code != step.Expect.Error["code"] || float64(apiErr.Status) != step.Expect.Error["status"] || string(apiErr.Family()) != step.Expect.Error["family"] {
				t.Fatalf("%s: want %v, got %s %d %s", step.Name, step.Expect.Error, apiErr.Code, apiErr.Status, apiErr.Family())
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", step.Name, err)
		}
		actual := asJSON(t, result)
		match(t, actual, substitute(step.Expect.Match, vars), step.Name)
		for _, path := range step.Expect.Absent {
			if at(actual, path) != nil {
				t.Errorf("%s: %s should be absent", step.Name, path)
			}
		}
		for name, path := range step.Save {
			vars[name] = fmt.Sprint(at(actual, path))
		}
	}
}

func TestConformanceCannedAnswers(t *testing.T) {
	for _, canned := range loadCases(t).Canned {
		canned := canned
		t.Run(canned.Name, func(t *testing.T) {
			stub, _ := cannedStub(t, []cannedAnswer{canned.cannedAnswer})
			client := NewClient(CadreenConfig{APIKey: "sk_cadreen_canned", BaseURL: stub.URL, MaxRetries: Int(0)})
			_, err := client.Health(context.Background())
			canned.Expect.check(t, err)
		})
	}
}

func TestConformanceRetries(t *testing.T) {
	for _, retry := range loadCases(t).Retries {
		retry := retry
		t.Run(retry.Name, func(t *testing.T) {
			stub, received := cannedStub(t, retry.Answers)
			client := NewClient(CadreenConfig{APIKey: "sk_cadreen_canned", BaseURL: stub.URL, MaxRetries: Int(retry.MaxRetries)})
			result, err := perform(context.Background(), t, client, retry.Call, retry.Args)
			if retry.Expect.Error != nil {
				retry.Expect.Error.check(t, err)
			} else if err != nil {
				t.Fatalf("want success, got %v", err)
			} else {
				match(t, asJSON(t, result), retry.Expect.Match, "result")
			}
			times := received()
			if len(times) != retry.Expect.Requests {
				t.Fatalf("the stub received %d requests, want %d", len(times), retry.Expect.Requests)
			}
			if retry.Expect.MinGapMs != nil {
				if gap := times[1].Sub(times[0]); float64(gap.Milliseconds()) < *retry.Expect.MinGapMs {
					t.Fatalf("retried after %v, want at least %v ms", gap, *retry.Expect.MinGapMs)
				}
			}
		})
	}
}
