package cadreen

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// VerifierConfig configures a Verifier. Empty fields take their defaults.
type VerifierConfig struct {
	// BaseURL of the Cadreen deployment; defaults to CADREEN_BASE_URL, then DefaultBaseURL.
	BaseURL string
	// Token is a verifier token (one of the server's CADREEN_VERIFIER_TOKENS) or the admin token;
	// defaults to CADREEN_VERIFIER_TOKEN.
	Token string
	// MaxStaleness is how long cached answers stay trusted after the event stream drops (default 5 s);
	// past it every verification asks the server. A negative value trusts nothing once the stream drops.
	MaxStaleness time.Duration
	// FailOpen answers from the cache (even a stale entry) when the server cannot be reached, with
	// Verification.Warning set, instead of a service_unavailable error. Keys never seen still fail.
	FailOpen bool
	// CacheSize is how many keys are remembered, least recently used out first (default 10 000).
	CacheSize int
	// KeyPrefix is the deployment's key prefix (its CADREEN_KEY_PREFIX); default DefaultKeyPrefix.
	KeyPrefix string
	// HTTPClient sends verify and lease calls (default: a client with a 10 s timeout). The event
	// stream uses its Transport, without the timeout.
	HTTPClient *http.Client
	// OnEvent, when set, hears what the verifier goes through: VerifierConnected, VerifierDisconnected,
	// VerifierReset and VerifierWarning. It is called from the verifier's goroutines and must not block.
	OnEvent func(VerifierEvent)
}

// Kinds of VerifierEvent.
const (
	// VerifierConnected: the event stream is up and caught up; cached answers are trusted.
	VerifierConnected = "connected"
	// VerifierDisconnected: the stream dropped; cached answers are trusted for MaxStaleness more.
	VerifierDisconnected = "disconnected"
	// VerifierReset: the server could not replay what was missed; the whole cache was dropped.
	VerifierReset = "reset"
	// VerifierWarning: an answer served from an unconfirmed cache (FailOpen), or a stream the server refused.
	VerifierWarning = "warning"
)

// VerifierEvent is one thing a Verifier went through; see VerifierConfig.OnEvent.
type VerifierEvent struct {
	Type string
	// Message says what happened, for a log line (never a key).
	Message string
	// LastEventID is the id of the newest change the verifier has applied.
	LastEventID int64
}

const (
	defaultMaxStaleness = 5 * time.Second
	defaultCacheSize    = 10000
	// An unknown key stays unknown, so its refusal is remembered briefly to spare the server.
	invalidKeyMemory = 10 * time.Second
)

// Verifier answers "which workspace does this key belong to?" inside your own API: from memory when it
// can (format check, SHA-256, cache, a leased share of the key's rate limit), from the server when it
// must. An event stream from the server drops cached keys the moment they are revoked, rotated or
// changed. It is safe for concurrent use; Close stops it.
type Verifier struct {
	baseURL      string
	token        string
	maxStaleness time.Duration
	failOpen     bool
	cacheSize    int
	keyPrefix    string
	httpClient   *http.Client
	streamClient *http.Client
	onEvent      func(VerifierEvent)

	mu sync.Mutex
	// entries and lru hold at most cacheSize entries; byKeyID finds a valid entry by its key's id.
	entries map[[sha256.Size]byte]*cacheEntry
	byKeyID map[string]*cacheEntry
	lru     *list.List
	// asking holds the verify calls in flight for keys missing from the cache.
	asking map[[sha256.Size]byte]*pendingAnswer
	// epoch grows with every change heard on the stream; an answer asked for before a change is not cached.
	epoch uint64
	// connected says the stream is up and caught up; otherwise disconnectedAt is when it was last heard.
	connected      bool
	disconnectedAt time.Time
	// lastEventID is the id of the newest change applied from the stream.
	lastEventID atomic.Int64

	stop      context.CancelFunc
	stopped   chan struct{}
	closeOnce sync.Once
}

