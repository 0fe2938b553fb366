package cadreen

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// APIKeysService manages the keys of the caller's workspace (/v1/api_keys).
type APIKeysService struct {
	client *Client
}

// CreateAPIKeyParams describes a new key.
type CreateAPIKeyParams struct {
	Name        string
	Description string
	Labels      map[string]string
	ExternalID  string
	ExpiresAt   time.Time // zero: the key never expires
}

// UpdateAPIKeyParams changes the fields that are set (non-nil) and removes the fields named in Clear;
// the others are left as they are. A field both set and cleared is refused before anything is sent.
type UpdateAPIKeyParams struct {
	Name        *string
	Description *string
	Labels      map[string]string
	ExternalID  *string
	ExpiresAt   *time.Time
	// Clear removes fields from the key (sent as JSON null): APIKeyDescription, APIKeyLabels,
	// APIKeyExternalID, APIKeyExpiresAt (the key then never expires). The name cannot be cleared.
	Clear []APIKeyField
}

// APIKeyField names a field of a key that UpdateAPIKeyParams.Clear can remove.
type APIKeyField string

// The fields of a key that can be cleared.
const (
	APIKeyDescription APIKeyField = "description"
	APIKeyLabels      APIKeyField = "labels"
	APIKeyExternalID  APIKeyField = "externalId"
	APIKeyExpiresAt   APIKeyField = "expiresAt"
)

// apiKeyFieldPath is where each clearable field sits in the body of PATCH /v1/api_keys/{id}.
var apiKeyFieldPath = map[APIKeyField][2]string{
	APIKeyDescription: {"spec", "description"},
	APIKeyLabels:      {"metadata", "labels"},
	APIKeyExternalID:  {"metadata", "externalId"},
	APIKeyExpiresAt:   {"spec", "expiresAt"},
}

// ListAPIKeysParams filters and pages a list; zero values are left out.
type ListAPIKeysParams struct {
	Cursor      string
	Limit       int
	Prefix      string
	SortOrder   string // "asc" or "desc" by creation time
	IncludeInfo bool
}

// APIKeyPage is one page of keys.
type APIKeyPage struct {
	Items      []APIKey `json:"items"`
	Pagination struct {
		NextCursor string `json:"nextCursor,omitempty"`
		Total      int    `json:"total"`
	} `json:"pagination"`
}

func keyPath(id string) string { return "/v1/api_keys/" + url.PathEscape(id) }

// timestamp is t as the API takes it: RFC 3339 in UTC, with the fraction of a second when there is one.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Create makes a key; its Spec.Token is the plaintext, in this answer only.
func (s *APIKeysService) Create(ctx context.Context, params CreateAPIKeyParams) (*APIKey, error) {
	metadata := map[string]interface{}{"name": params.Name}
	if params.Labels != nil {
		metadata["labels"] = params.Labels
	}
	if params.ExternalID != "" {
		metadata["externalId"] = params.ExternalID
	}
	spec := map[string]interface{}{}
	if params.Description != "" {
		spec["description"] = params.Description
	}
	if !params.ExpiresAt.IsZero() {
		spec["expiresAt"] = timestamp(params.ExpiresAt)
	}
	var key APIKey
	body := map[string]interface{}{"metadata": metadata, "spec": spec}
	if err := s.client.do(ctx, http.MethodPost, "/v1/api_keys", nil, body, &key); err != nil {
		return nil, err
	}
	return &key, nil
}

