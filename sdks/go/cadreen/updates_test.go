package cadreen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestUpdateClearsEachKeyFieldAndAFreshGetShowsItGone(t *testing.T) {
	vars := startSeededServer(t)
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: vars["owner_key"], BaseURL: vars["base_url"]})
	expires := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Millisecond)
	key, err := client.APIKeys.Create(ctx, CreateAPIKeyParams{
		Name:        "clearable",
		Description: "nightly invoices",
		Labels:      map[string]string{"team": "billing"},
		ExternalID:  "ext-1",
		ExpiresAt:   expires,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := key.Metadata.ID

	// Each clear removes one field and leaves the others as they were.
	steps := []struct {
		field APIKeyField
		gone  func(*APIKey) bool
	}{
		{APIKeyExpiresAt, func(k *APIKey) bool { return k.Status.ExpiresAt == nil }},
		{APIKeyDescription, func(k *APIKey) bool { return k.Spec.Description == "" }},
		{APIKeyLabels, func(k *APIKey) bool { return len(k.Metadata.Labels) == 0 }},
		{APIKeyExternalID, func(k *APIKey) bool { return k.Metadata.ExternalID == "" }},
	}
	for i, step := range steps {
		updated, err := client.APIKeys.Update(ctx, id, UpdateAPIKeyParams{Clear: []APIKeyField{step.field}})
		if err != nil {
			t.Fatalf("clearing %s: %v", step.field, err)
		}
		fresh, err := client.APIKeys.Get(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []*APIKey{updated, fresh} {
			if !step.gone(k) {
				t.Fatalf("after clearing %s it is still there: %+v", step.field, k)
			}
			for _, later := range steps[i+1:] {
				if later.gone(k) {
					t.Fatalf("clearing %s also removed %s: %+v", step.field, later.field, k)
				}
			}
			if k.Metadata.Name != "clearable" || k.Status.State != "ACTIVE" {
				t.Fatalf("clearing %s changed the name or the state: %+v", step.field, k)
			}
		}
	}

	// A key that never expires verifies without an expiry; setting a field again and clearing
	// another in one call does both.
	verification, err := client.Verify(ctx, key.Spec.Token)
	if err != nil || !verification.Valid || verification.ExpiresAt != nil {
		t.Fatalf("verify after clearing the expiry: %+v, %v", verification, err)
	}
	description := "weekly invoices"
	updated, err := client.APIKeys.Update(ctx, id, UpdateAPIKeyParams{
		Description: &description,
		ExpiresAt:   &expires,
		Clear:       []APIKeyField{APIKeyLabels, APIKeyExternalID},
	})
	if err != nil || updated.Spec.Description != description || updated.Status.ExpiresAt == nil || !updated.Status.ExpiresAt.Equal(expires) {
		t.Fatalf("set and clear different fields: %+v, %v", updated, err)
	}
}

// recordingStub answers every call with answer and records each request's method, path and JSON body.
type recordingStub struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
	bodies   []map[string]interface{}
}

func newRecordingStub(t *testing.T, answer string) *recordingStub {
	stub := &recordingStub{}
	stub.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]interface{}
		_ = json.Unmarshal(data, &body)
		stub.mu.Lock()
		stub.requests = append(stub.requests, r.Method+" "+r.URL.Path)
		stub.bodies = append(stub.bodies, body)
		stub.mu.Unlock()
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(stub.Close)
	return stub
}

func (s *recordingStub) sent() ([]string, []map[string]interface{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...), append([]map[string]interface{}(nil), s.bodies...)
}

func wantRefusedBeforeSending(t *testing.T, what string, err error, stub *recordingStub, field, message string) {
	t.Helper()
	var apiErr *Error
	if !errors.As(err, &apiErr) || !IsInvalidRequest(err) || apiErr.Status != 0 {
		t.Fatalf("%s: want an invalid_request error before sending, got %v", what, err)
	}
	if len(apiErr.Details) != 1 || apiErr.Details[0].Field != field || apiErr.Details[0].Message != message {
		t.Fatalf("%s: details %+v, want %s %q", what, apiErr.Details, field, message)
	}
	if requests, _ := stub.sent(); len(requests) != 0 {
		t.Fatalf("%s: sent %v", what, requests)
	}
}

