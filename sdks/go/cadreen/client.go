// Package cadreen is the Go client for Cadreen, workspace-scoped API keys. Standard library only.
package cadreen

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is used when neither CadreenConfig.BaseURL nor CADREEN_BASE_URL is set.
const DefaultBaseURL = "http://127.0.0.1:8080"

// CadreenConfig configures a Client. Empty fields take their defaults.
type CadreenConfig struct {
	// APIKey is an API key or the admin token; defaults to CADREEN_API_KEY.
	APIKey string
	// BaseURL defaults to CADREEN_BASE_URL, then DefaultBaseURL.
	BaseURL string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// MaxRetries applies to 429, 503 and safe network failures; nil means 2.
	MaxRetries *int
	// WorkspaceID, with the admin token, names the workspace APIKeys and AuditEvents (and, by default,
	// Members) act on.
	WorkspaceID string
}

// Client calls the Cadreen API. It is safe for concurrent use.
type Client struct {
	APIKeys     *APIKeysService
	AuditEvents *AuditEventsService
	Workspaces  *WorkspacesService
	Members     *MembersService

	apiKey      string
	baseURL     string
	httpClient  *http.Client
	maxRetries  int
	workspaceID string

	mu             sync.Mutex
	ownWorkspaceID string
}

// ErrNoAPIKey is returned by NewClientE when no key was given or found in the environment.
var ErrNoAPIKey = errors.New("cadreen: no API key: set CadreenConfig.APIKey or CADREEN_API_KEY")

// NewClient returns a client for config. It panics when there is no API key; use NewClientE to get an error instead.
func NewClient(config CadreenConfig) *Client {
	client, err := NewClientE(config)
	if err != nil {
		panic(err)
	}
	return client
}

// NewClientE returns a client for config, or ErrNoAPIKey.
func NewClientE(config CadreenConfig) (*Client, error) {
	apiKey := config.APIKey
	if apiKey == "" {
		apiKey = os.Getenv("CADREEN_API_KEY")
	}
	if apiKey == "" {
		return nil, ErrNoAPIKey
	}
	baseURL := config.BaseURL
	if baseURL == "" {
		baseURL = os.Getenv("CADREEN_BASE_URL")
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	httpClient := config.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	maxRetries := 2
	if config.MaxRetries != nil {
		maxRetries = *config.MaxRetries
	}
	client := &Client{
		apiKey:      apiKey,
		baseURL:     strings.TrimRight(baseURL, "/"),
		httpClient:  httpClient,
		maxRetries:  maxRetries,
		workspaceID: config.WorkspaceID,
	}
	client.APIKeys = &APIKeysService{client: client}
	client.AuditEvents = &AuditEventsService{client: client}
	client.Workspaces = &WorkspacesService{client: client}
	client.Members = &MembersService{client: client}
	return client, nil
}

// workspaceOrDefault is id when a call names one; else CadreenConfig.WorkspaceID, else the API key's own
// workspace (asked of the server once), else ErrNoWorkspace.
func (c *Client) workspaceOrDefault(ctx context.Context, id string) (string, error) {
	if id != "" {
		return id, nil
	}
	if c.workspaceID != "" {
		return c.workspaceID, nil
	}
	c.mu.Lock()
	known := c.ownWorkspaceID
	c.mu.Unlock()
	if known != "" {
		return known, nil
	}
	health, err := c.Health(ctx)
	if err != nil {
		return "", err
	}
	if health.WorkspaceID == nil || *health.WorkspaceID == "" {
		return "", ErrNoWorkspace
	}
	c.mu.Lock()
	c.ownWorkspaceID = *health.WorkspaceID
	c.mu.Unlock()
	return *health.WorkspaceID, nil
}

// Int returns a pointer to v, for CadreenConfig.MaxRetries and optional parameters.
func Int(v int) *int { return &v }

// Health says which workspace and key the client's key is.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var health Health
	if err := c.do(ctx, http.MethodGet, "/api/v1/cadreen/health", nil, nil, &health); err != nil {
		return nil, err
	}
	return &health, nil
}

// Verify checks another key, for services that put Cadreen in front of their own API.
func (c *Client) Verify(ctx context.Context, key string) (*Verification, error) {
	var verification Verification
	body := map[string]string{"key": key}
	if err := c.do(ctx, http.MethodPost, "/api/v1/cadreen/keys/verify", nil, body, &verification); err != nil {
		return nil, err
	}
	return &verification, nil
}
