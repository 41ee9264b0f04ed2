package wire

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
)

// Query types (ql2.proto Query.QueryType).
const (
	queryStart       = 1
	queryContinue    = 2
	queryStop        = 3
	queryNoreplyWait = 4
	queryServerInfo  = 5
)

// Response types (ql2.proto Response.ResponseType).
const (
	respSuccessAtom     = 1
	respSuccessSequence = 2
	respSuccessPartial  = 3
	respWaitComplete    = 4
	respServerInfo      = 5
	respClientError     = 16
	respCompileError    = 17
	respRuntimeError    = 18
)

// maxConcurrentQueries is RethinkDB's per-connection bound on queries being
// evaluated at once.
const maxConcurrentQueries = 1024

// conn is one authenticated driver connection. A reader goroutine parses
// frames; each START runs in its own goroutine; responses are written under
// writeMu, each under its own token.
type conn struct {
	srv *Server
	nc  net.Conn

	writeMu sync.Mutex
	w       *bufio.Writer

	mu       sync.Mutex
	cursors  map[uint64]*cursor
	inflight int
	idle     *sync.Cond // signalled when inflight drops to zero
	closed   bool

	queries sync.WaitGroup
	sem     chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
}

func (c *conn) stopReading() {
	_ = c.nc.SetReadDeadline(time.Now())
}

func (c *conn) serve() {
	defer c.nc.Close()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	c.nc.SetReadDeadline(time.Now().Add(30 * time.Second)) // handshake must not hang forever
	user, err := c.handshake(r)
	c.srv.obs.handshake(err == nil)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			c.srv.Log.Debug("driver handshake failed", "remote", c.nc.RemoteAddr().String(), "err", err)
		}
		return
	}
	defer c.srv.obs.disconnected()
	c.nc.SetReadDeadline(time.Time{})
	c.srv.mu.Lock()
	draining := c.srv.draining
	c.srv.mu.Unlock()
	if draining {
		return
	}
	c.srv.Log.Debug("driver connected", "remote", c.nc.RemoteAddr().String(), "user", user)

	c.w = bufio.NewWriterSize(c.nc, 64<<10)
	c.idle = sync.NewCond(&c.mu)
	c.sem = make(chan struct{}, maxConcurrentQueries)
	// Every query of the connection runs as the authenticated user, whose
	// permissions the evaluator checks.
	c.ctx, c.cancel = context.WithCancel(reql.WithUser(c.srv.ctx, user))
	defer func() {
		c.srv.mu.Lock()
		draining := c.srv.draining
		c.srv.mu.Unlock()
		if draining {
			// Graceful shutdown: let running queries finish; at the
			// shutdown deadline the server's context interrupts them.
			c.queries.Wait()
		}
		c.cancel()
		c.queries.Wait()
		c.mu.Lock()
		c.closed = true
		for tok, cur := range c.cursors {
			cur.close()
			delete(c.cursors, tok)
		}
		c.mu.Unlock()
	}()
	for {
		token, payload, err := readFrame(r)
		if err != nil {
			var tooBig *frameTooLargeError
			if errors.As(err, &tooBig) {
				c.send(token, errorResponse(reql.ClientError("Query size (%d) greater than maximum (%d).", tooBig.size, MaxQuerySize-1)))
			}
			return
		}
		c.dispatch(token, payload)
	}
}

// frameTooLargeError reports a frame whose declared size exceeds
// MaxQuerySize.
type frameTooLargeError struct{ size uint32 }

func (e *frameTooLargeError) Error() string {
	return fmt.Sprintf("query frame of %d bytes exceeds the %d byte limit", e.size, MaxQuerySize)
}

// readFrame reads one query frame: token (u64 LE), size (u32 LE), payload.
func readFrame(r io.Reader) (uint64, []byte, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	token := binary.LittleEndian.Uint64(hdr[:8])
	size := binary.LittleEndian.Uint32(hdr[8:])
	if size >= MaxQuerySize {
		return token, nil, &frameTooLargeError{size: size}
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(r, payload); err != nil {
		return token, nil, err
	}
	return token, payload, nil
}

// parseQuery splits a query payload into its type, term and global optargs.
func parseQuery(payload []byte) (qtype int, term json.RawMessage, opts map[string]json.RawMessage, err error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(payload, &parts); err != nil || len(parts) == 0 || len(parts) > 3 {
		return 0, nil, nil, reql.ClientError("Client is buggy (failed to deserialize query).")
	}
	if err := json.Unmarshal(parts[0], &qtype); err != nil {
		return 0, nil, nil, reql.ClientError("Client is buggy (failed to deserialize query).")
	}
	if len(parts) > 1 {
		term = parts[1]
	}
	if len(parts) > 2 {
		if err := json.Unmarshal(parts[2], &opts); err != nil {
			return 0, nil, nil, reql.ClientError("Client is buggy (failed to deserialize query).")
		}
	}
	return qtype, term, opts, nil
}

// query is a parsed query payload: its type and, for START, its compiler.
type query struct {
	qtype   int
	hasTerm bool
	compile func() (*reql.Query, error)
}

// parse is parseQuery followed, for START, by reql.Compile, with the same
// outcomes, decoding the payload once: a payload the fast decoder accepts
// (every well-formed one) is decoded to values and compiled from them;
// anything else takes parseQuery's path.
func parse(payload []byte) (query, error) {
	if v, ok := reql.DecodeValid(payload); ok {
		parts, isArr := v.([]any)
		if !isArr || len(parts) == 0 || len(parts) > 3 {
			return query{}, reql.ClientError("Client is buggy (failed to deserialize query).")
		}
		var q query
		switch parts[0].(type) {
		case nil: // null leaves the type 0, as json.Unmarshal into int does
		case float64:
			// json.Unmarshal into int accepts only an integer literal.
			if err := json.Unmarshal(firstElement(payload), &q.qtype); err != nil {
				return query{}, reql.ClientError("Client is buggy (failed to deserialize query).")
			}
		default:
			return query{}, reql.ClientError("Client is buggy (failed to deserialize query).")
		}
		var opts map[string]any
		if len(parts) > 2 {
			switch o := parts[2].(type) {
			case nil:
			case map[string]any:
				opts = o
			default:
				return query{}, reql.ClientError("Client is buggy (failed to deserialize query).")
			}
		}
		if len(parts) > 1 {
			q.hasTerm = true
			term := parts[1]
			q.compile = func() (*reql.Query, error) { return reql.CompileValue(term, opts) }
		}
		return q, nil
	}
	qtype, term, opts, err := parseQuery(payload)
	if err != nil {
		return query{}, err
	}
	return query{qtype: qtype, hasTerm: term != nil, compile: func() (*reql.Query, error) { return reql.Compile(term, opts) }}, nil
}

// firstElement returns the first element's token in a valid JSON array
// whose first element is a number.
func firstElement(payload []byte) []byte {
	i := 0
	for i < len(payload) && payload[i] != '[' {
		i++
	}
	i++
	for i < len(payload) && (payload[i] == ' ' || payload[i] == '\t' || payload[i] == '\n' || payload[i] == '\r') {
		i++
	}
	j := i
	for j < len(payload) && (payload[j] == '-' || payload[j] == '+' || payload[j] == '.' || payload[j] == 'e' || payload[j] == 'E' || payload[j] >= '0' && payload[j] <= '9') {
		j++
	}
	return payload[i:j]
}

func (c *conn) dispatch(token uint64, payload []byte) {
	pq, err := parse(payload)
	if err != nil {
		c.send(token, errorResponse(err))
		return
	}
	qtype := pq.qtype
	switch qtype {
	case queryStart:
		if !pq.hasTerm {
			c.send(token, errorResponse(reql.ClientError("Client is buggy (failed to deserialize query).")))
			return
		}
		q, err := pq.compile()
		if q != nil {
			q.RawResult = true // start sends Result.Raw
		}
		if err != nil {
			c.srv.obs.compileFailed(err)
			if q == nil || !q.Noreply {
				c.send(token, errorResponse(err))
			}
			return
		}
		c.begin()
		select {
		case c.sem <- struct{}{}:
		case <-c.ctx.Done():
			c.end()
			return
		}
		c.queries.Add(1)
		go func() {
			defer c.queries.Done()
			defer func() { <-c.sem }()
			defer c.end()
			c.start(token, q)
		}()
	case queryContinue:
		c.mu.Lock()
		cur := c.cursors[token]
		c.mu.Unlock()
		if cur == nil {
			c.send(token, errorResponse(reql.ClientError("Token %d not in stream cache.", token)))
			return
		}
		c.queries.Add(1)
		go func() {
			defer c.queries.Done()
			c.continueCursor(token, cur)
		}()
	case queryStop:
		c.mu.Lock()
		cur := c.cursors[token]
		delete(c.cursors, token)
		c.mu.Unlock()
		if cur != nil {
			cur.close()
		}
		c.send(token, response{T: respSuccessSequence, R: []json.RawMessage{}, N: &[]int{}})
	case queryNoreplyWait:
		c.queries.Add(1)
		go func() {
			defer c.queries.Done()
			c.mu.Lock()
			for c.inflight > 0 {
				c.idle.Wait()
			}
			c.mu.Unlock()
			c.send(token, response{T: respWaitComplete, R: []json.RawMessage{}})
		}()
	case queryServerInfo:
		info, _ := reql.MarshalJSON(map[string]any{"id": c.srv.Env.ServerID, "name": c.srv.Env.ServerName, "proxy": false})
		c.send(token, response{T: respServerInfo, R: []json.RawMessage{info}})
	default:
		c.send(token, errorResponse(reql.ClientError("Unrecognized QueryType: %d.", qtype)))
	}
}

func (c *conn) begin() {
	c.mu.Lock()
	c.inflight++
	c.mu.Unlock()
}

func (c *conn) end() {
	c.mu.Lock()
	c.inflight--
	if c.inflight == 0 {
		c.idle.Broadcast()
	}
	c.mu.Unlock()
}

func (c *conn) start(token uint64, q *reql.Query) {
	qo := c.srv.obs.begin(c.ctx, q)
	res, err := q.Run(qo.ctx, c.srv.Env)
	if err != nil {
		qo.reply(err, 0, 0)
		qo.end()
		if !q.Noreply {
			c.send(token, errorResponse(interrupted(c, err)))
		}
		return
	}
	if res.Stream == nil {
		if q.Noreply {
			qo.reply(nil, rowsOf(res.Datum), 0)
			qo.end()
			return
		}
		b, err := res.Raw, error(nil)
		if b == nil {
			b, err = reql.MarshalJSON(res.Datum)
		}
		if err != nil {
			err = fmt.Errorf("encode result: %w", err)
			qo.reply(err, 0, 0)
			qo.end()
			c.send(token, errorResponse(err))
			return
		}
		qo.reply(nil, rowsOf(res.Datum), len(b))
		qo.end()
		c.send(token, response{T: respSuccessAtom, R: []json.RawMessage{b}})
		return
	}
	cur := newCursor(qo.ctx, res, q, qo)
	if q.Noreply {
		// A noreply query's stream is consumed to the end (so writes inside
		// it happen) and discarded.
		for {
			_, done, err := cur.nextBatch(c.ctx)
			if err != nil || done {
				cur.close()
				return
			}
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cur.close()
		return
	}
	c.cursors[token] = cur
	c.mu.Unlock()
	c.continueCursor(token, cur)
}

func (c *conn) continueCursor(token uint64, cur *cursor) {
	rows, done, err := cur.nextBatch(cur.ctx)
	if cur.stopped.Load() {
		return // STOP answered for this token already
	}
	if err != nil || done {
		c.mu.Lock()
		delete(c.cursors, token)
		c.mu.Unlock()
		cur.close()
	}
	if err != nil {
		c.send(token, errorResponse(interrupted(c, err)))
		return
	}
	t := respSuccessPartial
	if done {
		t = respSuccessSequence
	}
	notes := cur.notes
	if notes == nil {
		notes = []int{}
	}
	c.send(token, response{T: t, rows: rows, N: &notes})
	releaseRows(rows)
}

// interrupted turns a cancelled query's error into RethinkDB's message.
func interrupted(c *conn, err error) error {
	if c.srv.ctx.Err() != nil {
		return &reql.Error{Kind: reql.KindRuntime, Type: reql.ErrOpIndeterminate, Msg: "Server is shutting down.", Backtrace: []any{}}
	}
	return err
}

// response is the JSON body of a response frame. Rows are either R, one
// encoded row each, or rows: the encoded rows already joined by commas
// (nrows of them), as a cursor batch is built.
type response struct {
	T    int
	E    int // omitted when zero
	R    []json.RawMessage
	rows []byte
	B    *[]any // errors only, always present there
	N    *[]int // sequences only, always present there
}

func errorResponse(err error) response {
	e := reql.AsError(err)
	msg, _ := reql.MarshalJSON(e.Msg)
	bt := e.Backtrace
	if bt == nil {
		bt = []any{}
	}
	r := response{R: []json.RawMessage{msg}, B: &bt}
	switch e.Kind {
	case reql.KindClient:
		r.T = respClientError
	case reql.KindCompile:
		r.T = respCompileError
	default:
		r.T = respRuntimeError
		r.E = int(e.Type)
	}
	return r
}

// appendResponse appends the frame body of r: what json.Marshal made of
// {"t":..,"e":..,"r":[..],"b":..,"n":..} (fields in that order, e omitted
// when zero, b and n when nil). Rows are compact JSON from AppendJSON, so
// they are written as they are.
func appendResponse(dst []byte, r response) ([]byte, error) {
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendInt(dst, int64(r.T), 10)
	if r.E != 0 {
		dst = append(dst, `,"e":`...)
		dst = strconv.AppendInt(dst, int64(r.E), 10)
	}
	switch {
	case r.rows != nil:
		dst = append(dst, `,"r":[`...)
		dst = append(dst, r.rows...)
		dst = append(dst, ']')
	case r.R == nil:
		dst = append(dst, `,"r":null`...)
	default:
		dst = append(dst, `,"r":[`...)
		for i, row := range r.R {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, row...)
		}
		dst = append(dst, ']')
	}
	if r.B != nil {
		dst = append(dst, `,"b":`...)
		var err error
		if dst, err = reql.AppendJSON(dst, *r.B); err != nil {
			return nil, err
		}
	}
	if r.N != nil {
		dst = append(dst, `,"n":`...)
		if *r.N == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for i, n := range *r.N {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendInt(dst, int64(n), 10)
			}
			dst = append(dst, ']')
		}
	}
	return append(dst, '}'), nil
}

// sendBufs recycles response frames.
var sendBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledFrame bounds the frames kept for reuse.
const maxPooledFrame = 1 << 20

func (c *conn) send(token uint64, r response) {
	bp := sendBufs.Get().(*[]byte)
	frame := append((*bp)[:0], make([]byte, 12)...) // header, filled below
	frame, err := appendResponse(frame, r)
	if err != nil {
		frame, _ = appendResponse(append((*bp)[:0], make([]byte, 12)...), errorResponse(fmt.Errorf("encode response: %w", err)))
	}
	binary.LittleEndian.PutUint64(frame[:8], token)
	binary.LittleEndian.PutUint32(frame[8:12], uint32(len(frame)-12))
	c.writeMu.Lock()
	c.nc.SetWriteDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.w.Write(frame); err == nil {
		if err = c.w.Flush(); err != nil {
			c.nc.Close()
		}
	} else {
		c.nc.Close()
	}
	c.writeMu.Unlock()
	if cap(frame) <= maxPooledFrame {
		*bp = frame[:0]
		sendBufs.Put(bp)
	}
}