func TestAFieldBothSetAndClearedIsRefusedWithNothingSent(t *testing.T) {
	stub := newRecordingStub(t, `{}`)
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL, MaxRetries: Int(0)})
	text := "x"
	when := time.Now().Add(time.Hour)
	keyCases := []struct {
		params UpdateAPIKeyParams
		field  string
	}{
		{UpdateAPIKeyParams{Description: &text, Clear: []APIKeyField{APIKeyDescription}}, "spec.description"},
		{UpdateAPIKeyParams{Labels: map[string]string{}, Clear: []APIKeyField{APIKeyLabels}}, "metadata.labels"},
		{UpdateAPIKeyParams{ExternalID: &text, Clear: []APIKeyField{APIKeyExternalID}}, "metadata.externalId"},
		{UpdateAPIKeyParams{ExpiresAt: &when, Clear: []APIKeyField{APIKeyExpiresAt}}, "spec.expiresAt"},
	}
	for _, c := range keyCases {
		_, err := client.APIKeys.Update(ctx, "key_1", c.params)
		wantRefusedBeforeSending(t, "key "+c.field, err, stub, c.field, "both set and cleared")
	}
	_, err := client.APIKeys.Update(ctx, "key_1", UpdateAPIKeyParams{Clear: []APIKeyField{"name"}})
	wantRefusedBeforeSending(t, "key name", err, stub, "name", "cannot be cleared (only description, labels, externalId and expiresAt can)")

	limit := &RateLimitSetting{Limit: 5, WindowSeconds: 60}
	workspaceCases := []struct {
		params UpdateWorkspaceParams
		field  string
	}{
		{UpdateWorkspaceParams{RateLimit: limit, Clear: []WorkspaceField{WorkspaceFieldRateLimit}}, "rate_limit"},
		{UpdateWorkspaceParams{WorkspaceRateLimit: limit, Clear: []WorkspaceField{WorkspaceFieldWorkspaceRateLimit}}, "workspace_rate_limit"},
	}
	for _, c := range workspaceCases {
		_, err := client.Workspaces.Update(ctx, "ws_1", c.params)
		wantRefusedBeforeSending(t, "workspace "+c.field, err, stub, c.field, "both set and cleared")
	}
	// Refused before the client asks the server which workspace an empty id means.
	_, err = client.Workspaces.Update(ctx, "", UpdateWorkspaceParams{Clear: []WorkspaceField{"name"}})
	wantRefusedBeforeSending(t, "workspace name", err, stub, "name", "cannot be cleared (only rate_limit and workspace_rate_limit can)")
}

