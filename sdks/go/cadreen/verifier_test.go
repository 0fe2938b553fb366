package cadreen

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAVerifierTokenMayVerifyLeaseAndSubscribeButNotManageKeys(t *testing.T) {
	server := startCadreen(t)
	workspace := newWorkspace(t, server.baseURL, 1000, 60, nil)
	key := workspace.key("a")
	if status, body := call(t, server.baseURL, testVerifierToken, http.MethodGet, "/api/v1/maas/workspaces/"+workspace.id+"/api-keys", nil); status != http.StatusForbidden || !strings.Contains(string(body), `"auth_forbidden"`) {
		t.Fatalf("listing keys with a verifier token: %d %s", status, body)
	}
	if _, err := NewClient(CadreenConfig{APIKey: testVerifierToken, BaseURL: server.baseURL, WorkspaceID: workspace.id, MaxRetries: Int(0)}).APIKeys.Revoke(context.Background(), key.id); !IsPermissionDenied(err) {
		t.Fatalf("revoking with a verifier token: want auth_forbidden, got %v", err)
	}
	verifier := NewVerifier(VerifierConfig{BaseURL: server.baseURL, Token: testVerifierToken})
	defer verifier.Close()
	waitFor(t, "the verifier to connect", verifier.Connected)
	for i := 0; i < 3; i++ { // a miss, then hits on a lease
		result, err := verifier.Verify(context.Background(), "Bearer "+key.token)
		if err != nil || !result.Valid || result.KeyID != key.id || result.WorkspaceID != workspace.id {
			t.Fatalf("verify %d with a verifier token: %+v, %v", i, result, err)
		}
	}
}

