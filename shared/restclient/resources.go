package restclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// Database is a database of the caller's tenant.
type Database struct {
	Name      string    `json:"name"`
	ID        string    `json:"id,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Tables    int       `json:"tables"`
	// ETag is the resource version (GetDatabase only), for If-Match.
	ETag string `json:"-"`
}

// Table is a table's configuration and size.
type Table struct {
	DB         string    `json:"db"`
	Name       string    `json:"name"`
	ID         string    `json:"id,omitempty"`
	PrimaryKey string    `json:"primary_key"`
	Shards     int       `json:"shards,omitempty"`
	Replicas   int       `json:"replicas,omitempty"`
	Durability string    `json:"durability,omitempty"`
	WriteAcks  string    `json:"write_acks,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	// Documents is the approximate number of documents; nil when the
	// server did not say.
	Documents *int64   `json:"documents,omitempty"`
	Indexes   []string `json:"indexes,omitempty"`
	// ETag is the resource version (GetTable, UpdateTable), for If-Match.
	ETag string `json:"-"`
}

// TableSpec creates a table; zero fields take the server's defaults
// (primary key "id", one shard, one replica, hard durability).
type TableSpec struct {
	Name       string `json:"name"`
	PrimaryKey string `json:"primary_key,omitempty"`
	Shards     int    `json:"shards,omitempty"`
	Replicas   int    `json:"replicas,omitempty"`
	Durability string `json:"durability,omitempty"`
	WriteAcks  string `json:"write_acks,omitempty"`
}

// TableUpdate changes a table's configuration; nil fields stay as they are.
type TableUpdate struct {
	Shards     *int    `json:"shards,omitempty"`
	Replicas   *int    `json:"replicas,omitempty"`
	Durability *string `json:"durability,omitempty"`
	WriteAcks  *string `json:"write_acks,omitempty"`
}

// Index is a secondary index of a table.
type Index struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	Multi bool   `json:"multi"`
	Geo   bool   `json:"geo"`
}

// Shard is where one shard of a table lives.
type Shard struct {
	Shard    int      `json:"shard"`
	Primary  string   `json:"primary"`
	Replicas []string `json:"replicas"`
}

// TableRef names a table (GET /api/tables).
type TableRef struct {
	DB   string `json:"db"`
	Name string `json:"name"`
}

// DocumentPage is one page of a table's documents, in primary-key order.
type DocumentPage struct {
	Documents  []json.RawMessage `json:"documents"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// Conflict policies of InsertDocuments.
const (
	ConflictError   = "error"
	ConflictReplace = "replace"
	ConflictUpdate  = "update"
)

// InsertResult is the outcome of one InsertDocuments call.
type InsertResult struct {
	Inserted   int    `json:"inserted"`
	Replaced   int    `json:"replaced"`
	Unchanged  int    `json:"unchanged"`
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
}

// Node is a data node of the cluster.
type Node struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Address     string   `json:"address"`
	DriverPort  int      `json:"driver_port"`
	ClusterPort int      `json:"cluster_port"`
	HTTPPort    int      `json:"http_port"`
	Tags        []string `json:"tags"`
	Status      string   `json:"status"`
	Shards      int      `json:"shards"`
	AppliedSeq  uint64   `json:"applied_seq,omitempty"`
}

// ClusterStatus is GET /api/v1/status.
type ClusterStatus struct {
	Version      string `json:"version"`
	Nodes        int    `json:"nodes"`
	HealthyNodes int    `json:"healthy_nodes"`
	Databases    int    `json:"databases"`
	Tables       int    `json:"tables"`
	Catalog      string `json:"catalog"`
}

// Quotas limit a tenant (0: unlimited).
type Quotas struct {
	Databases    int   `json:"databases"`
	Tables       int   `json:"tables"`
	StorageBytes int64 `json:"storage_bytes"`
}

// Usage is what a tenant holds, against its quotas.
type Usage struct {
	Databases int `json:"databases"`
	Tables    int `json:"tables"`
}

// Tenant owns databases and users.
type Tenant struct {
	Name      string    `json:"name"`
	Quotas    Quotas    `json:"quotas"`
	Usage     *Usage    `json:"usage,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	ETag      string    `json:"-"`
}