func TestClearedFieldsAreSentAsNullAndUnsetOnesAreLeftOut(t *testing.T) {
	stub := newRecordingStub(t, `{}`)
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL})
	name := "renamed"
	if _, err := client.APIKeys.Update(ctx, "key_1", UpdateAPIKeyParams{Name: &name, Clear: []APIKeyField{APIKeyLabels, APIKeyExpiresAt, APIKeyLabels}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Workspaces.Update(ctx, "ws_1", UpdateWorkspaceParams{
		WorkspaceRateLimit: &RateLimitSetting{Limit: 5, WindowSeconds: 60},
		Clear:              []WorkspaceField{WorkspaceFieldRateLimit},
	}); err != nil {
		t.Fatal(err)
	}
	requests, bodies := stub.sent()
	if want := []string{"PATCH /v1/api_keys/key_1", "PATCH /api/v1/maas/workspaces/ws_1"}; !reflect.DeepEqual(requests, want) {
		t.Fatalf("requests %v, want %v", requests, want)
	}
	wantKey := map[string]interface{}{
		"metadata": map[string]interface{}{"name": "renamed", "labels": nil},
		"spec":     map[string]interface{}{"expiresAt": nil},
	}
	wantWorkspace := map[string]interface{}{
		"rate_limit":           nil,
		"workspace_rate_limit": map[string]interface{}{"limit": float64(5), "window_seconds": float64(60)},
	}
	if !reflect.DeepEqual(bodies[0], wantKey) || !reflect.DeepEqual(bodies[1], wantWorkspace) {
		t.Fatalf("bodies %v, want %v and %v", bodies, wantKey, wantWorkspace)
	}
}

func TestWorkspacesGetAndUpdateBothLimitsAndClearThemBackToTheDefault(t *testing.T) {
	vars := startSeededServer(t)
	ctx := context.Background()
	admin := NewClient(CadreenConfig{APIKey: vars["admin_token"], BaseURL: vars["base_url"]})
	created, err := admin.Workspaces.Create(ctx, "limited", "")
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	defaults := [2]EffectiveRateLimit{created.RateLimit, created.WorkspaceRateLimit}
	if defaults[0].Source != "default" || defaults[1].Source != "default" || defaults[0].Limit == 0 || defaults[1].Limit == 0 {
		t.Fatalf("a new workspace has the deployment's limits: %+v", created)
	}

	got, err := admin.Workspaces.Get(ctx, id)
	if err != nil || got.ID != id || got.Name != "limited" || !got.CreatedAt.Equal(created.CreatedAt) || got.RateLimit != defaults[0] || got.WorkspaceRateLimit != defaults[1] {
		t.Fatalf("get: %+v, %v", got, err)
	}

	name := "limited-renamed"
	updated, err := admin.Workspaces.Update(ctx, id, UpdateWorkspaceParams{
		Name:               &name,
		RateLimit:          &RateLimitSetting{Limit: 7, WindowSeconds: 60},
		WorkspaceRateLimit: &RateLimitSetting{Limit: 50, WindowSeconds: 3600},
	})
	if err != nil {
		t.Fatal(err)
	}
	perKey := EffectiveRateLimit{Limit: 7, WindowSeconds: 60, Source: "workspace"}
	shared := EffectiveRateLimit{Limit: 50, WindowSeconds: 3600, Source: "workspace"}
	for _, w := range []*Workspace{updated, mustGetWorkspace(t, admin, id)} {
		if w.Name != name || w.RateLimit != perKey || w.WorkspaceRateLimit != shared {
			t.Fatalf("after setting both limits: %+v", w)
		}
	}

	// A key of the workspace sees its limits, by id or with an empty id (its own workspace).
	ownAdmin := NewClient(CadreenConfig{APIKey: vars["admin_token"], BaseURL: vars["base_url"], WorkspaceID: id})
	key, err := ownAdmin.APIKeys.Create(ctx, CreateAPIKeyParams{Name: "limited-key"})
	if err != nil {
		t.Fatal(err)
	}
	member := NewClient(CadreenConfig{APIKey: key.Spec.Token, BaseURL: vars["base_url"]})
	for _, asked := range []string{id, ""} {
		seen, err := member.Workspaces.Get(ctx, asked)
		if err != nil || seen.ID != id || seen.RateLimit != perKey || seen.WorkspaceRateLimit != shared {
			t.Fatalf("a key of the workspace getting %q: %+v, %v", asked, seen, err)
		}
	}

	// Clearing one limit returns it to the default and leaves the other.
	cleared, err := admin.Workspaces.Update(ctx, id, UpdateWorkspaceParams{Clear: []WorkspaceField{WorkspaceFieldRateLimit}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Workspace{cleared, mustGetWorkspace(t, admin, id)} {
		if w.RateLimit != defaults[0] || w.WorkspaceRateLimit != shared || w.Name != name {
			t.Fatalf("after clearing the per-key limit: %+v", w)
		}
	}
	cleared, err = admin.Workspaces.Update(ctx, id, UpdateWorkspaceParams{Clear: []WorkspaceField{WorkspaceFieldWorkspaceRateLimit}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Workspace{cleared, mustGetWorkspace(t, admin, id)} {
		if w.RateLimit != defaults[0] || w.WorkspaceRateLimit != defaults[1] {
			t.Fatalf("after clearing the shared budget: %+v", w)
		}
	}

	// An invalid limit is the server's invalid_request and changes nothing.
	_, err = admin.Workspaces.Update(ctx, id, UpdateWorkspaceParams{RateLimit: &RateLimitSetting{Limit: 0, WindowSeconds: 60}})
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !IsInvalidRequest(err) || len(apiErr.Details) == 0 || apiErr.Details[0].Field != "rate_limit.limit" {
		t.Fatalf("a zero limit: want invalid_request on rate_limit.limit, got %v", err)
	}
	if w := mustGetWorkspace(t, admin, id); w.RateLimit != defaults[0] {
		t.Fatalf("a refused update changed the limit: %+v", w)
	}
	if _, err := admin.Workspaces.Get(ctx, "ws_missing"); !IsNotFound(err) {
		t.Fatalf("an unknown workspace: want not_found, got %v", err)
	}
	if _, err := admin.Workspaces.Get(ctx, ""); !errors.Is(err, ErrNoWorkspace) {
		t.Fatalf("the admin token without a workspace: want ErrNoWorkspace, got %v", err)
	}
}

func TestAKeyOfAnotherWorkspaceIsRefused(t *testing.T) {
	vars := startSeededServer(t)
	ctx := context.Background()
	admin := NewClient(CadreenConfig{APIKey: vars["admin_token"], BaseURL: vars["base_url"]})
	other, err := admin.Workspaces.Create(ctx, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	owner := NewClient(CadreenConfig{APIKey: vars["owner_key"], BaseURL: vars["base_url"]})
	expires := time.Now().Add(24 * time.Hour).Truncate(time.Millisecond)
	ours, err := owner.APIKeys.Create(ctx, CreateAPIKeyParams{Name: "ours", Description: "kept", ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	theirKey, err := NewClient(CadreenConfig{APIKey: vars["admin_token"], BaseURL: vars["base_url"], WorkspaceID: other.ID}).
		APIKeys.Create(ctx, CreateAPIKeyParams{Name: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	stranger := NewClient(CadreenConfig{APIKey: theirKey.Spec.Token, BaseURL: vars["base_url"]})

	if _, err := stranger.Workspaces.Get(ctx, vars["workspace_id"]); !IsPermissionDenied(err) {
		t.Fatalf("getting another workspace: want auth_forbidden, got %v", err)
	}
	limit := &RateLimitSetting{Limit: 1, WindowSeconds: 60}
	if _, err := stranger.Workspaces.Update(ctx, vars["workspace_id"], UpdateWorkspaceParams{RateLimit: limit}); !IsPermissionDenied(err) {
		t.Fatalf("changing another workspace's limit: want auth_forbidden, got %v", err)
	}
	if _, err := stranger.Workspaces.Update(ctx, "", UpdateWorkspaceParams{Clear: []WorkspaceField{WorkspaceFieldRateLimit}}); !IsPermissionDenied(err) {
		t.Fatalf("a key changing its own workspace: want auth_forbidden, got %v", err)
	}
	if _, err := stranger.APIKeys.Update(ctx, ours.Metadata.ID, UpdateAPIKeyParams{Clear: []APIKeyField{APIKeyExpiresAt, APIKeyDescription}}); !IsNotFound(err) {
		t.Fatalf("clearing a field of another workspace's key: want not_found, got %v", err)
	}
	kept, err := owner.APIKeys.Get(ctx, ours.Metadata.ID, false)
	if err != nil || kept.Spec.Description != "kept" || kept.Status.ExpiresAt == nil || !kept.Status.ExpiresAt.Equal(expires) {
		t.Fatalf("the refused clear changed the key: %+v, %v", kept, err)
	}
	if w := mustGetWorkspace(t, admin, vars["workspace_id"]); w.RateLimit.Source != "default" {
		t.Fatalf("the refused update changed the workspace: %+v", w)
	}
}

func mustGetWorkspace(t *testing.T, client *Client, id string) *Workspace {
	t.Helper()
	w, err := client.Workspaces.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
