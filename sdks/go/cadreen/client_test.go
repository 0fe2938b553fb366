package cadreen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewClientReadsTheEnvironmentAndRefusesToStartWithoutAKey(t *testing.T) {
	t.Setenv("CADREEN_API_KEY", "")
	if _, err := NewClientE(CadreenConfig{}); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("want ErrNoAPIKey, got %v", err)
	}
	t.Setenv("CADREEN_API_KEY", "sk_cadreen_env")
	t.Setenv("CADREEN_BASE_URL", "http://127.0.0.1:9/")
	client, err := NewClientE(CadreenConfig{})
	if err != nil || client.apiKey != "sk_cadreen_env" || client.baseURL != "http://127.0.0.1:9" {
		t.Fatalf("got %+v, %v", client, err)
	}
}

func TestErrorCodesMatchTheServerRegistry(t *testing.T) {
	source, err := os.ReadFile(filepath.Join(repoRoot(t), "src", "core", "errors.ts"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(source)
	registry := text[strings.Index(text, "ERROR_CODES = ["):strings.Index(text, "] as const")]
	var codes []string
	for _, m := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(registry, -1) {
		codes = append(codes, m[1])
	}
	if !reflect.DeepEqual(codes, ErrorCodes) {
		t.Fatalf("server %v, SDK %v", codes, ErrorCodes)
	}
	for _, code := range ErrorCodes {
		if _, ok := familyOf[code]; !ok {
			t.Errorf("%s has no family", code)
		}
	}
}

func TestErrorsMatchWithErrorsAsAndTheFamilyHelpers(t *testing.T) {
	err := error(errorFromResponse(429, []byte(`{"error":{"code":"rate_limited","message":"slow down","request_id":"req_1"}}`), 7))
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Code != "rate_limited" || apiErr.RequestID != "req_1" || apiErr.RetryAfter != 7 {
		t.Fatalf("got %+v", apiErr)
	}
	if !IsRateLimited(err) || IsNotFound(err) {
		t.Fatal("family helpers disagree")
	}
	if got := errorFromResponse(502, []byte("<html>"), 0); got.Code != "internal_error" || got.Family() != FamilyInternal {
		t.Fatalf("an unparsable 5xx should be internal, got %+v", got)
	}
}

func TestBackoffGrowsAndStaysBounded(t *testing.T) {
	for attempt := 0; attempt < 10; attempt++ {
		base := 0.5 * float64(int(1)<<attempt)
		if base > 8 {
			base = 8
		}
		got := backoff(attempt).Seconds()
		if got < base*0.75 || got > base*1.25 {
			t.Fatalf("attempt %d: %v outside ±25%% of %v", attempt, got, base)
		}
	}
	if parseRetryAfter("3") != 3 || parseRetryAfter("soon") != 0 || parseRetryAfter("") != 0 {
		t.Fatal("Retry-After parsing")
	}
}

func TestRetryDelayHonoursRetryAfterUpToTheCapAndRetriesA408OnlyWhenIdempotent(t *testing.T) {
	for _, status := range []int{429, 503} {
		if wait, ok := retryDelay(status, http.MethodPost, 5, 0); !ok || wait != 5*time.Second {
			t.Fatalf("%d with Retry-After 5: got %v, %v", status, wait, ok)
		}
		if wait, ok := retryDelay(status, http.MethodGet, 60, 0); !ok || wait != MaxRetryAfter {
			t.Fatalf("%d with Retry-After 60: got %v, %v", status, wait, ok)
		}
		if _, ok := retryDelay(status, http.MethodGet, 61, 0); ok {
			t.Fatalf("%d with Retry-After 61 should not be waited out", status)
		}
		if wait, ok := retryDelay(status, http.MethodGet, 0, 0); !ok || wait > 625*time.Millisecond {
			t.Fatalf("%d without Retry-After: got %v, %v", status, wait, ok)
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		if _, ok := retryDelay(408, method, 0, 0); !ok {
			t.Fatalf("408 on %s should be retried", method)
		}
	}
	if _, ok := retryDelay(408, http.MethodPost, 0, 0); ok {
		t.Fatal("408 on POST should not be retried")
	}
	for _, status := range []int{400, 403, 405, 409, 414, 431, 500} {
		if _, ok := retryDelay(status, http.MethodGet, 0, 0); ok {
			t.Fatalf("%d should not be retried", status)
		}
	}
}

func TestRetriesA429AfterRetryAfterThenSucceeds(t *testing.T) {
	var calls int32
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if atomic.AddInt32(&calls, 1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down","request_id":"req_2"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok","workspace_id":"ws_1","key_id":"key_1"}`))
	}))
	defer stub.Close()
	started := time.Now()
	health, err := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL}).Health(context.Background())
	if err != nil || health.Status != "ok" || calls != 2 {
		t.Fatalf("got %+v, %v after %d calls", health, err, calls)
	}
	if time.Since(started) < 900*time.Millisecond {
		t.Fatal("did not wait for Retry-After")
	}
}

func TestNeverRetriesACreateAfterANetworkFailureButRetriesAList(t *testing.T) {
	var calls int32
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt32(&calls, 1)
		hijacker, _ := w.(http.Hijacker)
		connection, _, _ := hijacker.Hijack()
		connection.Close() // the request arrived; the answer never comes
	}))
	defer stub.Close()
	client := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL, MaxRetries: Int(2)})
	if _, err := client.APIKeys.Create(context.Background(), CreateAPIKeyParams{Name: "once"}); !IsConnection(err) {
		t.Fatalf("want a connection error, got %v", err)
	}
	if calls != 1 {
		t.Fatalf("create was sent %d times", calls)
	}
	atomic.StoreInt32(&calls, 0)
	if _, err := client.APIKeys.List(context.Background(), ListAPIKeysParams{}); !IsConnection(err) {
		t.Fatalf("want a connection error, got %v", err)
	}
	if calls != 3 {
		t.Fatalf("list was sent %d times, want 3", calls)
	}
}

func TestListAutoPagingFollowsCursors(t *testing.T) {
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") == "" {
			_, _ = w.Write([]byte(`{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}],"pagination":{"nextCursor":"c1","total":3}}`))
			return
		}
		_, _ = w.Write([]byte(`{"items":[{"metadata":{"name":"c"}}],"pagination":{"total":3}}`))
	}))
	defer stub.Close()
	it := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL}).APIKeys.ListAutoPaging(context.Background(), ListAPIKeysParams{Limit: 2})
	var names []string
	for it.Next() {
		names = append(names, it.Current().Metadata.Name)
	}
	if it.Err() != nil || strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("got %v, %v", names, it.Err())
	}
}
