// Package catalogsync makes a data node follow the control plane's catalog:
// a Syncer applies the databases and tables the catalog holds to the node's
// store (creating, renaming, reconfiguring and dropping them locally), and
// Route wraps the store so that DDL from drivers (r.dbCreate, tableCreate,
// writes to rethinkdb.db_config and table_config, reconfigure) goes to the
// control plane first. REST and ReQL therefore see one state and one set
// of rules (names, quotas), and the node only ever changes its schema by
// applying the catalog.
//
// The node talks to the control plane over its REST API (this package never
// imports the control plane), by long-polling /api/v1/internal/catalog.
package catalogsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	m "github.com/photondb-io/photondb/shared/meta"
)

// Client is the control plane's REST API as a data node uses it.
type Client struct {
	mu     sync.Mutex
	base   string
	nodeID string
	http   *http.Client
	// resolve, when set, finds a control plane again after a transport
	// failure (another replica, e.g. from Consul).
	resolve func(ctx context.Context) (string, error)
	// secret is the cluster secret sent as a bearer token: it identifies
	// the node's requests as the cluster's own.
	secret string
}

// SetSecret makes the client authenticate with the cluster secret.
func (c *Client) SetSecret(secret string) {
	c.mu.Lock()
	c.secret = secret
	c.mu.Unlock()
}

// SetResolver makes the client look for another control plane (resolve
// returns its base URL) whenever the current one cannot be reached.
func (c *Client) SetResolver(resolve func(ctx context.Context) (string, error)) {
	c.mu.Lock()
	c.resolve = resolve
	c.mu.Unlock()
}

func (c *Client) baseURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base
}

// reresolve picks another control plane after a transport failure.
func (c *Client) reresolve(ctx context.Context) {
	c.mu.Lock()
	resolve := c.resolve
	c.mu.Unlock()
	if resolve == nil {
		return
	}
	if base, err := resolve(ctx); err == nil && base != "" {
		c.mu.Lock()
		c.base = strings.TrimRight(base, "/")
		c.mu.Unlock()
	}
}

// NewClient returns a client of the control plane at baseURL
// (http://host:port or https://...) that identifies itself as node nodeID;
// tlsConf configures https (nil: the system roots).
func NewClient(baseURL, nodeID string, tlsConf *tls.Config) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	return &Client{base: strings.TrimRight(baseURL, "/"), nodeID: nodeID, http: &http.Client{Timeout: 60 * time.Second, Transport: tr}}
}

// Problem is an error answer of the control plane (RFC 9457).
type Problem struct {
	Status int
	Detail string
}

func (p *Problem) Error() string { return p.Detail }

// ErrUnreachable wraps transport failures (the control plane is down or
// unreachable).
var ErrUnreachable = errors.New("control plane unreachable")

// do sends a request and decodes a JSON answer into out (when non-nil),
// returning the catalog position header.
func (c *Client) do(ctx context.Context, method, path string, body, out any) (uint64, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL()+path, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(m.HeaderNode, c.nodeID)
	c.mu.Lock()
	if c.secret != "" {
		req.Header.Set("Authorization", "Bearer "+c.secret)
	}
	c.mu.Unlock()
	resp, err := c.http.Do(req)
	if err != nil {
		c.reresolve(ctx)
		return 0, fmt.Errorf("%w: %s %s: %v", ErrUnreachable, method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, fmt.Errorf("%w: read %s %s: %v", ErrUnreachable, method, path, err)
	}
	if resp.StatusCode >= 300 {
		var p struct {
			Title, Detail string
		}
		_ = json.Unmarshal(raw, &p)
		if p.Detail == "" {
			p.Detail = p.Title
		}
		if p.Detail == "" {
			p.Detail = fmt.Sprintf("control plane answered %s to %s %s", resp.Status, method, path)
		}
		return 0, &Problem{Status: resp.StatusCode, Detail: p.Detail}
	}
	seq, _ := strconv.ParseUint(resp.Header.Get(m.HeaderSeq), 10, 64)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return seq, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return seq, nil
}

// Sync long-polls the catalog changes after `after` (see meta.SyncState).
func (c *Client) Sync(ctx context.Context, clusterID string, after uint64, wait time.Duration) (m.SyncState, error) {
	var st m.SyncState
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "cluster_id": {clusterID},
		"wait": {strconv.Itoa(int(wait / time.Second))}}
	_, err := c.do(ctx, http.MethodGet, "/api/v1/internal/catalog?"+q.Encode(), nil, &st)
	return st, err
}

// Register records the node in the embedded registry (a heartbeat).
func (c *Client) Register(ctx context.Context, n m.Node) error {
	_, err := c.do(ctx, http.MethodPut, "/api/v1/nodes/"+url.PathEscape(n.ID), n.Registration(), nil)
	return err
}

// CreateDB creates a database in the catalog (id: keep this id).
func (c *Client) CreateDB(ctx context.Context, name, id string) (uint64, error) {
	return c.do(ctx, http.MethodPost, "/api/v1/databases", map[string]string{"name": name, "id": id}, nil)
}

// DropDB drops a database and its tables from the catalog.
func (c *Client) DropDB(ctx context.Context, name string) (uint64, error) {
	return c.do(ctx, http.MethodDelete, "/api/v1/databases/"+url.PathEscape(name)+"?force=true", nil, nil)
}

// TableSpec is a table to create in the catalog.
type TableSpec struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	PrimaryKey string `json:"primary_key,omitempty"`
	Shards     int    `json:"shards,omitempty"`
	Replicas   int    `json:"replicas,omitempty"`
	Durability string `json:"durability,omitempty"`
}

// CreateTable creates a table in the catalog.
func (c *Client) CreateTable(ctx context.Context, db string, t TableSpec) (uint64, error) {
	return c.do(ctx, http.MethodPost, "/api/v1/databases/"+url.PathEscape(db)+"/tables", t, nil)
}

// DropTable drops a table from the catalog.
func (c *Client) DropTable(ctx context.Context, db, name string) (uint64, error) {
	return c.do(ctx, http.MethodDelete, "/api/v1/databases/"+url.PathEscape(db)+"/tables/"+url.PathEscape(name), nil, nil)
}

// Reconfigure changes a table's shard and replica counts in the catalog.
func (c *Client) Reconfigure(ctx context.Context, db, name string, shards, replicas int) (uint64, error) {
	return c.do(ctx, http.MethodPatch, "/api/v1/databases/"+url.PathEscape(db)+"/tables/"+url.PathEscape(name),
		map[string]int{"shards": shards, "replicas": replicas}, nil)
}

// Rename renames a database (table empty) or a table in the catalog.
func (c *Client) Rename(ctx context.Context, db, table, to string) (uint64, error) {
	return c.do(ctx, http.MethodPost, "/api/v1/rename", map[string]string{"db": db, "table": table, "to": to}, nil)
}