// cacheEntry is what the verifier remembers of one key.
type cacheEntry struct {
	hash    [sha256.Size]byte
	element *list.Element
	// answer is a valid verification, or an auth_invalid refusal until invalidUntil.
	answer       Verification
	invalidUntil time.Time
	// trustUntil is min(expires_at, grace_until); zero when neither is set.
	trustUntil time.Time

	// units were leased and are this verifier's to spend, one per admitted request, until leaseEnds
	// (when the window they were charged to resets).
	units     int
	leaseEnds time.Time
	// limit and remaining are the key's window as last seen; it resets at windowReset.
	limit       int
	remaining   int
	windowReset time.Time
	// exhaustedUntil is set when a lease came back empty: the window is spent until then.
	exhaustedUntil time.Time
	// leasing lets one caller at a time fetch a lease for this key.
	leasing sync.Mutex
}

// ErrNoVerifierToken is returned by NewVerifierE when neither VerifierConfig.Token nor
// CADREEN_VERIFIER_TOKEN is set.
var ErrNoVerifierToken = errors.New("cadreen: no verifier token: set VerifierConfig.Token or CADREEN_VERIFIER_TOKEN")

// NewVerifier returns a running Verifier for config; it panics without a token (NewVerifierE returns
// ErrNoVerifierToken instead). It subscribes to the server's event stream at once; call Close when done.
func NewVerifier(config VerifierConfig) *Verifier {
	verifier, err := NewVerifierE(config)
	if err != nil {
		panic(err)
	}
	return verifier
}

// NewVerifierE returns a running Verifier for config, or ErrNoVerifierToken.
func NewVerifierE(config VerifierConfig) (*Verifier, error) {
	token := config.Token
	if token == "" {
		token = os.Getenv("CADREEN_VERIFIER_TOKEN")
	}
	if token == "" {
		return nil, ErrNoVerifierToken
	}
	baseURL := config.BaseURL
	if baseURL == "" {
		baseURL = os.Getenv("CADREEN_BASE_URL")
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	maxStaleness := config.MaxStaleness
	if maxStaleness == 0 {
		maxStaleness = defaultMaxStaleness
	}
	cacheSize := config.CacheSize
	if cacheSize <= 0 {
		cacheSize = defaultCacheSize
	}
	keyPrefix := config.KeyPrefix
	if keyPrefix == "" {
		keyPrefix = DefaultKeyPrefix
	}
	httpClient := config.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, stop := context.WithCancel(context.Background())
	v := &Verifier{
		baseURL:      strings.TrimRight(baseURL, "/"),
		token:        token,
		maxStaleness: maxStaleness,
		failOpen:     config.FailOpen,
		cacheSize:    cacheSize,
		keyPrefix:    keyPrefix,
		httpClient:   httpClient,
		streamClient: &http.Client{Transport: httpClient.Transport},
		onEvent:      config.OnEvent,
		entries:      map[[sha256.Size]byte]*cacheEntry{},
		byKeyID:      map[string]*cacheEntry{},
		asking:       map[[sha256.Size]byte]*pendingAnswer{},
		lru:          list.New(),
		stop:         stop,
		stopped:      make(chan struct{}),
	}
	go v.follow(ctx)
	return v, nil
}

// Close stops the event stream and waits for its goroutine. Verify still works afterwards, asking the
// server every time: without the stream nothing cached is trusted.
func (v *Verifier) Close() {
	v.closeOnce.Do(func() {
		v.stop()
		<-v.stopped
		v.mu.Lock()
		v.connected, v.disconnectedAt = false, time.Time{}
		v.mu.Unlock()
	})
}

// Connected reports whether the event stream is up and caught up.
func (v *Verifier) Connected() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.connected
}

// LastEventID is the id of the newest change the verifier has applied from the event stream: once it
// reaches the id of a revocation, that key is refused.
func (v *Verifier) LastEventID() int64 { return v.lastEventID.Load() }

