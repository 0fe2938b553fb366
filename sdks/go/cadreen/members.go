package cadreen

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MembersService manages the people of a workspace (/api/v1/maas/workspaces/{id}/members).
//
// Every call's params carry a WorkspaceID; left empty, it is CadreenConfig.WorkspaceID, else the API
// key's own workspace. Adding, changing and removing members takes an owner's session or the admin
// token; an API key or a plain member is refused with auth_forbidden.
type MembersService struct {
	client *Client
}

// AccountProfile is an actor of an account as the people API shows it: a person (PROFILE_TYPE_USER),
// an API key (PROFILE_TYPE_API_KEY) or the service itself (PROFILE_TYPE_SYSTEM).
type AccountProfile struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Type      string    `json:"type"`
	Name      *string   `json:"name"`
	Email     *string   `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// Member is a profile's membership of a workspace, with Role "owner" or "member".
type Member struct {
	Profile     AccountProfile `json:"profile"`
	WorkspaceID string         `json:"workspace_id"`
	Role        string         `json:"role"`
	CreatedAt   time.Time      `json:"created_at"`
}

// AddedMember is the answer to Add. SignInURL is the person's single-use sign-in link, valid for
// 15 minutes, set only when the server has no OpenID Connect provider configured.
type AddedMember struct {
	Member
	SignInURL string `json:"sign_in_url,omitempty"`
}

// MemberPage is one page of members, oldest membership first.
type MemberPage struct {
	Members    []Member `json:"members"`
	NextCursor *string  `json:"next_cursor"`
}

// Membership is one workspace the caller belongs to.
type Membership struct {
	WorkspaceID   string `json:"workspace_id"`
	WorkspaceName string `json:"workspace_name"`
	Role          string `json:"role"`
}

// Me is who the client's credential is; the admin token has no Profile and no Memberships.
type Me struct {
	Profile     *AccountProfile `json:"profile"`
	Memberships []Membership    `json:"memberships"`
}

// ListMembersParams pages a list; zero values are left out (Limit 1–100, default 50).
type ListMembersParams struct {
	WorkspaceID string
	Limit       int
	Cursor      string
}

// AddMemberParams names the person to add; Role is "owner" or "member", Name is optional.
type AddMemberParams struct {
	WorkspaceID string
	Email       string
	Name        string
	Role        string
}

// UpdateMemberParams sets a member's Role ("owner" or "member").
type UpdateMemberParams struct {
	WorkspaceID string
	Role        string
}

// RemoveMemberParams names the workspace to remove a member from.
type RemoveMemberParams struct {
	WorkspaceID string
}

// ErrNoWorkspace is returned by member calls that name no workspace when the client's credential has
// none of its own (the admin token): set the params' WorkspaceID or CadreenConfig.WorkspaceID.
var ErrNoWorkspace = errors.New("cadreen: no workspace: set WorkspaceID in the params or in CadreenConfig")

func (s *MembersService) path(ctx context.Context, workspaceID, profileID string) (string, error) {
	workspaceID, err := s.client.workspaceOrDefault(ctx, workspaceID)
	if err != nil {
		return "", err
	}
	path := "/api/v1/maas/workspaces/" + url.PathEscape(workspaceID) + "/members"
	if profileID != "" {
		path += "/" + url.PathEscape(profileID)
	}
	return path, nil
}

// List returns one page of members, oldest membership first.
func (s *MembersService) List(ctx context.Context, params ListMembersParams) (*MemberPage, error) {
	path, err := s.path(ctx, params.WorkspaceID, "")
	if err != nil {
		return nil, err
	}
	query := url.Values{}
	if params.Limit > 0 {
		query.Set("limit", strconv.Itoa(params.Limit))
	}
	if params.Cursor != "" {
		query.Set("cursor", params.Cursor)
	}
	var page MemberPage
	if err := s.client.do(ctx, http.MethodGet, path, query, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAutoPaging walks every member across pages.
func (s *MembersService) ListAutoPaging(ctx context.Context, params ListMembersParams) *Iter[Member] {
	return newIter(func(cursor string) ([]Member, string, error) {
		p := params
		if cursor != "" {
			p.Cursor = cursor
		}
		page, err := s.List(ctx, p)
		if err != nil {
			return nil, "", err
		}
		next := ""
		if page.NextCursor != nil {
			next = *page.NextCursor
		}
		return page.Members, next, nil
	}, params.Cursor)
}

// Add adds a person by email (inviting them to the account when they are new). An email already a
// member of the workspace is a conflict.
func (s *MembersService) Add(ctx context.Context, params AddMemberParams) (*AddedMember, error) {
	path, err := s.path(ctx, params.WorkspaceID, "")
	if err != nil {
		return nil, err
	}
	body := map[string]string{"email": params.Email, "role": params.Role}
	if params.Name != "" {
		body["name"] = params.Name
	}
	var member AddedMember
	if err := s.client.do(ctx, http.MethodPost, path, nil, body, &member); err != nil {
		return nil, err
	}
	return &member, nil
}

// Update changes a member's role; demoting the last owner is a conflict.
func (s *MembersService) Update(ctx context.Context, profileID string, params UpdateMemberParams) (*Member, error) {
	path, err := s.path(ctx, params.WorkspaceID, profileID)
	if err != nil {
		return nil, err
	}
	var member Member
	if err := s.client.do(ctx, http.MethodPatch, path, nil, map[string]string{"role": params.Role}, &member); err != nil {
		return nil, err
	}
	return &member, nil
}

// Remove removes a member and ends their sessions; removing the last owner is a conflict.
func (s *MembersService) Remove(ctx context.Context, profileID string, params RemoveMemberParams) error {
	path, err := s.path(ctx, params.WorkspaceID, profileID)
	if err != nil {
		return err
	}
	return s.client.do(ctx, http.MethodDelete, path, nil, nil, nil)
}

// Me says who the client's credential is: its profile and the workspaces it belongs to.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var me Me
	if err := c.do(ctx, http.MethodGet, "/api/v1/maas/me", nil, nil, &me); err != nil {
		return nil, err
	}
	return &me, nil
}