func TestARevocationReachesTheMiddlewareThroughTheEventStream(t *testing.T) {
	server := startCadreen(t)
	// Each key leases a tenth of the tighter of its limit and the workspace's budget: a budget larger
	// than 100 keys' leases.
	budget := map[string]interface{}{"workspace_rate_limit": map[string]int{"limit": 1000000, "window_seconds": 86400}}
	workspace := newWorkspace(t, server.baseURL, 1000, 86400, budget)
	verifier := NewVerifier(VerifierConfig{BaseURL: server.baseURL, Token: testVerifierToken})
	defer verifier.Close()
	app := cadreenApp(t, verifier)
	waitFor(t, "the verifier to connect", verifier.Connected)

	const trials = 100
	latencies := make([]time.Duration, 0, trials)
	for trial := 0; trial < trials; trial++ {
		name := fmt.Sprintf("k%d", trial)
		header := "Bearer " + workspace.key(name).token
		for i := 0; i < 2; i++ { // cached, with a lease: answered from memory
			if got := get(t, app.URL+"/", &header); got.status != http.StatusOK {
				t.Fatalf("trial %d: before the revocation: %d %v", trial, got.status, got.body)
			}
		}
		revoked := time.Now()
		workspace.revoke(name)
		revocation := newestEventID(t, server.baseURL)
		for {
			applied := verifier.LastEventID() >= revocation
			got := get(t, app.URL+"/", &header)
			if got.status == http.StatusUnauthorized {
				if got.errorCode() != "auth_revoked" {
					t.Fatalf("trial %d: refused with %q", trial, got.errorCode())
				}
				latencies = append(latencies, time.Since(revoked))
				break
			}
			if applied {
				t.Fatalf("trial %d: still admitted after the verifier applied the revocation's event %d", trial, revocation)
			}
			if time.Since(revoked) > conditionBound {
				t.Fatalf("trial %d: the revocation never arrived", trial)
			}
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p50, p99, max := latencies[trials/2], latencies[trials*99/100-1], latencies[trials-1]
	t.Logf("revocation seen by a net/http app behind the middleware, %d trials: p50 %v, p99 %v, max %v", trials, p50, p99, max)
	if p99 >= 250*time.Millisecond {
		t.Errorf("p99 %v, want under 250 ms", p99)
	}
}

func TestLeasesNeverAdmitMoreThanTheLimitAcrossThreeVerifiers(t *testing.T) {
	server := startCadreen(t)
	workspace := newWorkspace(t, server.baseURL, 100, 60, nil)
	header := "Bearer " + workspace.key("shared").token
	var admitted, limited int64
	var wg sync.WaitGroup
	for instance := 0; instance < 3; instance++ {
		verifier := NewVerifier(VerifierConfig{BaseURL: server.baseURL, Token: testVerifierToken})
		defer verifier.Close()
		app := cadreenApp(t, verifier)
		waitFor(t, "the verifier to connect", verifier.Connected)
		for worker := 0; worker < 4; worker++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					got := get(t, app.URL+"/", &header)
					switch {
					case got.status == http.StatusOK:
						atomic.AddInt64(&admitted, 1)
					case got.status == http.StatusTooManyRequests && got.errorCode() == "rate_limited" && got.retryAfter != "":
						atomic.AddInt64(&limited, 1)
					default:
						t.Errorf("unexpected answer %d %v", got.status, got.body)
					}
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("3 verifiers, 600 requests on one key limited to 100 per 60 s: %d admitted, %d refused with 429", admitted, limited)
	if admitted > 100 || admitted < 90 {
		t.Fatalf("%d admitted, want between 90 and 100", admitted)
	}
}

func TestWhenCadreenStopsCachedAnswersHoldUntilStaleThenTheMiddlewareAnswers503UnlessFailOpen(t *testing.T) {
	server := startCadreen(t)
	workspace := newWorkspace(t, server.baseURL, 100000, 86400, nil)
	a, b := workspace.key("a"), workspace.key("b")
	const maxStaleness = time.Second
	closed := NewVerifier(VerifierConfig{BaseURL: server.baseURL, Token: testVerifierToken, MaxStaleness: maxStaleness})
	defer closed.Close()
	seen := &events{}
	open := NewVerifier(VerifierConfig{BaseURL: server.baseURL, Token: testVerifierToken, MaxStaleness: maxStaleness, FailOpen: true, OnEvent: seen.record})
	defer open.Close()
	app := cadreenApp(t, closed)
	waitFor(t, "the verifiers to connect", func() bool { return closed.Connected() && open.Connected() })
	headerA, headerB := "Bearer "+a.token, "Bearer "+b.token
	for _, v := range []*Verifier{closed, open} {
		for i := 0; i < 2; i++ { // a miss, then a hit that takes a lease
			if result, err := v.Verify(context.Background(), headerA); err != nil || !result.Valid {
				t.Fatalf("before the stop: %+v, %v", result, err)
			}
		}
	}

	server.stop()
	waitFor(t, "the verifiers to notice", func() bool { return !closed.Connected() && !open.Connected() })
	if got := get(t, app.URL+"/", &headerA); got.status != http.StatusOK {
		t.Fatalf("within MaxStaleness a cached key should be admitted, got %d %v", got.status, got.body)
	}
	if got := get(t, app.URL+"/", &headerB); got.status != http.StatusServiceUnavailable || got.errorCode() != "service_unavailable" || got.retryAfter != "1" {
		t.Fatalf("a key never seen needs the server: want 503 with Retry-After: 1, got %d %q %v", got.status, got.retryAfter, got.body)
	}
	time.Sleep(maxStaleness + 50*time.Millisecond)
	if got := get(t, app.URL+"/", &headerA); got.status != http.StatusServiceUnavailable || got.errorCode() != "service_unavailable" || got.retryAfter != "1" {
		t.Fatalf("past MaxStaleness: want 503 with Retry-After: 1, got %d %q %v", got.status, got.retryAfter, got.body)
	}
	if _, err := closed.Verify(context.Background(), headerA); !IsUnavailable(err) {
		t.Fatalf("past MaxStaleness Verify should fail with service_unavailable, got %v", err)
	}
	warnings := seen.count(VerifierWarning)
	result, err := open.Verify(context.Background(), headerA)
	if err != nil || !result.Valid || result.KeyID != a.id || result.Warning == "" || seen.count(VerifierWarning) <= warnings {
		t.Fatalf("FailOpen should answer from the cache with a warning, got %+v, %v", result, err)
	}
	if _, err := open.Verify(context.Background(), headerB); !IsUnavailable(err) {
		t.Fatalf("FailOpen has nothing cached for b: want service_unavailable, got %v", err)
	}

	server.restart()
	waitFor(t, "the verifiers to reconnect", func() bool { return closed.Connected() && open.Connected() })
	if got := get(t, app.URL+"/", &headerA); got.status != http.StatusOK {
		t.Fatalf("after the restart: %d %v", got.status, got.body)
	}
	workspace.revoke("a")
	waitCaughtUp(t, closed, server.baseURL)
	if got := get(t, app.URL+"/", &headerA); got.status != http.StatusUnauthorized || got.errorCode() != "auth_revoked" {
		t.Fatalf("a revocation after the restart: want 401 auth_revoked, got %d %v", got.status, got.body)
	}
}

func TestAnExhaustedKeyIsRefusedWith429AndRetryAfterWithoutAskingAgain(t *testing.T) {
	server := startCadreen(t)
	workspace := newWorkspace(t, server.baseURL, 20, 3600, nil)
	proxy := newVerifierProxy(t, server.baseURL)
	verifier := NewVerifier(VerifierConfig{BaseURL: proxy.URL, Token: testVerifierToken})
	defer verifier.Close()
	app := cadreenApp(t, verifier)
	waitFor(t, "the verifier to connect", verifier.Connected)
	header := "Bearer " + workspace.key("a").token
	for i := 0; i < 20; i++ {
		if got := get(t, app.URL+"/", &header); got.status != http.StatusOK {
			t.Fatalf("request %d of 20: %d %v", i+1, got.status, got.body)
		}
	}
	got := get(t, app.URL+"/", &header)
	if got.status != http.StatusTooManyRequests || got.errorCode() != "rate_limited" || got.retryAfter == "" || got.retryAfter == "0" {
		t.Fatalf("request 21: want 429 rate_limited with Retry-After, got %d %q %v", got.status, got.retryAfter, got.body)
	}
	calls := proxy.count("verify") + proxy.count("leases")
	if again := get(t, app.URL+"/", &header); again.status != http.StatusTooManyRequests {
		t.Fatalf("request 22: %d", again.status)
	}
	if proxy.count("verify")+proxy.count("leases") != calls {
		t.Fatal("a window known to be spent should be refused from memory")
	}
	// Leases of a tenth of the limit: 1 verify and 2 leases of 2 … never one call per request.
	if proxy.count("leases") > 12 {
		t.Fatalf("%d lease calls for 20 requests", proxy.count("leases"))
	}
}
