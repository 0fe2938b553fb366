package cadreen

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
	CreatedAt   string            `json:"createdAt"`
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
	State       string `json:"state"`
	Start       string `json:"start"`
	LastUsedAt  string `json:"lastUsedAt,omitempty"`
	ExpiresAt   string `json:"expiresAt,omitempty"`
	RotatedFrom string `json:"rotatedFrom,omitempty"`
	RotatedTo   string `json:"rotatedTo,omitempty"`
	GraceUntil  string `json:"graceUntil,omitempty"`
	RevokedAt   string `json:"revokedAt,omitempty"`
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

// Verification is the answer of Verify.
type Verification struct {
	Valid       bool   `json:"valid"`
	Code        string `json:"code,omitempty"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	KeyID       string `json:"key_id,omitempty"`
	Status      string `json:"status,omitempty"`
	RateLimit   *struct {
		Limit     int `json:"limit"`
		Remaining int `json:"remaining"`
		Reset     int `json:"reset"`
	} `json:"ratelimit,omitempty"`
}

// EffectiveRateLimit is a limit in force and where it comes from ("workspace" or "default").
type EffectiveRateLimit struct {
	Limit         int    `json:"limit"`
	WindowSeconds int    `json:"window_seconds"`
	Source        string `json:"source"`
}

// Workspace is an isolation boundary; every key belongs to one.
type Workspace struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	// RateLimit is the limit of each key.
	RateLimit EffectiveRateLimit `json:"rate_limit"`
	// WorkspaceRateLimit is the budget all keys of the workspace share together.
	WorkspaceRateLimit EffectiveRateLimit `json:"workspace_rate_limit"`
}
