package cadreen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestMembersActOnTheKeysOwnWorkspaceAskedOnceAndPageThroughMembers(t *testing.T) {
	var mu sync.Mutex
	var requests []string
	var bodies []map[string]interface{}
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]interface{}
		_ = json.Unmarshal(data, &body)
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path)
		bodies = append(bodies, body)
		mu.Unlock()
		switch {
		case r.URL.Path == "/api/v1/cadreen/health":
			_, _ = w.Write([]byte(`{"status":"ok","workspace_id":"ws_own","key_id":"key_1"}`))
		case r.Method == http.MethodGet && r.URL.Query().Get("cursor") == "":
			_, _ = w.Write([]byte(`{"members":[{"profile":{"id":"prof_a","name":"Ada","email":"ada@example.com"},"role":"owner"}],"next_cursor":"c1"}`))
		case r.Method == http.MethodGet:
			_, _ = w.Write([]byte(`{"members":[{"profile":{"id":"prof_b","name":null,"email":"b@example.com"},"role":"member"}],"next_cursor":null}`))
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"profile":{"id":"prof_c","type":"PROFILE_TYPE_USER"},"role":"owner","sign_in_url":"http://x/auth/link?token=t"}`))
		case r.Method == http.MethodPatch:
			_, _ = w.Write([]byte(`{"profile":{"id":"prof_a"},"role":"member"}`))
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer stub.Close()
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL})

	it := client.Members.ListAutoPaging(ctx, ListMembersParams{Limit: 1})
	var ids []string
	for it.Next() {
		ids = append(ids, it.Current().Profile.ID)
	}
	if it.Err() != nil || strings.Join(ids, ",") != "prof_a,prof_b" {
		t.Fatalf("got %v, %v", ids, it.Err())
	}
	added, err := client.Members.Add(ctx, AddMemberParams{Email: "c@example.com", Role: "owner"})
	if err != nil || added.SignInURL != "http://x/auth/link?token=t" || added.Profile.ID != "prof_c" || added.Role != "owner" {
		t.Fatalf("got %+v, %v", added, err)
	}
	if err := client.Members.Remove(ctx, "prof_c", RemoveMemberParams{}); err != nil {
		t.Fatal(err)
	}
	updated, err := client.Members.Update(ctx, "prof_a", UpdateMemberParams{WorkspaceID: "ws_other", Role: "member"})
	if err != nil || updated.Role != "member" {
		t.Fatalf("got %+v, %v", updated, err)
	}
	want := []string{
		"GET /api/v1/cadreen/health",
		"GET /api/v1/maas/workspaces/ws_own/members",
		"GET /api/v1/maas/workspaces/ws_own/members",
		"POST /api/v1/maas/workspaces/ws_own/members",
		"DELETE /api/v1/maas/workspaces/ws_own/members/prof_c",
		"PATCH /api/v1/maas/workspaces/ws_other/members/prof_a",
	}
	if !reflect.DeepEqual(requests, want) {
		t.Fatalf("requests %v, want %v", requests, want)
	}
	if !reflect.DeepEqual(bodies[3], map[string]interface{}{"email": "c@example.com", "role": "owner"}) ||
		!reflect.DeepEqual(bodies[5], map[string]interface{}{"role": "member"}) {
		t.Fatalf("bodies %v", bodies)
	}
}

func TestMembersWithTheAdminTokenMustNameTheWorkspace(t *testing.T) {
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ok","workspace_id":null,"key_id":null}`))
	}))
	defer stub.Close()
	client := NewClient(CadreenConfig{APIKey: "admin-token", BaseURL: stub.URL})
	if _, err := client.Members.Add(context.Background(), AddMemberParams{Email: "a@example.com", Role: "member"}); !errors.Is(err, ErrNoWorkspace) {
		t.Fatalf("want ErrNoWorkspace, got %v", err)
	}
}

func TestMeDecodesNoProfileForTheAdminToken(t *testing.T) {
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"profile":null,"memberships":[]}`))
	}))
	defer stub.Close()
	me, err := NewClient(CadreenConfig{APIKey: "admin-token", BaseURL: stub.URL}).Me(context.Background())
	if err != nil || me.Profile != nil || len(me.Memberships) != 0 {
		t.Fatalf("got %+v, %v", me, err)
	}
}
