package cadreen

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// WorkspacesService manages workspaces with the admin token; Get also works with a key of the workspace.
type WorkspacesService struct {
	client *Client
}

// WorkspacePage is one page of workspaces.
type WorkspacePage struct {
	Workspaces []Workspace `json:"workspaces"`
	Count      int         `json:"count"`
	NextCursor *string     `json:"next_cursor"`
}

// RateLimitSetting is a limit to set on a workspace: at most Limit requests (1–1 000 000) per
// WindowSeconds (1–86 400).
type RateLimitSetting struct {
	Limit         int `json:"limit"`
	WindowSeconds int `json:"window_seconds"`
}

// UpdateWorkspaceParams changes the fields that are set (non-nil) and returns the limits named in
// Clear to the deployment's default; the others are left as they are. A field both set and cleared is
// refused before anything is sent.
type UpdateWorkspaceParams struct {
	Name *string
	// RateLimit is the limit of each key.
	RateLimit *RateLimitSetting
	// WorkspaceRateLimit is the budget all keys of the workspace share together.
	WorkspaceRateLimit *RateLimitSetting
	// Clear returns limits to the deployment's default (sent as JSON null): WorkspaceFieldRateLimit,
	// WorkspaceFieldWorkspaceRateLimit. The name cannot be cleared.
	Clear []WorkspaceField
}

// WorkspaceField names a limit of a workspace that UpdateWorkspaceParams.Clear can return to the
// deployment's default.
type WorkspaceField string

// The limits of a workspace that can be cleared, named after the fields of Workspace and
// UpdateWorkspaceParams they clear.
const (
	WorkspaceFieldRateLimit          WorkspaceField = "rate_limit"
	WorkspaceFieldWorkspaceRateLimit WorkspaceField = "workspace_rate_limit"
)

func workspacePath(id string) string { return "/api/v1/maas/workspaces/" + url.PathEscape(id) }

// Create makes a workspace (in the deployment's only account when accountID is empty).
func (s *WorkspacesService) Create(ctx context.Context, name, accountID string) (*Workspace, error) {
	body := map[string]string{"name": name}
	if accountID != "" {
		body["account_id"] = accountID
	}
	var workspace Workspace
	if err := s.client.do(ctx, http.MethodPost, "/api/v1/maas/workspaces", nil, body, &workspace); err != nil {
		return nil, err
	}
	return &workspace, nil
}

// Get returns a workspace with the limits in force (the admin token, or a key of that workspace; a key
// of another workspace gets auth_forbidden). An empty id means CadreenConfig.WorkspaceID, else the API
// key's own workspace (ErrNoWorkspace with the admin token).
func (s *WorkspacesService) Get(ctx context.Context, id string) (*Workspace, error) {
	id, err := s.client.workspaceOrDefault(ctx, id)
	if err != nil {
		return nil, err
	}
	var workspace Workspace
	if err := s.client.do(ctx, http.MethodGet, workspacePath(id), nil, nil, &workspace); err != nil {
		return nil, err
	}
	return &workspace, nil
}

// Update renames a workspace, sets its limits or returns them to the deployment's default (admin
// token; an API key gets auth_forbidden). An empty id is resolved as in Get. A field both set and
// cleared, or one that cannot be cleared, is an invalid_request *Error returned before anything is sent.
func (s *WorkspacesService) Update(ctx context.Context, id string, params UpdateWorkspaceParams) (*Workspace, error) {
	body := map[string]interface{}{}
	if params.Name != nil {
		body["name"] = *params.Name
	}
	if params.RateLimit != nil {
		body["rate_limit"] = *params.RateLimit
	}
	if params.WorkspaceRateLimit != nil {
		body["workspace_rate_limit"] = *params.WorkspaceRateLimit
	}
	var problems []FieldProblem
	for _, field := range params.Clear {
		switch {
		case field != WorkspaceFieldRateLimit && field != WorkspaceFieldWorkspaceRateLimit:
			problems = append(problems, FieldProblem{Field: string(field), Message: "cannot be cleared (only rate_limit and workspace_rate_limit can)"})
		case hasValue(body, string(field)):
			problems = append(problems, FieldProblem{Field: string(field), Message: "both set and cleared"})
		default:
			body[string(field)] = nil
		}
	}
	if len(problems) > 0 {
		return nil, invalidParams(problems)
	}
	id, err := s.client.workspaceOrDefault(ctx, id)
	if err != nil {
		return nil, err
	}
	var workspace Workspace
	if err := s.client.do(ctx, http.MethodPatch, workspacePath(id), nil, body, &workspace); err != nil {
		return nil, err
	}
	return &workspace, nil
}

// List returns one page of workspaces (limit 0: the server's default).
func (s *WorkspacesService) List(ctx context.Context, limit int, cursor string) (*WorkspacePage, error) {
	query := url.Values{}
	if limit > 0 {
		query.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		query.Set("cursor", cursor)
	}
	var page WorkspacePage
	if err := s.client.do(ctx, http.MethodGet, "/api/v1/maas/workspaces", query, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAutoPaging walks every workspace across pages.
func (s *WorkspacesService) ListAutoPaging(ctx context.Context, limit int) *Iter[Workspace] {
	return newIter(func(cursor string) ([]Workspace, string, error) {
		page, err := s.List(ctx, limit, cursor)
		if err != nil {
			return nil, "", err
		}
		next := ""
		if page.NextCursor != nil {
			next = *page.NextCursor
		}
		return page.Workspaces, next, nil
	}, "")
}
