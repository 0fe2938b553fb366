package cadreen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// jsonFields are the JSON names of a struct's fields (embedded structs' fields included) and their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		field := t.Field(i)
		tag := field.Tag.Get("json")
		if field.Anonymous && tag == "" {
			for name, typ := range jsonFields(field.Type) {
				fields[name] = typ
			}
			continue
		}
		name := strings.Split(tag, ",")[0]
		if name == "" || name == "-" {
			continue
		}
		fields[name] = field.Type
	}
	return fields
}

var timeType = reflect.TypeOf(time.Time{})

// schemaObject is the object a JSON Schema describes, looking through a nullable anyOf.
func schemaObject(schema map[string]interface{}) (map[string]interface{}, bool) {
	if anyOf, ok := schema["anyOf"].([]interface{}); ok {
		for _, part := range anyOf {
			if p, _ := part.(map[string]interface{}); p["type"] != "null" {
				return p, true
			}
		}
	}
	nullable := false
	if kinds, ok := schema["type"].([]interface{}); ok {
		for _, kind := range kinds {
			nullable = nullable || kind == "null"
		}
	}
	return schema, nullable
}

// checkType fails unless typ has exactly the schema's properties (beyond: the JSON names the type adds),
// every date-time as time.Time (*time.Time when the server may leave it out or send null), and the same
// for nested objects and arrays.
func checkType(t *testing.T, typ reflect.Type, schema map[string]interface{}, where string, beyond map[string]bool) {
	t.Helper()
	schema, _ = schemaObject(schema)
	for typ.Kind() == reflect.Ptr {
		typ = typ.Elem()
	}
	switch {
	case schema["format"] == "date-time":
		if typ != timeType {
			t.Errorf("%s: a timestamp held as %s, want time.Time", where, typ)
		}
	case schema["type"] == "array":
		if typ.Kind() != reflect.Slice {
			t.Errorf("%s: an array held as %s", where, typ)
			return
		}
		items, _ := schema["items"].(map[string]interface{})
		checkType(t, typ.Elem(), items, where+"[]", beyond)
	case schema["type"] == "object":
		properties, ok := schema["properties"].(map[string]interface{})
		if !ok {
			if typ.Kind() != reflect.Map {
				t.Errorf("%s: a map held as %s", where, typ)
			}
			return
		}
		if typ.Kind() != reflect.Struct {
			t.Errorf("%s: an object held as %s", where, typ)
			return
		}
		fields := jsonFields(typ)
		var missing, extra []string
		for name := range properties {
			if _, ok := fields[name]; !ok {
				missing = append(missing, name)
			}
		}
		for name := range fields {
			if _, ok := properties[name]; !ok && !beyond[where+"."+name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing)+len(extra) > 0 {
			t.Errorf("%s (%s): lacks %v, has beyond the server's schema %v", where, typ, missing, extra)
		}
		required := map[string]bool{}
		if names, ok := schema["required"].([]interface{}); ok {
			for _, name := range names {
				required[name.(string)] = true
			}
		}
		for name, property := range properties {
			field, ok := fields[name]
			if !ok {
				continue
			}
			p, _ := property.(map[string]interface{})
			if inner, nullable := schemaObject(p); inner["format"] == "date-time" {
				if optional := nullable || !required[name]; optional != (field.Kind() == reflect.Ptr) {
					t.Errorf("%s.%s: held as %s, want *time.Time when it may be absent or null, else time.Time", where, name, field)
				}
			}
			checkType(t, field, p, where+"."+name, beyond)
		}
	}
}

func TestResultTypesHaveTheServersFieldsAndTimesAsTime(t *testing.T) {
	vars := startSeededServer(t)
	response, err := http.Get(vars["base_url"] + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	var openapi struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema map[string]interface{} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema map[string]interface{} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(response.Body).Decode(&openapi); err != nil {
		t.Fatal(err)
	}
	schema := func(method, path, status string) map[string]interface{} {
		found := openapi.Paths[path][method].Responses[status].Content["application/json"].Schema
		if found == nil {
			t.Fatalf("the server documents no %s %s %s", method, path, status)
		}
		return found
	}
	key, members := "/v1/api_keys/{id}", "/api/v1/maas/workspaces/{workspace_id}/members"
	verifierOnly := map[string]bool{"Verification.retry_after": true, "Verification.warning": true}
	cases := []struct {
		value  interface{}
		schema map[string]interface{}
	}{
		{APIKey{}, schema("get", key, "200")},
		{APIKey{}, schema("post", "/v1/api_keys", "201")},
		{APIKey{}, schema("post", key+"/rotate", "201")},
		{APIKeyPage{}, schema("get", "/v1/api_keys", "200")},
		{AuditEventPage{}, schema("get", "/v1/audit_events", "200")},
		{Health{}, schema("get", "/api/v1/cadreen/health", "200")},
		{Verification{}, schema("post", "/api/v1/cadreen/keys/verify", "200")},
		{Workspace{}, schema("get", "/api/v1/maas/workspaces/{workspace_id}", "200")},
		{Workspace{}, schema("patch", "/api/v1/maas/workspaces/{workspace_id}", "200")},
		{WorkspacePage{}, schema("get", "/api/v1/maas/workspaces", "200")},
		{MemberPage{}, schema("get", members, "200")},
		{AddedMember{}, schema("post", members, "201")},
		{Member{}, schema("patch", members+"/{profile_id}", "200")},
		{Me{}, schema("get", "/api/v1/maas/me", "200")},
	}
	for _, c := range cases {
		typ := reflect.TypeOf(c.value)
		checkType(t, typ, c.schema, typ.Name(), verifierOnly)
	}

	// The fields APIKeys.Update can clear are the ones the server takes null for.
	keyUpdate := openapi.Paths[key]["patch"].RequestBody.Content["application/json"].Schema
	for field, path := range apiKeyFieldPath {
		part, _ := keyUpdate["properties"].(map[string]interface{})[path[0]].(map[string]interface{})
		part, _ = schemaObject(part)
		property, _ := part["properties"].(map[string]interface{})[path[1]].(map[string]interface{})
		if _, nullable := schemaObject(property); property == nil || !nullable {
			t.Errorf("APIKeys.Update clears %s, which the server's PATCH does not take as null", field)
		}
	}

	// The limits Workspaces.Update sends are the ones the server takes.
	update := openapi.Paths["/api/v1/maas/workspaces/{workspace_id}"]["patch"].RequestBody.Content["application/json"].Schema
	properties, _ := update["properties"].(map[string]interface{})
	for _, field := range []WorkspaceField{WorkspaceFieldRateLimit, WorkspaceFieldWorkspaceRateLimit} {
		setting, _ := properties[string(field)].(map[string]interface{})
		if _, nullable := schemaObject(setting); setting == nil || !nullable {
			t.Fatalf("the server's PATCH of a workspace takes no nullable %s: %v", field, update)
		}
		checkType(t, reflect.TypeOf(RateLimitSetting{}), setting, "RateLimitSetting", nil)
	}
}

func TestTimesAreReadFromRFC3339AndSentInUTC(t *testing.T) {
	var sent map[string]interface{}
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &sent)
		switch r.URL.Path {
		case "/v1/api_keys":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"metadata":{"id":"key_1","createdAt":"2030-01-02T03:04:05.678Z"},"spec":{"token":"t"},
				"status":{"state":"ACTIVE","start":"sk_cadreen_abcd","expiresAt":"2030-02-01T00:00:00.000Z"}}`))
		case "/api/v1/cadreen/keys/verify":
			_, _ = w.Write([]byte(`{"valid":true,"expires_at":null,"grace_until":"2030-01-02T05:04:05.5+02:00"}`))
		}
	}))
	defer stub.Close()
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: "sk_cadreen_test", BaseURL: stub.URL})

	paris := time.FixedZone("Paris", 3600)
	key, err := client.APIKeys.Create(ctx, CreateAPIKeyParams{Name: "k", ExpiresAt: time.Date(2030, 2, 1, 1, 0, 0, 0, paris)})
	if err != nil {
		t.Fatal(err)
	}
	if spec, _ := sent["spec"].(map[string]interface{}); spec["expiresAt"] != "2030-02-01T00:00:00Z" {
		t.Errorf("sent expiresAt %v, want it in UTC", spec["expiresAt"])
	}
	if want := time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC); !key.Metadata.CreatedAt.Equal(want) {
		t.Errorf("createdAt %v, want %v", key.Metadata.CreatedAt, want)
	}
	if key.Status.ExpiresAt == nil || !key.Status.ExpiresAt.Equal(time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiresAt %v", key.Status.ExpiresAt)
	}
	if key.Status.LastUsedAt != nil || key.Status.RevokedAt != nil || key.Status.GraceUntil != nil {
		t.Errorf("times the answer left out should be nil: %+v", key.Status)
	}

	verification, err := client.Verify(ctx, "sk_cadreen_x")
	if err != nil {
		t.Fatal(err)
	}
	if verification.ExpiresAt != nil {
		t.Errorf("null expires_at read as %v", verification.ExpiresAt)
	}
	if want := time.Date(2030, 1, 2, 3, 4, 5, 500_000_000, time.UTC); verification.GraceUntil == nil || !verification.GraceUntil.Equal(want) {
		t.Errorf("grace_until %v, want %v", verification.GraceUntil, want)
	}
}

func TestTimesOfARealServerAreTheInstantsTheyName(t *testing.T) {
	vars := startSeededServer(t)
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: vars["owner_key"], BaseURL: vars["base_url"]})
	before := time.Now().Add(-time.Minute)
	expires := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Millisecond)

	key, err := client.APIKeys.Create(ctx, CreateAPIKeyParams{Name: "timed", ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	if key.Metadata.CreatedAt.Before(before) || key.Metadata.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("createdAt %v is not about now", key.Metadata.CreatedAt)
	}
	if key.Status.ExpiresAt == nil || !key.Status.ExpiresAt.Equal(expires) {
		t.Errorf("expiresAt %v, want %v", key.Status.ExpiresAt, expires)
	}
	verification, err := client.Verify(ctx, key.Spec.Token)
	if err != nil || !verification.Valid || verification.ExpiresAt == nil || !verification.ExpiresAt.Equal(expires) || verification.GraceUntil != nil {
		t.Fatalf("verify: %+v, %v", verification, err)
	}

	later := expires.Add(24 * time.Hour)
	updated, err := client.APIKeys.Update(ctx, key.Metadata.ID, UpdateAPIKeyParams{ExpiresAt: &later})
	if err != nil || updated.Status.ExpiresAt == nil || !updated.Status.ExpiresAt.Equal(later) {
		t.Fatalf("update: %+v, %v", updated, err)
	}
	rotated, err := client.APIKeys.Rotate(ctx, key.Metadata.ID, Int(3600))
	if err != nil {
		t.Fatal(err)
	}
	old, err := client.APIKeys.Get(ctx, key.Metadata.ID, false)
	if err != nil || old.Status.GraceUntil == nil || old.Status.GraceUntil.Sub(rotated.Metadata.CreatedAt).Round(time.Minute) != time.Hour {
		t.Fatalf("a rotated key's grace period ends an hour after the rotation: %+v, %v", old, err)
	}
	revoked, err := client.APIKeys.Revoke(ctx, rotated.Metadata.ID)
	if err != nil || revoked.Status.RevokedAt == nil || revoked.Status.RevokedAt.Before(rotated.Metadata.CreatedAt) {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}

	admin := NewClient(CadreenConfig{APIKey: vars["admin_token"], BaseURL: vars["base_url"]})
	workspace, err := admin.Workspaces.Create(ctx, "timed", "")
	if err != nil || workspace.CreatedAt.Before(before) {
		t.Fatalf("workspace: %+v, %v", workspace, err)
	}
	page, err := admin.Members.List(ctx, ListMembersParams{WorkspaceID: vars["workspace_id"]})
	if err != nil || len(page.Members) == 0 || page.Members[0].CreatedAt.IsZero() || page.Members[0].Profile.CreatedAt.IsZero() {
		t.Fatalf("members: %+v, %v", page, err)
	}
}

func TestAuditEventsListNewestFirstAcrossPagesAndByType(t *testing.T) {
	vars := startSeededServer(t)
	ctx := context.Background()
	client := NewClient(CadreenConfig{APIKey: vars["owner_key"], BaseURL: vars["base_url"]})
	var made []string
	for _, name := range []string{"audited-a", "audited-b", "audited-c"} {
		key, err := client.APIKeys.Create(ctx, CreateAPIKeyParams{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, key.Metadata.ID)
	}
	if _, err := client.APIKeys.Revoke(ctx, made[0]); err != nil {
		t.Fatal(err)
	}

	it := client.AuditEvents.ListAutoPaging(ctx, ListAuditEventsParams{Limit: 2})
	var all []AuditEvent
	seen := map[string]bool{}
	for it.Next() {
		event := it.Current()
		if seen[event.ID] {
			t.Fatalf("%s twice across pages", event.ID)
		}
		seen[event.ID] = true
		all = append(all, event)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 || all[0].Type != AuditKeyRevoked || all[0].KeyID != made[0] {
		t.Fatalf("want the revocation first, got %+v", all)
	}
	var ours []time.Time
	for _, event := range all {
		for _, id := range made {
			if event.KeyID == id {
				ours = append(ours, event.CreatedAt)
			}
		}
	}
	if len(ours) != 4 || !sort.SliceIsSorted(ours, func(i, j int) bool { return ours[i].After(ours[j]) }) {
		t.Fatalf("this test's 4 events, newest first: %v", ours)
	}

	first, err := client.AuditEvents.List(ctx, ListAuditEventsParams{Limit: 2})
	if err != nil || len(first.Items) != 2 || first.Items[1].ID != all[1].ID || first.Pagination.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	second, err := client.AuditEvents.List(ctx, ListAuditEventsParams{Limit: 2, Cursor: first.Pagination.NextCursor})
	if err != nil || len(second.Items) == 0 || second.Items[0].ID != all[2].ID {
		t.Fatalf("second page: %+v, %v", second, err)
	}

	created := client.AuditEvents.ListAutoPaging(ctx, ListAuditEventsParams{Type: AuditKeyCreated})
	var createdKeys []string
	for created.Next() {
		event := created.Current()
		if event.Type != AuditKeyCreated {
			t.Fatalf("type filter let through %+v", event)
		}
		if event.KeyID == made[2] && (event.Actor == nil || event.Actor.Type != "PROFILE_TYPE_API_KEY") {
			t.Errorf("the actor of a key's creation by a key: %+v", event.Actor)
		}
		createdKeys = append(createdKeys, event.KeyID)
	}
	if err := created.Err(); err != nil || len(createdKeys) < 3 || !reflect.DeepEqual(createdKeys[:3], []string{made[2], made[1], made[0]}) {
		t.Fatalf("key.created events: %v, %v", createdKeys, err)
	}

	admin := NewClient(CadreenConfig{APIKey: vars["admin_token"], BaseURL: vars["base_url"], WorkspaceID: vars["workspace_id"]})
	page, err := admin.AuditEvents.List(ctx, ListAuditEventsParams{Type: AuditKeyRevoked})
	if err != nil || len(page.Items) != 1 || page.Items[0].KeyID != made[0] {
		t.Fatalf("the admin token in the workspace: %+v, %v", page, err)
	}

	_, err = client.AuditEvents.List(ctx, ListAuditEventsParams{Type: "key.exploded"})
	if !IsInvalidRequest(err) {
		t.Fatalf("an unknown type: want invalid_request, got %v", err)
	}
}