// Verify checks headerOrKey — an Authorization header value ("Bearer <key>") or the bare key — and
// answers as POST /keys/verify does. A refusal (auth_missing, auth_invalid, auth_revoked,
// auth_rotating, rate_limited with RetryAfter) is a Verification with Valid false, not an error.
// The error is a *Error: service_unavailable when the server is needed and cannot be reached (unless
// FailOpen finds a cached answer), or what the server answered the verifier's own token.
func (v *Verifier) Verify(ctx context.Context, headerOrKey string) (*Verification, error) {
	key := bearerKey(headerOrKey)
	if key == "" {
		return &Verification{Code: "auth_missing"}, nil
	}
	if !HasValidKeyFormat(key, v.keyPrefix) {
		return &Verification{Code: "auth_invalid"}, nil
	}
	return v.verify(ctx, key, sha256.Sum256([]byte(key)), true)
}

// verify answers for a well-formed key. Callers that miss a key another caller is asking the server
// about wait for that answer (mayWait) and then spend from the lease it leads to, instead of each
// asking (and being charged) on their own.
func (v *Verifier) verify(ctx context.Context, key string, hash [sha256.Size]byte, mayWait bool) (*Verification, error) {
	now := time.Now()
	v.mu.Lock()
	entry := v.entries[hash]
	if entry != nil && entry.outlived(now) {
		v.removeLocked(entry)
		entry = nil
	}
	if entry != nil && !entry.answer.Valid {
		// An unknown key stays unknown whether or not the stream is up.
		answer := entry.answer
		v.lru.MoveToFront(entry.element)
		v.mu.Unlock()
		return &answer, nil
	}
	trusted := v.trustedLocked(now)
	if entry != nil && trusted {
		v.lru.MoveToFront(entry.element)
		if answer, done := entry.spendLocked(now); done {
			v.mu.Unlock()
			return answer, nil
		}
		v.mu.Unlock()
		return v.lease(ctx, key, entry)
	}
	epoch := v.epoch
	pending := v.asking[hash]
	if !trusted || (pending != nil && !mayWait) {
		// Stale: every verification asks the server.
		v.mu.Unlock()
		return v.ask(ctx, key, hash, epoch)
	}
	if pending != nil {
		v.mu.Unlock()
		select {
		case <-pending.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if pending.err == nil && !pending.answer.Valid {
			answer := *pending.answer
			return &answer, nil
		}
		if pending.err != nil && !errors.Is(pending.err, context.Canceled) && !errors.Is(pending.err, context.DeadlineExceeded) {
			return nil, pending.err
		}
		return v.verify(ctx, key, hash, false)
	}
	asking := &pendingAnswer{done: make(chan struct{})}
	v.asking[hash] = asking
	v.mu.Unlock()
	asking.answer, asking.err = v.ask(ctx, key, hash, epoch)
	v.mu.Lock()
	delete(v.asking, hash)
	v.mu.Unlock()
	close(asking.done)
	return asking.answer, asking.err
}

// pendingAnswer is a verify call in flight, which other callers missing the same key wait for.
type pendingAnswer struct {
	done   chan struct{}
	answer *Verification
	err    error
}

// bearerKey takes the key out of "Bearer <key>", or returns the value itself when it has no scheme.
func bearerKey(headerOrKey string) string {
	value := strings.TrimSpace(headerOrKey)
	if strings.EqualFold(value, "bearer") {
		return ""
	}
	if len(value) > 7 && strings.EqualFold(value[:7], "bearer ") {
		return strings.TrimSpace(value[7:])
	}
	return value
}

// outlived reports an entry past its expiry or grace period, or a remembered refusal past its time.
func (e *cacheEntry) outlived(now time.Time) bool {
	if !e.answer.Valid {
		return !now.Before(e.invalidUntil)
	}
	return !e.trustUntil.IsZero() && !now.Before(e.trustUntil)
}

// spendLocked answers from the entry's lease when it can: one unit spent, or the window known spent.
func (e *cacheEntry) spendLocked(now time.Time) (*Verification, bool) {
	if !now.Before(e.leaseEnds) {
		// Units leased in a window that has reset are not the new window's to spend.
		e.units = 0
	}
	if !now.Before(e.windowReset) {
		e.remaining = e.limit
	}
	if e.units > 0 {
		e.units--
		return e.admitted(), true
	}
	if now.Before(e.exhaustedUntil) {
		return rateLimited(e.answer, e.exhaustedUntil.Sub(now)), true
	}
	return nil, false
}

// admitted is a copy of the entry's answer for one caller (who may change it without touching the cache).
func (e *cacheEntry) admitted() *Verification {
	answer := e.answer
	if answer.RateLimit != nil {
		window := *answer.RateLimit
		answer.RateLimit = &window
	}
	return &answer
}

// leaseSize is what to ask for: a tenth of the limit, never more than was last seen left, at least 1.
func (e *cacheEntry) leaseSize() int {
	size := e.limit / 10
	if e.remaining < size {
		size = e.remaining
	}
	if size < 1 {
		size = 1
	}
	return size
}

// trustedLocked reports whether cached answers may be used: the stream is up, or dropped less than
// maxStaleness ago.
func (v *Verifier) trustedLocked(now time.Time) bool {
	return v.connected || (!v.disconnectedAt.IsZero() && now.Sub(v.disconnectedAt) < v.maxStaleness)
}

// rateLimited is the refusal of a key whose window is spent for another wait.
func rateLimited(of Verification, wait time.Duration) *Verification {
	seconds := int((wait + time.Second - 1) / time.Second)
	if seconds < 1 {
		seconds = 1
	}
	return &Verification{Code: "rate_limited", WorkspaceID: of.WorkspaceID, KeyID: of.KeyID, Status: of.Status, RateLimit: of.RateLimit, RetryAfter: seconds}
}

// ask verifies the key with the server and remembers the answer, unless a change was heard meanwhile
// (the answer may predate it).
func (v *Verifier) ask(ctx context.Context, key string, hash [sha256.Size]byte, epoch uint64) (*Verification, error) {
	var answer Verification
	err := v.post(ctx, "/api/v1/cadreen/keys/verify", map[string]string{"key": key}, &answer)
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	entry := v.entries[hash]
	if err != nil {
		return v.unreachableLocked(ctx, err, entry)
	}
	switch {
	case answer.Valid:
		if v.epoch == epoch {
			v.rememberLocked(hash, answer, now)
		}
	case answer.Code == "auth_invalid":
		if entry != nil {
			v.removeLocked(entry)
		}
		v.insertLocked(&cacheEntry{hash: hash, answer: Verification{Code: "auth_invalid"}, invalidUntil: now.Add(invalidKeyMemory)})
	case answer.Code == "rate_limited":
		answer.RetryAfter = 1
		if answer.RateLimit != nil && answer.RateLimit.Reset > 1 {
			answer.RetryAfter = answer.RateLimit.Reset
		}
		if entry != nil && entry.answer.Valid {
			entry.units = 0
			entry.exhaustedUntil = now.Add(time.Duration(answer.RetryAfter) * time.Second)
		}
	default:
		if entry != nil {
			v.removeLocked(entry)
		}
	}
	return &answer, nil
}

// lease admits a request on a trusted entry whose leased units are spent: it fetches the next lease
// (one caller at a time per key) and spends one unit of it.
func (v *Verifier) lease(ctx context.Context, key string, entry *cacheEntry) (*Verification, error) {
	entry.leasing.Lock()
	defer entry.leasing.Unlock()
	now := time.Now()
	v.mu.Lock()
	if v.entries[entry.hash] != entry || !v.trustedLocked(now) {
		// Dropped (a change was heard) or no longer trusted while waiting: the server decides.
		epoch := v.epoch
		v.mu.Unlock()
		return v.ask(ctx, key, entry.hash, epoch)
	}
	if answer, done := entry.spendLocked(now); done {
		v.mu.Unlock()
		return answer, nil
	}
	units := entry.leaseSize()
	keyID := entry.answer.KeyID
	v.mu.Unlock()

	var granted struct {
		Granted int `json:"granted"`
		Limit   int `json:"limit"`
		Reset   int `json:"reset"`
	}
	err := v.post(ctx, "/api/v1/cadreen/keys/leases", map[string]interface{}{"key_id": keyID, "units": units}, &granted)
	now = time.Now()
	v.mu.Lock()
	if err != nil && IsNotFound(err) {
		// Revoked, rotated out or expired since it was cached: the server says which.
		v.removeLocked(entry)
		epoch := v.epoch
		v.mu.Unlock()
		return v.ask(ctx, key, entry.hash, epoch)
	}
	if err != nil {
		defer v.mu.Unlock()
		return v.unreachableLocked(ctx, err, v.entries[entry.hash])
	}
	entry.limit = granted.Limit
	entry.windowReset = now.Add(time.Duration(granted.Reset) * time.Second)
	entry.leaseEnds = entry.windowReset
	if granted.Granted == 0 {
		entry.remaining = 0
		entry.exhaustedUntil = now.Add(time.Duration(granted.Reset) * time.Second)
		answer := rateLimited(entry.answer, entry.exhaustedUntil.Sub(now))
		v.mu.Unlock()
		return answer, nil
	}
	if granted.Granted < units {
		entry.remaining = 0
	} else {
		entry.remaining -= granted.Granted
	}
	entry.units += granted.Granted - 1
	answer := entry.admitted()
	if v.entries[entry.hash] != entry {
		// A change to this key was heard during the call: the units are lost, and this request is not
		// admitted on an answer the change may have overruled.
		epoch := v.epoch
		v.mu.Unlock()
		return v.ask(ctx, key, entry.hash, epoch)
	}
	v.mu.Unlock()
	return answer, nil
}

// unreachableLocked turns a failed call into the verifier's answer: with FailOpen, a cached valid answer
// (with a warning); else service_unavailable for a server that could not be reached or answered 5xx,
// and the server's own error otherwise (say, a token it refuses).
func (v *Verifier) unreachableLocked(ctx context.Context, err error, entry *cacheEntry) (*Verification, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) || (apiErr.Status != 0 && apiErr.Status < 500) {
		return nil, err
	}
	if v.failOpen && entry != nil && entry.answer.Valid {
		answer := entry.admitted()
		answer.Warning = "the server could not confirm this key; answered from the cache (FailOpen)"
		v.emit(VerifierEvent{Type: VerifierWarning, Message: answer.Warning + ": " + apiErr.Message})
		return answer, nil
	}
	return nil, &Error{
		Code:       "service_unavailable",
		Status:     http.StatusServiceUnavailable,
		Message:    "the key could not be verified: " + apiErr.Message,
		RetryAfter: 1,
		cause:      err,
	}
}