// TenantUpdate changes a tenant's quotas.
type TenantUpdate struct {
	Quotas *Quotas `json:"quotas,omitempty"`
}

// Token is an API token; Token (the secret) is only set when created.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Tenant    string    `json:"tenant,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Token     string    `json:"token,omitempty"`
}

// CompactResult is POST /api/v1/admin/compact.
type CompactResult struct {
	Compacted      bool  `json:"compacted"`
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
}

// Stats is GET /api/v1/admin/stats: the documented counters, and every
// field the server sent in All (numbers as json.Number).
type Stats struct {
	Databases     int64          `json:"databases"`
	Tables        int64          `json:"tables"`
	Documents     int64          `json:"documents"`
	StorageBytes  int64          `json:"storage_bytes"`
	QueriesPerSec float64        `json:"queries_per_sec"`
	All           map[string]any `json:"-"`
}

// UnmarshalJSON fills the known fields and All.
func (s *Stats) UnmarshalJSON(b []byte) error {
	type known Stats
	var k known
	if err := json.Unmarshal(b, &k); err != nil {
		return err
	}
	*s = Stats(k)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(&s.All)
}

// DropOptions qualify a DELETE.
type DropOptions struct {
	// Force drops a database that still has tables.
	Force bool
	// IfMatch is an ETag the resource must still have (412 otherwise).
	IfMatch string
}

func dbPath(db string) string { return "/api/v1/databases/" + esc(db) }

func tablePath(db, table string) string { return dbPath(db) + "/tables/" + esc(table) }

// ListDatabases returns one page of databases and the next cursor ("" on
// the last page).
func (c *Client) ListDatabases(ctx context.Context, p Page) ([]Database, string, error) {
	return listPage[Database](ctx, c, "/api/v1/databases", "databases", p)
}

// Databases iterates every database, fetching pages of pageSize (0: the
// server's default).
func (c *Client) Databases(ctx context.Context, pageSize int) iter.Seq2[Database, error] {
	return pages[Database](ctx, c, "/api/v1/databases", "databases", pageSize)
}

// AllDatabases returns every database.
func (c *Client) AllDatabases(ctx context.Context) ([]Database, error) {
	return collect(c.Databases(ctx, MaxPageSize))
}

// CreateDatabase creates a database (409 when it exists, 422 for a bad
// name, 403 over quota).
func (c *Client) CreateDatabase(ctx context.Context, name string) (Database, error) {
	var d Database
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/databases", body: map[string]string{"name": name}}, &d)
	return d, err
}

// GetDatabase returns one database with its ETag.
func (c *Client) GetDatabase(ctx context.Context, name string) (Database, error) {
	var d Database
	h, err := c.do(ctx, request{method: http.MethodGet, path: dbPath(name)}, &d)
	if err == nil {
		d.ETag = h.Get("ETag")
	}
	return d, err
}

// DropDatabase drops a database; without o.Force the server refuses (409)
// when it still has tables.
func (c *Client) DropDatabase(ctx context.Context, name string, o DropOptions) error {
	q := url.Values{}
	if o.Force {
		q.Set("force", "true")
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: dbPath(name), query: q, ifMatch: o.IfMatch}, nil)
	return err
}

// ListTables returns one page of a database's tables.
func (c *Client) ListTables(ctx context.Context, db string, p Page) ([]Table, string, error) {
	return listPage[Table](ctx, c, dbPath(db)+"/tables", "tables", p)
}

// Tables iterates every table of a database.
func (c *Client) Tables(ctx context.Context, db string, pageSize int) iter.Seq2[Table, error] {
	return pages[Table](ctx, c, dbPath(db)+"/tables", "tables", pageSize)
}

