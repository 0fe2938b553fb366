package cadreen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// verifierCases is sdks/conformance/verifier-cases.json; its description says how to run it.
type verifierCases struct {
	Defaults struct {
		Verifier  map[string]interface{} `json:"verifier"`
		Workspace caseWorkspace          `json:"workspace"`
	} `json:"defaults"`
	Cases []struct {
		Name      string                 `json:"name"`
		Keys      []string               `json:"keys"`
		Verifier  map[string]interface{} `json:"verifier"`
		Workspace *caseWorkspace         `json:"workspace"`
		Steps     []verifierStep         `json:"steps"`
	} `json:"cases"`
}

type caseWorkspace struct {
	RateLimit struct {
		Limit         int `json:"limit"`
		WindowSeconds int `json:"window_seconds"`
	} `json:"rate_limit"`
}

type verifierStep struct {
	Do            string  `json:"do"`
	Key           string  `json:"key"`
	Authorization *string `json:"authorization"`
	State         string  `json:"state"`
	For           string  `json:"for"`
	Limit         int     `json:"limit"`
	WindowSeconds int     `json:"window_seconds"`
	Expect        struct {
		Match      map[string]interface{} `json:"match"`
		Error      string                 `json:"error"`
		Status     int                    `json:"status"`
		Code       string                 `json:"code"`
		RetryAfter interface{}            `json:"retry_after"`
		Cadreen    map[string]interface{} `json:"cadreen"`
	} `json:"expect"`
	Calls  map[string]int `json:"calls"`
	Warned *bool          `json:"warned"`
	Note   string         `json:"note"`
}

func loadVerifierCases(t *testing.T) verifierCases {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "sdks", "conformance", "verifier-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases verifierCases
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// expand replaces the $variables of a fixture string, also inside "Bearer $k".
func expand(value string, vars map[string]string) string {
	if scheme, rest, found := strings.Cut(value, " $"); found {
		return scheme + " " + expand("$"+rest, vars)
	}
	if strings.HasPrefix(value, "$") {
		if found, ok := vars[value[1:]]; ok {
			return found
		}
	}
	return value
}

func TestVerifierConformanceAgainstARealServer(t *testing.T) {
	cases := loadVerifierCases(t)
	server := startCadreen(t)
	for _, c := range cases.Cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			workspaceConfig := cases.Defaults.Workspace
			if c.Workspace != nil {
				workspaceConfig = *c.Workspace
			}
			workspace := newWorkspace(t, server.baseURL, workspaceConfig.RateLimit.Limit, workspaceConfig.RateLimit.WindowSeconds, nil)
			vars := map[string]string{"admin_token": testAdminToken, "ws_id": workspace.id}
			for _, name := range c.Keys {
				key := workspace.key(name)
				vars[name], vars[name+"_id"] = key.token, key.id
			}
			proxy := newVerifierProxy(t, server.baseURL)

			settings := map[string]interface{}{}
			for name, value := range cases.Defaults.Verifier {
				settings[name] = value
			}
			for name, value := range c.Verifier {
				settings[name] = value
			}
			maxStaleness := time.Duration(settings["max_staleness_ms"].(float64)) * time.Millisecond
			seen := &events{}
			verifier := NewVerifier(VerifierConfig{
				BaseURL:      proxy.URL,
				Token:        expand(settings["token"].(string), vars),
				MaxStaleness: maxStaleness,
				FailOpen:     settings["fail_open"].(bool),
				OnEvent:      seen.record,
			})
			t.Cleanup(verifier.Close)
			var app string
			for _, step := range c.Steps {
				if step.Do == "request" && app == "" {
					app = cadreenApp(t, verifier).URL
				}
			}
			waitFor(t, "the verifier to connect", verifier.Connected)

			ctx := context.Background()
			for i, step := range c.Steps {
				where := fmt.Sprintf("step %d (%s %s)", i+1, step.Do, step.Note)
				verifies, leases, warnings := proxy.count("verify"), proxy.count("leases"), seen.count(VerifierWarning)
				switch step.Do {
				case "verify":
					result, err := verifier.Verify(ctx, expand(step.Key, vars))
					if step.Expect.Error != "" {
						var apiErr *Error
						if !errors.As(err, &apiErr) || apiErr.Code != step.Expect.Error {
							t.Fatalf("%s: want error %s, got %+v, %v", where, step.Expect.Error, result, err)
						}
					} else if err != nil {
						t.Fatalf("%s: %v", where, err)
					} else if step.Expect.Match != nil {
						match(t, asJSON(t, result), substitute(step.Expect.Match, vars), where)
					}
				case "request":
					var authorization *string
					if step.Authorization != nil {
						header := expand(*step.Authorization, vars)
						authorization = &header
					}
					got := get(t, app+"/", authorization)
					if step.Expect.Status != 0 && got.status != step.Expect.Status {
						t.Fatalf("%s: status %d, want %d (%v)", where, got.status, step.Expect.Status, got.body)
					}
					if step.Expect.Code != "" && got.errorCode() != step.Expect.Code {
						t.Errorf("%s: code %q, want %q", where, got.errorCode(), step.Expect.Code)
					}
					switch want := step.Expect.RetryAfter.(type) {
					case string:
						if got.retryAfter == "" {
							t.Errorf("%s: no Retry-After", where)
						}
					case float64:
						if got.retryAfter != fmt.Sprint(want) {
							t.Errorf("%s: Retry-After %q, want %v", where, got.retryAfter, want)
						}
					}
					if step.Expect.Cadreen != nil {
						match(t, got.body["cadreen"], substitute(step.Expect.Cadreen, vars), where+" cadreen")
					}
				case "revoke":
					workspace.revoke(step.Key)
				case "rotate":
					workspace.rotate(step.Key)
				case "set_rate_limit":
					body := map[string]interface{}{"rate_limit": map[string]int{"limit": step.Limit, "window_seconds": step.WindowSeconds}}
					admin(t, server.baseURL, http.MethodPatch, "/api/v1/maas/workspaces/"+workspace.id, body, nil)
				case "proxy":
					proxy.setState(step.State)
				case "wait":
					switch step.For {
					case "connected":
						waitFor(t, "the verifier to connect", verifier.Connected)
					case "disconnected":
						waitFor(t, "the verifier to disconnect", func() bool { return !verifier.Connected() })
					case "stale":
						waitFor(t, "the verifier to disconnect", func() bool { return !verifier.Connected() })
						time.Sleep(maxStaleness + 50*time.Millisecond)
					case "caught_up":
						waitCaughtUp(t, verifier, server.baseURL)
					default:
						t.Fatalf("%s: unknown wait %q", where, step.For)
					}
				default:
					t.Fatalf("%s: unknown step", where)
				}
				if want, ok := step.Calls["verify"]; ok {
					if got := proxy.count("verify") - verifies; got != want {
						t.Errorf("%s: %d verify calls, want %d", where, got, want)
					}
				}
				if want, ok := step.Calls["leases"]; ok {
					if got := proxy.count("leases") - leases; got != want {
						t.Errorf("%s: %d lease calls, want %d", where, got, want)
					}
				}
				if step.Warned != nil {
					if warned := seen.count(VerifierWarning) > warnings; warned != *step.Warned {
						t.Errorf("%s: warned %v, want %v", where, warned, *step.Warned)
					}
				}
			}
		})
	}
}