// rememberLocked caches a valid answer. What was known of the same key is updated in place, so that
// units leased meanwhile by other callers are kept.
func (v *Verifier) rememberLocked(hash [sha256.Size]byte, answer Verification, now time.Time) {
	var trustUntil time.Time
	for _, bound := range []*time.Time{answer.ExpiresAt, answer.GraceUntil} {
		if bound == nil {
			continue
		}
		at := *bound
		if at.IsZero() {
			at = now // a bound without a time is not trusted at all
		}
		if trustUntil.IsZero() || at.Before(trustUntil) {
			trustUntil = at
		}
	}
	entry := v.entries[hash]
	if entry != nil && (!entry.answer.Valid || entry.answer.KeyID != answer.KeyID) {
		v.removeLocked(entry)
		entry = nil
	}
	if !trustUntil.IsZero() && !now.Before(trustUntil) {
		if entry != nil {
			v.removeLocked(entry)
		}
		return
	}
	if entry == nil {
		entry = &cacheEntry{hash: hash}
		entry.answer = answer
		v.insertLocked(entry)
	} else {
		v.lru.MoveToFront(entry.element)
	}
	entry.answer = answer
	entry.trustUntil = trustUntil
	entry.exhaustedUntil = time.Time{}
	entry.limit, entry.remaining, entry.windowReset = 1, 0, now
	if answer.RateLimit != nil {
		entry.limit = answer.RateLimit.Limit
		entry.remaining = answer.RateLimit.Remaining
		entry.windowReset = now.Add(time.Duration(answer.RateLimit.Reset) * time.Second)
	}
}