// AllTables returns every table of a database.
func (c *Client) AllTables(ctx context.Context, db string) ([]Table, error) {
	return collect(c.Tables(ctx, db, MaxPageSize))
}

// CreateTable creates a table in db.
func (c *Client) CreateTable(ctx context.Context, db string, spec TableSpec) (Table, error) {
	var t Table
	_, err := c.do(ctx, request{method: http.MethodPost, path: dbPath(db) + "/tables", body: spec}, &t)
	return t, err
}

// GetTable returns one table with its ETag.
func (c *Client) GetTable(ctx context.Context, db, table string) (Table, error) {
	var t Table
	h, err := c.do(ctx, request{method: http.MethodGet, path: tablePath(db, table)}, &t)
	if err == nil {
		t.ETag = h.Get("ETag")
	}
	return t, err
}

// UpdateTable changes a table's configuration; a non-empty ifMatch makes
// the server refuse (412) when the table changed since that ETag.
func (c *Client) UpdateTable(ctx context.Context, db, table string, u TableUpdate, ifMatch string) (Table, error) {
	var t Table
	h, err := c.do(ctx, request{method: http.MethodPatch, path: tablePath(db, table), body: u, ifMatch: ifMatch}, &t)
	if err == nil {
		t.ETag = h.Get("ETag")
	}
	return t, err
}

// DropTable drops a table and its documents (o.Force is not used: the
// server drops a table whatever it holds).
func (c *Client) DropTable(ctx context.Context, db, table string, o DropOptions) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: tablePath(db, table), ifMatch: o.IfMatch}, nil)
	return err
}

// ListIndexes returns a table's secondary indexes.
func (c *Client) ListIndexes(ctx context.Context, db, table string) ([]Index, error) {
	return collect(pages[Index](ctx, c, tablePath(db, table)+"/indexes", "indexes", 0))
}

// ListShards returns a table's shard map.
func (c *Client) ListShards(ctx context.Context, db, table string) ([]Shard, error) {
	return collect(pages[Shard](ctx, c, tablePath(db, table)+"/shards", "shards", 0))
}

// ListDocuments returns one page of a table's documents in primary-key
// order.
func (c *Client) ListDocuments(ctx context.Context, db, table string, p Page) (DocumentPage, error) {
	docs, next, err := listPage[json.RawMessage](ctx, c, tablePath(db, table)+"/documents", "documents", p)
	return DocumentPage{Documents: docs, NextCursor: next}, err
}

// Documents iterates every document of a table in primary-key order,
// fetching pages of pageSize (0: MaxPageSize).
func (c *Client) Documents(ctx context.Context, db, table string, pageSize int) iter.Seq2[json.RawMessage, error] {
	if pageSize <= 0 {
		pageSize = MaxPageSize
	}
	return pages[json.RawMessage](ctx, c, tablePath(db, table)+"/documents", "documents", pageSize)
}

// InsertDocuments inserts at most MaxInsertBatch documents; conflict is
// ConflictError (""), ConflictReplace or ConflictUpdate. Per-document
// failures are counted in the result, not returned as an error.
func (c *Client) InsertDocuments(ctx context.Context, db, table string, docs []json.RawMessage, conflict string) (InsertResult, error) {
	if len(docs) > MaxInsertBatch {
		return InsertResult{}, fmt.Errorf("insert into %s.%s: %d documents in one call, at most %d", db, table, len(docs), MaxInsertBatch)
	}
	body := struct {
		Documents []json.RawMessage `json:"documents"`
		Conflict  string            `json:"conflict,omitempty"`
	}{docs, conflict}
	var res InsertResult
	_, err := c.do(ctx, request{method: http.MethodPost, path: tablePath(db, table) + "/documents", body: body}, &res)
	return res, err
}

