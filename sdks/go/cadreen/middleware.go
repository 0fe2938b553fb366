package cadreen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

type verificationKey struct{}

// Middleware verifies each request's Authorization header with v. An admitted request reaches next
// with its Verification in the context (FromContext); a refused one is answered with Cadreen's error
// body {"error":{"code","message","request_id"}}: 401 for auth_*, 429 rate_limited with Retry-After,
// 503 service_unavailable with Retry-After: 1 when the server was needed and could not be reached.
func Middleware(v *Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			result, err := v.Verify(r.Context(), r.Header.Get("Authorization"))
			switch {
			case err != nil:
				var apiErr *Error
				if errors.As(err, &apiErr) && apiErr.Code == "service_unavailable" {
					writeRefusal(w, "service_unavailable", 1)
				} else if r.Context().Err() != nil {
					return // the caller went away
				} else {
					// The verifier's own token was refused, or the server answered something unexpected:
					// the caller's key is not to blame.
					writeRefusal(w, "internal_error", 0)
				}
			case !result.Valid:
				writeRefusal(w, result.Code, result.RetryAfter)
			default:
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), verificationKey{}, result)))
			}
		})
	}
}

// FromContext returns the Verification Middleware admitted the request with, or nil outside it.
func FromContext(ctx context.Context) *Verification {
	verification, _ := ctx.Value(verificationKey{}).(*Verification)
	return verification
}

var refusalMessages = map[string]string{
	"auth_missing":        "missing API key: send 'Authorization: Bearer <key>'",
	"auth_invalid":        "invalid API key",
	"auth_revoked":        "API key has been revoked",
	"auth_rotating":       "API key was rotated; use the new key",
	"rate_limited":        "too many requests for this API key; retry after the Retry-After header",
	"service_unavailable": "the API key could not be verified right now; retry after the Retry-After header",
	"internal_error":      "the API key could not be verified",
}

// refusalStatus is the HTTP status of a refusal code, as DESIGN §3 gives it.
func refusalStatus(code string) int {
	switch code {
	case "auth_missing", "auth_invalid", "auth_revoked", "auth_rotating":
		return http.StatusUnauthorized
	case "auth_forbidden":
		return http.StatusForbidden
	case "rate_limited":
		return http.StatusTooManyRequests
	case "service_unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeRefusal answers with Cadreen's error body and headers.
func writeRefusal(w http.ResponseWriter, code string, retryAfter int) {
	status := refusalStatus(code)
	message, ok := refusalMessages[code]
	if !ok {
		message = "request refused"
	}
	requestID := newRequestID()
	header := w.Header()
	header.Set("Content-Type", "application/json; charset=utf-8")
	header.Set("Cache-Control", "no-store")
	header.Set("Request-Id", requestID)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if retryAfter < 1 {
			retryAfter = 1
		}
		header.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	if status == http.StatusUnauthorized {
		header.Set("WWW-Authenticate", "Bearer")
	}
	w.WriteHeader(status)
	body := map[string]map[string]string{"error": {"code": code, "message": message, "request_id": requestID}}
	_ = json.NewEncoder(w).Encode(body)
}

// newRequestID is "req_" and 32 random hex digits, as the server's ids are.
func newRequestID() string {
	var id [16]byte
	_, _ = rand.Read(id[:])
	return "req_" + hex.EncodeToString(id[:])
}