func (v *Verifier) insertLocked(entry *cacheEntry) {
	entry.element = v.lru.PushFront(entry)
	v.entries[entry.hash] = entry
	if entry.answer.Valid {
		if old := v.byKeyID[entry.answer.KeyID]; old != nil && old != entry {
			v.removeLocked(old)
		}
		v.byKeyID[entry.answer.KeyID] = entry
	}
	for v.lru.Len() > v.cacheSize {
		v.removeLocked(v.lru.Back().Value.(*cacheEntry))
	}
}

func (v *Verifier) removeLocked(entry *cacheEntry) {
	if v.entries[entry.hash] != entry {
		return
	}
	v.lru.Remove(entry.element)
	delete(v.entries, entry.hash)
	if entry.answer.Valid && v.byKeyID[entry.answer.KeyID] == entry {
		delete(v.byKeyID, entry.answer.KeyID)
	}
}

// dropKey forgets one key after a change to it.
func (v *Verifier) dropKey(keyID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.epoch++
	if entry := v.byKeyID[keyID]; entry != nil {
		v.removeLocked(entry)
	}
}

// dropWorkspace forgets every key of a workspace whose limits may have changed.
func (v *Verifier) dropWorkspace(workspaceID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.epoch++
	for element := v.lru.Front(); element != nil; {
		next := element.Next()
		if entry := element.Value.(*cacheEntry); entry.answer.Valid && entry.answer.WorkspaceID == workspaceID {
			v.removeLocked(entry)
		}
		element = next
	}
}

