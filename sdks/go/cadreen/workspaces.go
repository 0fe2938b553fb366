package cadreen

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// WorkspacesService manages workspaces with the admin token.
type WorkspacesService struct {
	client *Client
}

// WorkspacePage is one page of workspaces.
type WorkspacePage struct {
	Workspaces []Workspace `json:"workspaces"`
	Count      int         `json:"count"`
	NextCursor *string     `json:"next_cursor"`
}

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