// Query runs a ReQL query written as text (e.g. r.table('users').count())
// on a data node; db, when set, is the default database. Sequences come
// back as JSON arrays.
func (c *Client) Query(ctx context.Context, query, db string) (json.RawMessage, error) {
	body := struct {
		Query string `json:"query"`
		DB    string `json:"db,omitempty"`
	}{query, db}
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/query", body: body}, &out); err != nil {
		return nil, err
	}
	if out.Result == nil {
		return json.RawMessage("null"), nil
	}
	return out.Result, nil
}

// AllTableRefs lists every table of the caller's tenant (GET /api/tables).
func (c *Client) AllTableRefs(ctx context.Context) ([]TableRef, error) {
	return collect(pages[TableRef](ctx, c, "/api/tables", "tables", 0))
}

// AllNodes lists the cluster's data nodes.
func (c *Client) AllNodes(ctx context.Context) ([]Node, error) {
	return collect(pages[Node](ctx, c, "/api/v1/nodes", "nodes", 0))
}

// DrainNode moves a node's shards away and marks it draining.
func (c *Client) DrainNode(ctx context.Context, id string) (Node, error) {
	var n Node
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/" + esc(id) + "/drain"}, &n)
	return n, err
}

// RemoveNode removes a node from the cluster.
func (c *Client) RemoveNode(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/nodes/" + esc(id)}, nil)
	return err
}

// Status is the cluster summary (GET /api/v1/status).
func (c *Client) Status(ctx context.Context) (ClusterStatus, error) {
	var s ClusterStatus
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/status"}, &s)
	return s, err
}

// AllTenants lists the tenants.
func (c *Client) AllTenants(ctx context.Context) ([]Tenant, error) {
	return collect(pages[Tenant](ctx, c, "/api/v1/tenants", "tenants", MaxPageSize))
}

// CreateTenant creates a tenant.
func (c *Client) CreateTenant(ctx context.Context, t Tenant) (Tenant, error) {
	var out Tenant
	body := struct {
		Name   string `json:"name"`
		Quotas Quotas `json:"quotas"`
	}{t.Name, t.Quotas}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/tenants", body: body}, &out)
	return out, err
}

// GetTenant returns one tenant with its ETag.
func (c *Client) GetTenant(ctx context.Context, name string) (Tenant, error) {
	var out Tenant
	h, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/tenants/" + esc(name)}, &out)
	if err == nil {
		out.ETag = h.Get("ETag")
	}
	return out, err
}

// UpdateTenant changes a tenant (If-Match when ifMatch is set).
func (c *Client) UpdateTenant(ctx context.Context, name string, u TenantUpdate, ifMatch string) (Tenant, error) {
	var out Tenant
	h, err := c.do(ctx, request{method: http.MethodPatch, path: "/api/v1/tenants/" + esc(name), body: u, ifMatch: ifMatch}, &out)
	if err == nil {
		out.ETag = h.Get("ETag")
	}
	return out, err
}

// DeleteTenant deletes a tenant.
func (c *Client) DeleteTenant(ctx context.Context, name string, o DropOptions) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/tenants/" + esc(name), ifMatch: o.IfMatch}, nil)
	return err
}

// AllTokens lists the caller's API tokens (without secrets).
func (c *Client) AllTokens(ctx context.Context) ([]Token, error) {
	return collect(pages[Token](ctx, c, "/api/v1/tokens", "tokens", MaxPageSize))
}

// CreateToken creates a token; the result's Token is the secret, shown
// only this once.
func (c *Client) CreateToken(ctx context.Context, name, role string) (Token, error) {
	var out Token
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/tokens", body: map[string]string{"name": name, "role": role}}, &out)
	return out, err
}

// DeleteToken revokes a token.
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/tokens/" + esc(id)}, nil)
	return err
}

// Compact compacts the storage.
func (c *Client) Compact(ctx context.Context) (CompactResult, error) {
	var out CompactResult
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/admin/compact"}, &out)
	return out, err
}

// Stats returns the server's counters.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var out Stats
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/admin/stats"}, &out)
	return out, err
}
