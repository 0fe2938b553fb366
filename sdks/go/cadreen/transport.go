package cadreen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// backoff is the wait before retry number attempt: 0.5 s, 1 s, 2 s … capped at 8 s, with ±25 % jitter.
func backoff(attempt int) time.Duration {
	base := math.Min(8, 0.5*math.Pow(2, float64(attempt)))
	return time.Duration(base * (0.75 + rand.Float64()*0.5) * float64(time.Second))
}

// parseRetryAfter reads whole seconds from a Retry-After header; 0 when absent or not a number.
func parseRetryAfter(value string) int {
	seconds, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || seconds < 0 {
		return 0
	}
	return seconds
}

// MaxRetryAfter is the longest Retry-After the client waits out; with a longer one the error is
// returned to the caller at once.
const MaxRetryAfter = 60 * time.Second

// retryDelay is how long to wait before retrying an error answer, and whether to retry at all.
// 429 and 503 are refused before anything is written, so any call may be retried; a 408 (the server
// did not receive the whole request in time) only when the call is idempotent. The server's
// Retry-After is honoured up to MaxRetryAfter; beyond that the error is the caller's to handle.
func retryDelay(status int, method string, retryAfter int, attempt int) (time.Duration, bool) {
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
	case status == http.StatusRequestTimeout && idempotent(method):
	default:
		return 0, false
	}
	if retryAfter <= 0 {
		return backoff(attempt), true
	}
	wait := time.Duration(retryAfter) * time.Second
	return wait, wait <= MaxRetryAfter
}

// neverSent reports a network failure that proves the request never reached the server.
func neverSent(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodPatch || method == http.MethodDelete
}

// do sends one API call and decodes its JSON answer into out (when not nil). It retries where safe:
// error answers as retryDelay says; network failures for idempotent methods, or for any method when
// the connection was refused.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out interface{}) error {
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		retriesLeft := attempt < c.maxRetries
		request, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		request.Header.Set("Authorization", "Bearer "+c.apiKey)
		request.Header.Set("Accept", "application/json")
		request.Header.Set("User-Agent", "cadreen-sdk-go/0.1.0")
		if body != nil {
			request.Header.Set("Content-Type", "application/json")
		}
		if c.workspaceID != "" {
			request.Header.Set("X-Cadreen-Workspace-Id", c.workspaceID)
		}
		response, err := c.httpClient.Do(request)
		if err != nil {
			if ctx.Err() == nil && retriesLeft && (idempotent(method) || neverSent(err)) {
				if waitErr := sleep(ctx, backoff(attempt)); waitErr != nil {
					return waitErr
				}
				continue
			}
			return &Error{Code: "connection_error", Message: fmt.Sprintf("could not reach %s: %v", c.baseURL, err), cause: err}
		}
		data, readErr := io.ReadAll(response.Body)
		response.Body.Close()
		if readErr != nil {
			return &Error{Code: "connection_error", Message: readErr.Error(), cause: readErr}
		}
		if response.StatusCode < 300 {
			if out == nil || len(data) == 0 {
				return nil
			}
			return json.Unmarshal(data, out)
		}
		retryAfter := parseRetryAfter(response.Header.Get("Retry-After"))
		if wait, retry := retryDelay(response.StatusCode, method, retryAfter, attempt); retriesLeft && retry {
			if waitErr := sleep(ctx, wait); waitErr != nil {
				return waitErr
			}
			continue
		}
		return errorFromResponse(response.StatusCode, data, retryAfter)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