// List returns one page of keys, newest first unless SortOrder is "asc".
func (s *APIKeysService) List(ctx context.Context, params ListAPIKeysParams) (*APIKeyPage, error) {
	query := url.Values{}
	if params.Cursor != "" {
		query.Set("cursor", params.Cursor)
	}
	if params.Limit > 0 {
		query.Set("limit", strconv.Itoa(params.Limit))
	}
	if params.Prefix != "" {
		query.Set("prefix", params.Prefix)
	}
	if params.SortOrder != "" {
		query.Set("sortOrder", params.SortOrder)
	}
	if params.IncludeInfo {
		query.Set("includeInfo", "true")
	}
	var page APIKeyPage
	if err := s.client.do(ctx, http.MethodGet, "/v1/api_keys", query, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAutoPaging walks every key across pages:
//
//	it := client.APIKeys.ListAutoPaging(ctx, params)
//	for it.Next() { key := it.Current() }
//	if err := it.Err(); err != nil { … }
func (s *APIKeysService) ListAutoPaging(ctx context.Context, params ListAPIKeysParams) *Iter[APIKey] {
	return newIter(func(cursor string) ([]APIKey, string, error) {
		p := params
		if cursor != "" {
			p.Cursor = cursor
		}
		page, err := s.List(ctx, p)
		if err != nil {
			return nil, "", err
		}
		return page.Items, page.Pagination.NextCursor, nil
	}, params.Cursor)
}

// Get returns one key; includeInfo adds the creating profile (2 rate-limit units).
func (s *APIKeysService) Get(ctx context.Context, id string, includeInfo bool) (*APIKey, error) {
	var query url.Values
	if includeInfo {
		query = url.Values{"includeInfo": {"true"}}
	}
	var key APIKey
	if err := s.client.do(ctx, http.MethodGet, keyPath(id), query, nil, &key); err != nil {
		return nil, err
	}
	return &key, nil
}

// Update changes the fields set in params and clears those named in params.Clear. A field both set
// and cleared, or one that cannot be cleared, is an invalid_request *Error returned before anything is sent.
func (s *APIKeysService) Update(ctx context.Context, id string, params UpdateAPIKeyParams) (*APIKey, error) {
	metadata := map[string]interface{}{}
	if params.Name != nil {
		metadata["name"] = *params.Name
	}
	if params.Labels != nil {
		metadata["labels"] = params.Labels
	}
	if params.ExternalID != nil {
		metadata["externalId"] = *params.ExternalID
	}
	spec := map[string]interface{}{}
	if params.Description != nil {
		spec["description"] = *params.Description
	}
	if params.ExpiresAt != nil {
		spec["expiresAt"] = timestamp(*params.ExpiresAt)
	}
	body := map[string]interface{}{"metadata": metadata, "spec": spec}
	var problems []FieldProblem
	for _, field := range params.Clear {
		path, ok := apiKeyFieldPath[field]
		switch {
		case !ok:
			problems = append(problems, FieldProblem{Field: string(field), Message: "cannot be cleared (only description, labels, externalId and expiresAt can)"})
		case hasValue(body[path[0]], path[1]):
			problems = append(problems, FieldProblem{Field: path[0] + "." + path[1], Message: "both set and cleared"})
		default:
			body[path[0]].(map[string]interface{})[path[1]] = nil
		}
	}
	if len(problems) > 0 {
		return nil, invalidParams(problems)
	}
	var key APIKey
	if err := s.client.do(ctx, http.MethodPatch, keyPath(id), nil, body, &key); err != nil {
		return nil, err
	}
	return &key, nil
}

// hasValue reports whether part (a map being built for a request body) sets name to something other than null.
func hasValue(part interface{}, name string) bool {
	value, ok := part.(map[string]interface{})[name]
	return ok && value != nil
}

// Rotate replaces an active key; the old one keeps working for gracePeriodSeconds (nil or 0: none).
// The new key's Spec.Token is in this answer only.
func (s *APIKeysService) Rotate(ctx context.Context, id string, gracePeriodSeconds *int) (*APIKey, error) {
	body := map[string]interface{}{}
	if gracePeriodSeconds != nil {
		body["gracePeriodSeconds"] = *gracePeriodSeconds
	}
	var key APIKey
	if err := s.client.do(ctx, http.MethodPost, keyPath(id)+"/rotate", nil, body, &key); err != nil {
		return nil, err
	}
	return &key, nil
}

// Revoke revokes a key (idempotent) and returns it.
func (s *APIKeysService) Revoke(ctx context.Context, id string) (*APIKey, error) {
	var key APIKey
	if err := s.client.do(ctx, http.MethodDelete, keyPath(id), nil, nil, &key); err != nil {
		return nil, err
	}
	return &key, nil
}