// dropAll forgets every valid answer (unknown keys stay unknown).
func (v *Verifier) dropAll() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.epoch++
	for _, entry := range v.byKeyID {
		v.removeLocked(entry)
	}
}

// CacheLen is how many keys the verifier remembers, valid or unknown.
func (v *Verifier) CacheLen() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lru.Len()
}

func (v *Verifier) emit(event VerifierEvent) {
	if v.onEvent != nil {
		v.onEvent(event)
	}
}

// post sends one JSON call with the verifier's token, once: a verifier answers its caller now or not at all.
func (v *Verifier) post(ctx context.Context, path string, body, out interface{}) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, v.baseURL+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	request.Header.Set("Authorization", "Bearer "+v.token)
	request.Header.Set("Accept", "application/json")
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("User-Agent", "cadreen-sdk-go/0.1.0 verifier")
	response, err := v.httpClient.Do(request)
	if err != nil {
		return &Error{Code: "connection_error", Message: fmt.Sprintf("could not reach %s: %v", v.baseURL, err), cause: err}
	}
	defer response.Body.Close()
	data, err := io.ReadAll(response.Body)
	if err != nil {
		return &Error{Code: "connection_error", Message: err.Error(), cause: err}
	}
	if response.StatusCode >= 300 {
		return errorFromResponse(response.StatusCode, data, parseRetryAfter(response.Header.Get("Retry-After")))
	}
	return json.Unmarshal(data, out)
}
