package cadreen

import "time"

// Times in results are time.Time, parsed from the API's RFC 3339 timestamps (in UTC, with
// milliseconds). A time the answer may leave out or set to null is a *time.Time, nil when absent.

// APIKey is a key as the API returns it: metadata, spec, status and (on request) info.
type APIKey struct {
	Metadata APIKeyMetadata `json:"metadata"`
	Spec     APIKeySpec     `json:"spec"`
	Status   APIKeyStatus   `json:"status"`
	Info     *APIKeyInfo    `json:"info,omitempty"`
}

// APIKeyMetadata identifies a key and where it belongs.
type APIKeyMetadata struct {
	ID          string            `json:"id"`
	AccountID   string            `json:"accountId"`
	CreatedAt   time.Time         `json:"createdAt"`
	Name        string            `json:"name"`
	ProfileID   string            `json:"profileId"`
	WorkspaceID string            `json:"workspaceId"`
	ExternalID  string            `json:"externalId,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// APIKeySpec holds the token (only in the answers to create and rotate) and the description.
type APIKeySpec struct {
	Token       string `json:"token,omitempty"`
	Description string `json:"description,omitempty"`
}

// APIKeyStatus is the key's state: ACTIVE, ROTATING, REVOKED or EXPIRED, and its times.
type APIKeyStatus struct {
	State string `json:"state"`
	// Start is the key's prefix and first characters, for display.
	Start       string     `json:"start"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	RotatedFrom string     `json:"rotatedFrom,omitempty"`
	RotatedTo   string     `json:"rotatedTo,omitempty"`
	// GraceUntil is the end of a rotated key's grace period.
	GraceUntil *time.Time `json:"graceUntil,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// APIKeyInfo is returned with IncludeInfo.
type APIKeyInfo struct {
	CreatedBy *Profile `json:"createdBy,omitempty"`
}

// Profile is the actor that created a key.
type Profile struct {
	Metadata struct {
		ID         string            `json:"id"`
		AccountID  string            `json:"accountId"`
		Name       string            `json:"name"`
		ProfileID  string            `json:"profileId"`
		ExternalID string            `json:"externalId,omitempty"`
		Labels     map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Type  string `json:"type"`
		Email string `json:"email,omitempty"`
		Name  string `json:"name,omitempty"`
	} `json:"spec"`
}

// Health says which workspace and key the client's key is.
type Health struct {
	Status      string  `json:"status"`
	WorkspaceID *string `json:"workspace_id"`
	KeyID       *string `json:"key_id"`
}

// Verification is the answer of Client.Verify and Verifier.Verify: the shape of POST /keys/verify.
type Verification struct {
	Valid       bool   `json:"valid"`
	Code        string `json:"code,omitempty"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	KeyID       string `json:"key_id,omitempty"`
	// Status is "active" or "rotating" (a rotated key within its grace period).
	Status    string           `json:"status,omitempty"`
	RateLimit *RateLimitStatus `json:"ratelimit,omitempty"`
	// ExpiresAt and GraceUntil (nil: none) bound how long a Verifier trusts a cached answer.
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	GraceUntil *time.Time `json:"grace_until,omitempty"`
	// RetryAfter (Verifier only) is the whole seconds, at least 1, until a rate_limited key may try again.
	RetryAfter int `json:"retry_after,omitempty"`
	// Warning (Verifier only) says the answer came from a cache the server could not confirm (FailOpen).
	Warning string `json:"warning,omitempty"`
}

// RateLimitStatus is the window of a key's limits closest to exhaustion.
type RateLimitStatus struct {
	Limit     int `json:"limit"`
	Remaining int `json:"remaining"`
	// Reset is the whole seconds until the window resets.
	Reset int `json:"reset"`
}

// EffectiveRateLimit is a limit in force and where it comes from ("workspace" or "default").
type EffectiveRateLimit struct {
	Limit         int    `json:"limit"`
	WindowSeconds int    `json:"window_seconds"`
	Source        string `json:"source"`
}

// Workspace is an isolation boundary; every key belongs to one.
type Workspace struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// RateLimit is the limit of each key.
	RateLimit EffectiveRateLimit `json:"rate_limit"`
	// WorkspaceRateLimit is the budget all keys of the workspace share together.
	WorkspaceRateLimit EffectiveRateLimit `json:"workspace_rate_limit"`
}
