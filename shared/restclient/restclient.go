// Package restclient is a small typed client of PhotonDB's control-plane
// REST API (/api/v1 and the unversioned /api/query and /api/tables), used by
// the photondb CLI and by tests.
//
// Every call takes a context. Errors the server reports as RFC 9457
// problem+json documents come back as *Error, whose message is the
// problem's detail; transport failures are wrapped with the request they
// belong to. Lists are paginated by the server (limit and cursor); the
// List* methods return one page, the All* methods and the iterators walk
// every page.
package restclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultBaseURL is where `photondb serve` listens by default.
const DefaultBaseURL = "http://127.0.0.1:8080"

// MaxPageSize is the largest limit the server accepts for one page.
const MaxPageSize = 1000

// MaxInsertBatch is the most documents one InsertDocuments call may carry.
const MaxInsertBatch = 1000

// Client calls one PhotonDB REST API. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	hc    *http.Client
	// UserAgent, when set, is sent as the User-Agent header.
	UserAgent string
}

// New returns a client of the API at baseURL (e.g. http://127.0.0.1:8080;
// a missing scheme means http). A non-empty token is sent as
// `Authorization: Bearer <token>`. A nil hc means http.DefaultClient.
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{base: base, token: token, hc: hc}
}

// BaseURL is the API's base URL as the client uses it.
func (c *Client) BaseURL() string { return c.base }

// Error is an error answer of the API: an RFC 9457 problem document, or
// any other non-2xx response (then Title is the status text).
type Error struct {
	Status   int           `json:"status"`
	Title    string        `json:"title"`
	Detail   string        `json:"detail,omitempty"`
	Type     string        `json:"type,omitempty"`
	Instance string        `json:"instance,omitempty"`
	Errors   []ErrorDetail `json:"errors,omitempty"`
	// Method and Path are the request that failed.
	Method string `json:"-"`
	Path   string `json:"-"`
}

// ErrorDetail is one entry of a problem's "errors" list (huma reports
// validation failures this way).
type ErrorDetail struct {
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
	Value    any    `json:"value,omitempty"`
}

// Error is the problem's detail (falling back to its title and the
// request). When the problem lists individual errors (validation), they
// follow the detail, so that "validation failed" says what failed.
func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
		if msg == "" {
			msg = http.StatusText(e.Status)
		}
		if e.Method != "" {
			msg = fmt.Sprintf("%s (HTTP %d from %s %s)", msg, e.Status, e.Method, e.Path)
		}
	}
	if len(e.Errors) > 0 {
		parts := make([]string, 0, len(e.Errors))
		for _, d := range e.Errors {
			p := d.Message
			if d.Location != "" {
				p = d.Location + ": " + p
			}
			parts = append(parts, p)
		}
		msg += ": " + strings.Join(parts, "; ")
	}
	return msg
}

// StatusOf is the HTTP status of an API error (0 for other errors).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is the API's 404.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict reports whether err is the API's 409.
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// request is one API call.
type request struct {
	method  string
	path    string // already escaped
	query   url.Values
	ifMatch string
	body    any // JSON-encoded when non-nil
}

// do sends req and decodes a 2xx body into out (when non-nil); it returns
// the response header.
func (c *Client) do(ctx context.Context, req request, out any) (http.Header, error) {
	u := c.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.UserAgent != "" {
		hr.Header.Set("User-Agent", c.UserAgent)
	}
	if req.ifMatch != "" {
		hr.Header.Set("If-Match", req.ifMatch)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, &TransportError{Method: req.method, URL: c.base + req.path, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, decodeProblem(resp, req)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.Header, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.Header, fmt.Errorf("%s %s: decode response: %w", req.method, req.path, err)
	}
	return resp.Header, nil
}

// TransportError is a request that got no HTTP answer (connection refused,
// timeout, bad URL).
type TransportError struct {
	Method string
	URL    string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// unwrapURLError drops net/url's `Get "http://...":` prefix; the
// TransportError says which request failed.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

func decodeProblem(resp *http.Response, req request) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && len(raw) > 0 {
		_ = json.Unmarshal(raw, e) // a body that is not a problem leaves the defaults below
	}
	e.Status = resp.StatusCode
	if e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	e.Method, e.Path = req.method, req.path
	return e
}

// Page selects one page of a list: Limit (0: the server's default, 100;
// at most MaxPageSize) and the Cursor a previous page returned.
type Page struct {
	Limit  int
	Cursor string
}

func (p Page) values() url.Values {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// listPage fetches one page of a list whose items are under key.
func listPage[T any](ctx context.Context, c *Client, path, key string, p Page) ([]T, string, error) {
	var body map[string]json.RawMessage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: p.values()}, &body); err != nil {
		return nil, "", err
	}
	var items []T
	if raw, ok := body[key]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, "", fmt.Errorf("GET %s: decode %q: %w", path, key, err)
		}
	}
	var next string
	if raw, ok := body["next_cursor"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, "", fmt.Errorf("GET %s: decode next_cursor: %w", path, err)
		}
	}
	return items, next, nil
}

// pages iterates every item of a paginated list, page by page.
func pages[T any](ctx context.Context, c *Client, path, key string, limit int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		p := Page{Limit: limit}
		for {
			items, next, err := listPage[T](ctx, c, path, key, p)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == p.Cursor {
				var zero T
				yield(zero, fmt.Errorf("GET %s: the server returned the same cursor twice (%q)", path, next))
				return
			}
			p.Cursor = next
		}
	}
}

// collect gathers an iterator's items, stopping at the first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	out := []T{}
	for it, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }
