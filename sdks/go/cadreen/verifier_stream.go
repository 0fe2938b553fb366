package cadreen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// streamSilence is how long a stream may stay silent before it counts as cut; the server sends a
// heartbeat at least every second.
const streamSilence = 3 * time.Second

// follow keeps the event stream open until ctx ends, reconnecting with backoff and resuming from the
// last event applied.
func (v *Verifier) follow(ctx context.Context) {
	defer close(v.stopped)
	subscription := &subscription{verifier: v}
	for attempt := 0; ; attempt++ {
		if subscription.listen(ctx) {
			attempt = 0
		}
		if subscription.wasConnected {
			v.markDisconnected(subscription.cutAt, subscription.lastEventID)
			subscription.wasConnected = false
		}
		if ctx.Err() != nil {
			return
		}
		// 100 ms, 200 ms … up to 2 s, with jitter: a restarted server is back in well under MaxStaleness.
		wait := backoff(attempt) / 5
		if wait > 2*time.Second {
			wait = 2 * time.Second
		}
		if sleep(ctx, wait) != nil {
			return
		}
	}
}

// subscription is the state of the event stream across reconnections.
type subscription struct {
	verifier *Verifier
	// lastEventID is the newest change applied; resumed is false until there is one to resume from.
	lastEventID int64
	resumed     bool
	// catchUpTo is the newest id the server had when this connection opened; the verifier counts as
	// connected once it has applied that far (or heard a heartbeat after the replay).
	catchUpTo    int64
	catchingUp   bool
	wasConnected bool
	// cutAt is when the last connection stopped counting: when it ended, or when it was last heard
	// from if it fell silent.
	cutAt time.Time
}

// listen reads one connection of the stream until it ends, is silent for streamSilence, or ctx ends.
// It reports whether the connection delivered anything.
func (s *subscription) listen(ctx context.Context) bool {
	v := s.verifier
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, v.baseURL+"/api/v1/cadreen/keys/events", nil)
	if err != nil {
		return false
	}
	request.Header.Set("Authorization", "Bearer "+v.token)
	request.Header.Set("Accept", "text/event-stream")
	request.Header.Set("User-Agent", "cadreen-sdk-go/0.1.0 verifier")
	if s.resumed {
		request.Header.Set("Last-Event-ID", strconv.FormatInt(s.lastEventID, 10))
	}
	response, err := v.streamClient.Do(request)
	if err != nil {
		return false
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(response.Body, 64<<10))
		refused := errorFromResponse(response.StatusCode, data, 0)
		v.emit(VerifierEvent{Type: VerifierWarning, Message: fmt.Sprintf("the event stream was refused: %s", refused.Error()), LastEventID: s.lastEventID})
		return false
	}
	var silent atomic.Bool
	watchdog := time.AfterFunc(streamSilence, func() {
		silent.Store(true)
		cancel()
	})
	defer watchdog.Stop()
	s.catchingUp = false
	heard := false
	lastHeard := time.Now()
	reader := bufio.NewReader(response.Body)
	var id, event string
	var data strings.Builder
	for {
		line, err := reader.ReadString('\n')
		if err != nil {
			// A connection that ended was in step until now; a silent one only until it was last heard.
			s.cutAt = time.Now()
			if silent.Load() {
				s.cutAt = lastHeard
			}
			return heard
		}
		watchdog.Reset(streamSilence)
		heard = true
		lastHeard = time.Now()
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if event != "" || data.Len() > 0 {
				s.apply(id, event, data.String())
			}
			id, event = "", ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
			// A heartbeat: after the replay it means the verifier has caught up.
			if s.catchingUp {
				s.caughtUp()
			}
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				id = value
			case "event":
				event = value
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
		}
	}
}

// apply acts on one event of the stream.
func (s *subscription) apply(id, event, data string) {
	v := s.verifier
	var payload struct {
		LastEventID *int64 `json:"last_event_id"`
		KeyID       string `json:"key_id"`
		WorkspaceID string `json:"workspace_id"`
	}
	_ = json.Unmarshal([]byte(data), &payload)
	switch {
	case event == "ready":
		var newest int64
		if payload.LastEventID != nil {
			newest = *payload.LastEventID
		}
		if !s.resumed {
			// Answers cached before this point may predate changes the stream will not replay.
			v.dropAll()
			s.lastEventID, s.resumed = newest, true
			v.lastEventID.Store(newest)
		}
		s.catchUpTo, s.catchingUp = newest, true
		if s.lastEventID >= newest {
			s.caughtUp()
		}
	case event == "reset":
		v.dropAll()
		v.emit(VerifierEvent{Type: VerifierReset, Message: "the server could not replay every missed change; the cache was dropped", LastEventID: s.lastEventID})
	case strings.HasPrefix(event, "key."):
		if payload.KeyID != "" {
			v.dropKey(payload.KeyID)
		}
	case event == "workspace.updated":
		if payload.WorkspaceID != "" {
			v.dropWorkspace(payload.WorkspaceID)
		}
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		if n > s.lastEventID || event == "reset" {
			s.lastEventID, s.resumed = n, true
			v.lastEventID.Store(n)
		}
		if s.catchingUp && s.lastEventID >= s.catchUpTo {
			s.caughtUp()
		}
	}
}

// caughtUp marks the verifier connected: cached answers are trusted again.
func (s *subscription) caughtUp() {
	s.catchingUp = false
	s.wasConnected = true
	v := s.verifier
	v.mu.Lock()
	v.connected = true
	v.mu.Unlock()
	v.emit(VerifierEvent{Type: VerifierConnected, Message: "the event stream is up", LastEventID: s.lastEventID})
}

// markDisconnected starts the MaxStaleness countdown from when the stream stopped counting.
func (v *Verifier) markDisconnected(cutAt time.Time, lastEventID int64) {
	v.mu.Lock()
	v.connected = false
	v.disconnectedAt = cutAt
	v.mu.Unlock()
	v.emit(VerifierEvent{Type: VerifierDisconnected, Message: "the event stream dropped", LastEventID: lastEventID})
}
