package cadreen

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// AuditEventsService reads the audit log of the caller's workspace (/v1/audit_events), newest first.
// With the admin token, CadreenConfig.WorkspaceID names the workspace.
type AuditEventsService struct {
	client *Client
}

// AuditEventType is what an audit event records.
type AuditEventType string

// The audit event types.
const (
	AuditKeyCreated       AuditEventType = "key.created"
	AuditKeyUpdated       AuditEventType = "key.updated"
	AuditKeyRotated       AuditEventType = "key.rotated"
	AuditKeyRevoked       AuditEventType = "key.revoked"
	AuditAuthRefused      AuditEventType = "auth.refused"
	AuditWorkspaceCreated AuditEventType = "workspace.created"
	AuditWorkspaceUpdated AuditEventType = "workspace.updated"
	AuditMemberAdded      AuditEventType = "member.added"
	AuditMemberUpdated    AuditEventType = "member.updated"
	AuditMemberRemoved    AuditEventType = "member.removed"
	AuditSessionCreated   AuditEventType = "session.created"
	AuditSessionEnded     AuditEventType = "session.ended"
)

// AuditActor is who acted (or whom a member.* event is about), in words where the profile has them.
type AuditActor struct {
	ProfileID string `json:"profileId"`
	// Type is PROFILE_TYPE_USER, PROFILE_TYPE_API_KEY or PROFILE_TYPE_SYSTEM, when the profile is known.
	Type  string `json:"type,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// AuditEvent is one entry of a workspace's audit log.
type AuditEvent struct {
	ID   string         `json:"id"`
	Type AuditEventType `json:"type"`
	// Actor is who acted; nil when the event has no actor.
	Actor *AuditActor `json:"actor,omitempty"`
	// Member is, on member.* events, the person added, changed or removed.
	Member         *AuditActor `json:"member,omitempty"`
	ActorProfileID string      `json:"actorProfileId,omitempty"`
	KeyID          string      `json:"keyId,omitempty"`
	// Code is, on auth.refused, the refusal's error code.
	Code      string    `json:"code,omitempty"`
	IP        string    `json:"ip,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// ListAuditEventsParams filters and pages the log; zero values are left out (Limit 1–500, default 50).
type ListAuditEventsParams struct {
	Cursor string
	Limit  int
	// Type keeps only the events of one type.
	Type AuditEventType
}

// AuditEventPage is one page of the log, newest first.
type AuditEventPage struct {
	Items      []AuditEvent `json:"items"`
	Pagination struct {
		NextCursor string `json:"nextCursor,omitempty"`
	} `json:"pagination"`
}

// List returns one page of the log, newest first.
func (s *AuditEventsService) List(ctx context.Context, params ListAuditEventsParams) (*AuditEventPage, error) {
	query := url.Values{}
	if params.Cursor != "" {
		query.Set("cursor", params.Cursor)
	}
	if params.Limit > 0 {
		query.Set("limit", strconv.Itoa(params.Limit))
	}
	if params.Type != "" {
		query.Set("type", string(params.Type))
	}
	var page AuditEventPage
	if err := s.client.do(ctx, http.MethodGet, "/v1/audit_events", query, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAutoPaging walks every event across pages, newest first.
func (s *AuditEventsService) ListAutoPaging(ctx context.Context, params ListAuditEventsParams) *Iter[AuditEvent] {
	return newIter(func(cursor string) ([]AuditEvent, string, error) {
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
