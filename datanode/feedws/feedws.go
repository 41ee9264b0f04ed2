// Package feedws serves changefeeds over WebSocket, for browsers and tools
// that do not speak the driver protocol:
//
//	GET /api/changes?db=D&table=T[&include_initial=true][&include_types=true][&filter={"field":value,...}]
//	  ── upgrade ──▶ JSON text frames {"old_val":..., "new_val":..., "type":...}
//
// The server pings every 30 s and drops a client that stops answering; a
// client that cannot keep up loses changes past its queue bound and gets an
// {"error": "... skipped N elements."} frame, as driver feeds do. Closing
// the socket releases the subscription at once.
package feedws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/photondb-io/photondb/datanode/changefeed"
	"github.com/photondb-io/photondb/datanode/reql"
)

// QueueSize bounds the changes buffered for one WebSocket client.
const QueueSize = 10000

const (
	pingEvery = 30 * time.Second
	writeWait = 10 * time.Second
)

// Handler serves /api/changes on store.
type Handler struct {
	Store reql.Store
	Log   *slog.Logger
	// CheckOrigin decides cross-origin upgrades; nil allows every origin
	// (the REST API's CORS setting governs the same deployment).
	CheckOrigin func(r *http.Request) bool
}

// frame is one message: a change, or (Error set) a notice alone.
type frame struct {
	OldVal any    `json:"old_val"`
	NewVal any    `json:"new_val"`
	Type   string `json:"type,omitempty"`
	Error  string `json:"error,omitempty"`
}

// MarshalJSON writes an error notice as {"error": ...} alone, as driver
// feeds show it.
func (f frame) MarshalJSON() ([]byte, error) {
	if f.Error != "" {
		return json.Marshal(map[string]string{"error": f.Error})
	}
	type plain frame
	return json.Marshal(plain(f))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	db, table := q.Get("db"), q.Get("table")
	if db == "" {
		db = "test"
	}
	if table == "" {
		http.Error(w, "the table query parameter is required", http.StatusBadRequest)
		return
	}
	var filter map[string]any
	if f := q.Get("filter"); f != "" {
		if err := json.Unmarshal([]byte(f), &filter); err != nil {
			http.Error(w, fmt.Sprintf("filter must be a JSON object: %v", err), http.StatusBadRequest)
			return
		}
	}
	includeTypes := q.Get("include_types") == "true"
	ts, err := h.Store.OpenTable(r.Context(), db, table)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	sub, initial, err := ts.Subscribe(r.Context(), reql.FeedOptions{QueueSize: QueueSize, Initial: q.Get("include_initial") == "true"})
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer sub.Close()
	up := websocket.Upgrader{CheckOrigin: h.CheckOrigin}
	if up.CheckOrigin == nil {
		up.CheckOrigin = func(*http.Request) bool { return true }
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		if initial != nil {
			initial.Close()
		}
		return // Upgrade answered the client
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The reader notices the client going away (and answers pings).
	conn.SetReadLimit(1 << 10)
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(2 * pingEvery)) })
	_ = conn.SetReadDeadline(time.Now().Add(2 * pingEvery))
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	send := func(f frame) error {
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteJSON(f)
	}
	if initial != nil {
		for initial.Next() {
			if doc := initial.Doc(); matches(filter, doc) {
				f := frame{NewVal: doc}
				if includeTypes {
					f.Type = "initial"
				}
				if err := send(f); err != nil {
					initial.Close()
					return
				}
			}
		}
		initial.Close()
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		for {
			it, ok, err := sub.TryNext()
			if err != nil {
				msg := "Changefeed aborted (table unavailable)."
				if errors.Is(err, changefeed.ErrClosed) {
					msg = "Changefeed closed."
				}
				_ = send(frame{Error: msg})
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, msg), time.Now().Add(writeWait))
				return
			}
			if !ok {
				break
			}
			if !h.deliver(send, it, filter, includeTypes) {
				return
			}
		}
		select {
		case <-sub.WakeChan():
		case <-ping.C:
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-ctx.Done():
			return // the client went away
		}
	}
}

func (h *Handler) deliver(send func(frame) error, it changefeed.Item, filter map[string]any, includeTypes bool) bool {
	if it.Skipped > 0 {
		return send(frame{Error: fmt.Sprintf("Changefeed cache over array size limit, skipped %d elements.", it.Skipped)}) == nil
	}
	var oldV, newV any
	if it.Change.Old != nil && matches(filter, it.Change.Old) {
		oldV = it.Change.Old
	}
	if it.Change.New != nil && matches(filter, it.Change.New) {
		newV = it.Change.New
	}
	if oldV == nil && newV == nil {
		return true
	}
	f := frame{OldVal: oldV, NewVal: newV}
	if includeTypes {
		switch {
		case oldV == nil:
			f.Type = "add"
		case newV == nil:
			f.Type = "remove"
		default:
			f.Type = "change"
		}
	}
	return send(f) == nil
}

// matches is ReQL's filter with an object: every field of filter is equal
// in doc.
func matches(filter, doc map[string]any) bool {
	for k, want := range filter {
		got, ok := doc[k]
		if !ok {
			return false
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if string(a) != string(b) {
			return false
		}
	}
	return true
}
