package cadreen

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrorCodes are the stable codes the Cadreen API answers with, in the server's registry order.
var ErrorCodes = []string{
	"auth_missing",
	"auth_invalid",
	"auth_revoked",
	"auth_rotating",
	"auth_forbidden",
	"rate_limited",
	"invalid_request",
	"not_found",
	"conflict",
	"payload_too_large",
	"service_unavailable",
	"internal_error",
	"quota_exceeded",
	"method_not_allowed",
	"request_timeout",
	"uri_too_long",
	"headers_too_large",
}

// Family groups error codes by what a caller does about them.
type Family string

const (
	FamilyAuthentication Family = "authentication"
	FamilyPermission     Family = "permission"
	FamilyNotFound       Family = "not_found"
	FamilyConflict       Family = "conflict"
	FamilyInvalidRequest Family = "invalid_request"
	FamilyRateLimit      Family = "rate_limit"
	FamilyUnavailable    Family = "unavailable"
	FamilyInternal       Family = "internal"
	FamilyConnection     Family = "connection"
)

var familyOf = map[string]Family{
	"auth_missing":        FamilyAuthentication,
	"auth_invalid":        FamilyAuthentication,
	"auth_revoked":        FamilyAuthentication,
	"auth_rotating":       FamilyAuthentication,
	"auth_forbidden":      FamilyPermission,
	"rate_limited":        FamilyRateLimit,
	"invalid_request":     FamilyInvalidRequest,
	"payload_too_large":   FamilyInvalidRequest,
	"not_found":           FamilyNotFound,
	"conflict":            FamilyConflict,
	"service_unavailable": FamilyUnavailable,
	"internal_error":      FamilyInternal,
	"quota_exceeded":      FamilyPermission,
	"method_not_allowed":  FamilyInvalidRequest,
	"request_timeout":     FamilyConnection,
	"uri_too_long":        FamilyInvalidRequest,
	"headers_too_large":   FamilyInvalidRequest,
	"connection_error":    FamilyConnection,
	"timeout":             FamilyConnection,
}

// FieldProblem names one invalid field of a request.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is every error the client returns; match it with errors.As.
// Code is stable (program against it); Message is for people.
type Error struct {
	Code       string
	Status     int
	RequestID  string
	Message    string
	Details    []FieldProblem
	RetryAfter int // seconds the server asked to wait (Retry-After, sent with 429 and 503); 0 when it did not say
	cause      error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("cadreen: %s (%d): %s", e.Code, e.Status, e.Message)
	}
	return fmt.Sprintf("cadreen: %s: %s", e.Code, e.Message)
}

// Unwrap returns the network error behind a connection error.
func (e *Error) Unwrap() error { return e.cause }

// Family says which kind of failure this is.
func (e *Error) Family() Family {
	if family, ok := familyOf[e.Code]; ok {
		return family
	}
	switch {
	case e.Status == 401:
		return FamilyAuthentication
	case e.Status == 403:
		return FamilyPermission
	case e.Status == 404:
		return FamilyNotFound
	case e.Status >= 500:
		return FamilyInternal
	}
	return FamilyInvalidRequest
}

func familyIs(err error, family Family) bool {
	var e *Error
	return errors.As(err, &e) && e.Family() == family
}

// IsAuthentication reports a missing, unknown, expired, revoked or rotated key.
func IsAuthentication(err error) bool { return familyIs(err, FamilyAuthentication) }

// IsPermissionDenied reports a key acting outside its workspace or on an admin route (auth_forbidden),
// or a workspace that already holds its quota of keys (quota_exceeded).
func IsPermissionDenied(err error) bool { return familyIs(err, FamilyPermission) }

// IsNotFound reports a resource that is not in the caller's workspace.
func IsNotFound(err error) bool { return familyIs(err, FamilyNotFound) }

// IsConflict reports a call the resource's state does not allow.
func IsConflict(err error) bool { return familyIs(err, FamilyConflict) }

// IsInvalidRequest reports a request that is wrong in itself and will not succeed if sent again:
// 400 (see Error.Details), 405 method_not_allowed, 413 payload_too_large, 414 uri_too_long,
// 431 headers_too_large.
func IsInvalidRequest(err error) bool { return familyIs(err, FamilyInvalidRequest) }

// IsRateLimited reports a key or workspace over its rate limit (see Error.RetryAfter).
func IsRateLimited(err error) bool { return familyIs(err, FamilyRateLimit) }

// IsUnavailable reports a service that cannot use its store right now; nothing was written
// (see Error.RetryAfter).
func IsUnavailable(err error) bool { return familyIs(err, FamilyUnavailable) }

// IsConnection reports a failed exchange: a server that could not be reached or did not answer in
// time (Status 0), or a 408 request_timeout (the server did not receive the whole request in time).
func IsConnection(err error) bool { return familyIs(err, FamilyConnection) }

// invalidParams is the error of params refused before anything is sent: invalid_request (Status 0),
// with one FieldProblem per field at fault.
func invalidParams(problems []FieldProblem) *Error {
	message := fmt.Sprintf("%s: %s; nothing was sent", problems[0].Field, problems[0].Message)
	return &Error{Code: "invalid_request", Message: message, Details: problems}
}

// errorFromResponse builds the Error of an API error answer.
func errorFromResponse(status int, body []byte, retryAfter int) *Error {
	var parsed struct {
		Error struct {
			Code      string         `json:"code"`
			Message   string         `json:"message"`
			RequestID string         `json:"request_id"`
			Details   []FieldProblem `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &parsed)
	e := &Error{
		Code:       parsed.Error.Code,
		Status:     status,
		RequestID:  parsed.Error.RequestID,
		Message:    parsed.Error.Message,
		Details:    parsed.Error.Details,
		RetryAfter: retryAfter,
	}
	if e.Code == "" {
		e.Code = codeForStatus(status)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("HTTP %d", status)
	}
	return e
}

// codeForStatus is the code an answer without our error body stands for (a proxy's page, a server shutting down).
func codeForStatus(status int) string {
	switch status {
	case 401:
		return "auth_invalid"
	case 403:
		return "auth_forbidden"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 408:
		return "request_timeout"
	case 413:
		return "payload_too_large"
	case 414:
		return "uri_too_long"
	case 429:
		return "rate_limited"
	case 431:
		return "headers_too_large"
	case 503:
		return "service_unavailable"
	}
	if status >= 500 {
		return "internal_error"
	}
	return "invalid_request"
}
