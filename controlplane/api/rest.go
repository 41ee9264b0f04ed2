package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"

	"github.com/photondb-io/photondb/controlplane/auth"
	"github.com/photondb-io/photondb/controlplane/meta"
	"github.com/photondb-io/photondb/controlplane/nodeclient"
	m "github.com/photondb-io/photondb/shared/meta"
)

// DataNode is what the REST API asks of a data node (over the driver
// protocol): documents, indexes, counts and ReQL queries. Databases and
// tables are not created here: the catalog is the source of truth and data
// nodes follow it.
type DataNode interface {
	Indexes(ctx context.Context, db, table string) ([]nodeclient.Index, error)
	Count(ctx context.Context, db, table string) (int64, error)
	Documents(ctx context.Context, db, table, pk string, after any, limit int) ([]json.RawMessage, error)
	Insert(ctx context.Context, db, table string, docs []json.RawMessage, conflict string) (nodeclient.WriteResult, error)
	Query(ctx context.Context, term json.RawMessage, db string) (any, error)
	// QueryAs runs a query as a ReQL user (its permissions apply).
	QueryAs(ctx context.Context, user, password string, term json.RawMessage, db string) (any, error)
	// EnsureUser makes a ReQL user with read, write and config on dbs.
	EnsureUser(ctx context.Context, user, password string, dbs []string) error
}

// REST configures the REST API.
type REST struct {
	Meta     *meta.Service
	Registry meta.Registry
	Node     DataNode
	// ParseReQL turns ReQL text into wire JSON (POST /api/query); nil
	// answers 501.
	ParseReQL func(src string) (json.RawMessage, error)
	// ApplyTimeout bounds how long a DDL call waits for the data nodes to
	// apply it (default 10 s); the call succeeds either way.
	ApplyTimeout time.Duration
	// DevMode lets callers pick a tenant with the X-PhotonDB-Tenant header
	// (until identities exist, issue #8).
	DevMode bool
	Version string
	Log     *slog.Logger
	// NodeHTTP is how the control plane reaches data nodes' HTTP ports
	// (/_node/*): scheme "http" or "https" and the client (nil: plain
	// http with the default client).
	NodeScheme string
	NodeClient *http.Client
	// ClusterSecret authenticates the control plane's own calls to data
	// nodes' HTTP ports (/_node/*).
	ClusterSecret string
	// UserAdmin manages the drivers' ReQL users (/api/v1/users); nil: 503.
	UserAdmin UserAdmin
	// tenantUsers remembers, per tenant, the databases its ReQL user was
	// granted (tenantusers.go).
	tenantUsers tenantUsers
	// Stopping, when closed, ends the data nodes' long polls at once, so a
	// shutting-down control plane does not wait out their timeouts.
	Stopping <-chan struct{}
}

// Database is a database as the REST API shows it.
type Database struct {
	Name      string    `json:"name" doc:"Database name (A-Z, a-z, 0-9, _ and -)." example:"shop"`
	ID        string    `json:"id" doc:"Database id (UUID)."`
	Tenant    string    `json:"tenant" doc:"Owning tenant."`
	CreatedAt time.Time `json:"created_at"`
	Tables    int       `json:"tables" doc:"Number of tables."`
}

// Table is a table as the REST API shows it.
type Table struct {
	DB         string    `json:"db" doc:"Database the table belongs to."`
	Name       string    `json:"name" doc:"Table name." example:"users"`
	ID         string    `json:"id" doc:"Table id (UUID)."`
	PrimaryKey string    `json:"primary_key" doc:"Primary key field." example:"id"`
	Shards     int       `json:"shards" doc:"Number of shards."`
	Replicas   int       `json:"replicas" doc:"Replicas per shard."`
	Durability string    `json:"durability" doc:"Default write durability." enum:"hard,soft"`
	WriteAcks  string    `json:"write_acks" doc:"Acknowledgements a write waits for." enum:"majority,single"`
	CreatedAt  time.Time `json:"created_at"`
	Documents  *int64    `json:"documents,omitempty" doc:"Number of documents (when the data node answered)."`
	Indexes    []string  `json:"indexes,omitempty" doc:"Secondary index names (when the data node answered)."`
}

func dbOut(d meta.DatabaseInfo) Database {
	return Database{Name: d.Name, ID: d.ID, Tenant: d.Tenant, CreatedAt: d.CreatedAt, Tables: d.Tables}
}

func tableOut(t m.Table) Table {
	return Table{DB: t.DB, Name: t.Name, ID: t.ID, PrimaryKey: t.PrimaryKey, Shards: t.Shards, Replicas: t.Replicas,
		Durability: t.Durability, WriteAcks: t.WriteAcks, CreatedAt: t.CreatedAt}
}

// Inputs and outputs.
type (
	PageParams struct {
		Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
		Cursor string `query:"cursor" doc:"The next_cursor of the previous page."`
	}
	DBPath struct {
		DB string `path:"db" doc:"Database name."`
	}
	TablePath struct {
		DB    string `path:"db" doc:"Database name."`
		Table string `path:"table" doc:"Table name."`
	}
	IfMatchHeader struct {
		IfMatch string `header:"If-Match" doc:"The ETag last read; the change is refused (412) if the resource changed since."`
	}
	DDLHeaders struct {
		Seq string `header:"X-PhotonDB-Catalog-Seq" doc:"Catalog position the change committed at."`
	}
	databaseList struct {
		Body struct {
			Databases  []Database `json:"databases"`
			NextCursor string     `json:"next_cursor,omitempty"`
		}
	}
	databaseOne struct {
		ETag     string `header:"ETag"`
		Location string `header:"Location"`
		DDLHeaders
		Body Database
	}
	tableList struct {
		Body struct {
			Tables     []Table `json:"tables"`
			NextCursor string  `json:"next_cursor,omitempty"`
		}
	}
	tableOne struct {
		ETag     string `header:"ETag"`
		Location string `header:"Location"`
		DDLHeaders
		Body Table
	}
	tableCreate struct {
		DB   string `path:"db" doc:"Database name."`
		Body struct {
			Name       string `json:"name" doc:"Table name (A-Z, a-z, 0-9, _ and -)." example:"users"`
			PrimaryKey string `json:"primary_key,omitempty" doc:"Primary key field; default id." example:"id"`
			Shards     int    `json:"shards,omitempty" minimum:"0" maximum:"64" doc:"Shards; default 1."`
			Replicas   int    `json:"replicas,omitempty" minimum:"0" maximum:"16" doc:"Replicas per shard; default 1."`
			Durability string `json:"durability,omitempty" enum:"hard,soft" doc:"Default write durability; default hard."`
			WriteAcks  string `json:"write_acks,omitempty" enum:"majority,single" doc:"Default majority."`
			ID         string `json:"id,omitempty" doc:"Keep this id (a data node adopting an existing table)."`
		}
	}
	tablePatch struct {
		TablePath
		IfMatchHeader
		Body struct {
			Shards     *int    `json:"shards,omitempty" minimum:"1" maximum:"64"`
			Replicas   *int    `json:"replicas,omitempty" minimum:"1" maximum:"16"`
			Durability *string `json:"durability,omitempty" enum:"hard,soft"`
			WriteAcks  *string `json:"write_acks,omitempty" enum:"majority,single"`
		}
	}
)

// restConfig is the huma configuration: OpenAPI 3.1 at /openapi.json
// (and .yaml), documentation at /docs, JSON schemas at /schemas.
func restConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("PhotonDB control plane API", version)
	// No "$schema" field in every body (and Link header): bodies stay the
	// plain resources the OpenAPI document describes.
	cfg.CreateHooks = nil
	// The catalog model's types (shared/meta) share names with the API's
	// views of them; prefix theirs.
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", func(t reflect.Type, hint string) string {
		name := huma.DefaultSchemaNamer(t, hint)
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if strings.HasSuffix(t.PkgPath(), "/shared/meta") {
			return "Catalog" + name
		}
		return name
	})
	cfg.Info.Description = "Manage PhotonDB tenants, databases, tables, nodes and tokens, and run ReQL queries. " +
		"Errors are RFC 9457 problem+json documents. Lists are paginated with limit and cursor; " +
		"single resources carry an ETag that If-Match can guard updates with."
	return cfg
}

type ctxKey int

const (
	tenantKey ctxKey = iota
	nodeKey
)

// scope reads the caller's tenant and node identity into the context:
// from the authenticated identity (controlplane/auth); in dev mode, from
// the X-PhotonDB-Tenant and X-PhotonDB-Node headers.
func (rs *REST) scope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, node := m.DefaultTenant, ""
		if id, ok := auth.FromContext(r.Context()); ok && id.Kind != auth.KindDev {
			tenant, node = id.Tenant, id.Node
		} else if rs.DevMode {
			if h := r.Header.Get(m.HeaderTenant); h != "" {
				tenant = h
			}
			node = r.Header.Get(m.HeaderNode)
		}
		if node != "" {
			tenant = "" // a data node forwarding a driver's DDL sees every database
		}
		ctx := context.WithValue(r.Context(), tenantKey, tenant)
		ctx = context.WithValue(ctx, nodeKey, node)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// caller is the authenticated identity (dev mode: the owner of the
// default tenant).
func caller(ctx context.Context) auth.Identity {
	if id, ok := auth.FromContext(ctx); ok {
		return id
	}
	return auth.Identity{Tenant: m.DefaultTenant, Role: auth.RoleOwner, Kind: auth.KindDev}
}

// operator reports whether the caller runs the platform: an owner of the
// default tenant (or dev mode), who may manage every tenant.
func operator(ctx context.Context) bool {
	id := caller(ctx)
	return id.Kind == auth.KindDev || (id.Tenant == m.DefaultTenant && id.Role.AtLeast(auth.RoleOwner))
}

func tenantOf(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey).(string)
	return t
}

func fromNode(ctx context.Context) bool {
	n, _ := ctx.Value(nodeKey).(string)
	return n != ""
}

// mountREST registers the REST API, the OpenAPI document and the docs.
func mountREST(r chi.Router, rs *REST) huma.API {
	if rs.Version == "" {
		rs.Version = "dev"
	}
	if rs.ApplyTimeout <= 0 {
		rs.ApplyTimeout = 10 * time.Second
	}
	if rs.Log == nil {
		rs.Log = slog.Default()
	}
	var api huma.API
	r.Group(func(r chi.Router) {
		r.Use(rs.scope)
		api = humachi.New(r, restConfig(rs.Version))
		rs.registerSchema(api)
		rs.registerCluster(api)
		rs.registerData(api)
		rs.registerAdmin(api)
		rs.registerUsers(api)
		rs.registerDriverCredentials(api)
	})
	return api
}

// applied waits (bounded) until the data nodes have applied the catalog's
// current position, so a table created through REST is usable by drivers
// when the call returns, and returns that position for the header.
func (rs *REST) applied(ctx context.Context) string {
	seq, err := rs.Meta.Seq(ctx)
	if err != nil {
		return ""
	}
	if !fromNode(ctx) {
		deadline := time.Now().Add(rs.ApplyTimeout)
		if !rs.Meta.WaitApplied(ctx, seq, rs.ApplyTimeout) || !rs.waitUnseenNodes(ctx, seq, deadline) {
			rs.Log.Warn("data nodes have not applied a catalog change yet", "seq", seq, "waited", rs.ApplyTimeout)
		}
	}
	return strconv.FormatUint(seq, 10)
}

func etag(v uint64) string { return `"` + strconv.FormatUint(v, 10) + `"` }

// parseIfMatch reads an If-Match header: empty or * is 0 (any version).
func parseIfMatch(h string) (uint64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.ParseUint(strings.Trim(h, `"`), 10, 64)
	if err != nil || v == 0 {
		return 0, huma.Error400BadRequest("If-Match must be an ETag this API returned, e.g. \"42\".")
	}
	return v, nil
}

// page slices a name-sorted list at cursor (the last name of the previous
// page, base64url-encoded).
func page[T any](items []T, name func(T) string, p PageParams) ([]T, string, error) {
	start := 0
	if p.Cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil {
			return nil, "", huma.Error400BadRequest("cursor is not one this API returned")
		}
		for start < len(items) && name(items[start]) <= string(after) {
			start++
		}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(name(items[end-1])))
	}
	return items[start:end], next, nil
}

// problem turns a service or data-node error into an RFC 9457 problem.
func (rs *REST) problem(err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return err
	}
	var me *meta.Error
	if errors.As(err, &me) {
		status := map[meta.Kind]int{
			meta.KindExists: http.StatusConflict, meta.KindNotFound: http.StatusNotFound,
			meta.KindInvalid: http.StatusUnprocessableEntity, meta.KindConflict: http.StatusConflict,
			meta.KindPrecondition: http.StatusPreconditionFailed, meta.KindQuota: http.StatusForbidden,
		}[me.Kind]
		if status != 0 {
			return huma.NewError(status, me.Message)
		}
	}
	var ce *nodeclient.Error
	if errors.As(nodeclient.Classify(err), &ce) && ce.Kind != nodeclient.KindInternal {
		return huma.NewError(statusFor(ce.Kind), ce.Message)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return huma.NewError(http.StatusServiceUnavailable, "The request timed out.")
	}
	rs.Log.Error("REST internal error", "err", err)
	return huma.Error500InternalServerError("internal error")
}

// statusFor is the HTTP status of a data-node error kind.
func statusFor(k nodeclient.Kind) int {
	switch k {
	case nodeclient.KindExists, nodeclient.KindConflict:
		return http.StatusConflict
	case nodeclient.KindNotFound:
		return http.StatusNotFound
	case nodeclient.KindInvalid:
		return http.StatusUnprocessableEntity
	case nodeclient.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (rs *REST) registerSchema(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-databases", Method: http.MethodGet, Path: "/api/v1/databases",
		Summary: "List databases", Tags: []string{"Databases"},
	}, func(ctx context.Context, in *PageParams) (*databaseList, error) {
		dbs, err := rs.Meta.ListDatabases(ctx, tenantOf(ctx))
		if err != nil {
			return nil, rs.problem(err)
		}
		items, next, err := page(dbs, func(d meta.DatabaseInfo) string { return d.Name }, *in)
		if err != nil {
			return nil, err
		}
		out := &databaseList{}
		out.Body.Databases = make([]Database, 0, len(items))
		for _, d := range items {
			out.Body.Databases = append(out.Body.Databases, dbOut(d))
		}
		out.Body.NextCursor = next
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-database", Method: http.MethodPost, Path: "/api/v1/databases",
		Summary: "Create a database", Tags: []string{"Databases"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity, http.StatusForbidden},
	}, func(ctx context.Context, in *struct {
		Body struct {
			Name string `json:"name" doc:"Database name (A-Z, a-z, 0-9, _ and -)." example:"shop"`
			ID   string `json:"id,omitempty" doc:"Keep this id (a data node registering an existing database)."`
		}
	}) (*databaseOne, error) {
		tenant := tenantOf(ctx)
		if tenant == "" {
			tenant = m.DefaultTenant
		}
		d, err := rs.Meta.CreateDatabase(ctx, tenant, in.Body.Name, in.Body.ID)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &databaseOne{ETag: etag(d.Version), Location: "/api/v1/databases/" + d.Name, Body: dbOut(d)}
		out.Seq = rs.applied(ctx)
		if !rs.DevMode && !fromNode(ctx) && rs.ClusterSecret != "" {
			// The tenant's driver login gets the new database at once.
			if _, _, err := rs.tenantLogin(ctx, tenant); err != nil {
				rs.Log.Warn("grant the tenant's driver user the new database", "tenant", tenant, "db", d.Name, "err", err)
			}
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-database", Method: http.MethodGet, Path: "/api/v1/databases/{db}",
		Summary: "Get a database", Tags: []string{"Databases"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *DBPath) (*databaseOne, error) {
		d, err := rs.Meta.GetDatabase(ctx, tenantOf(ctx), in.DB)
		if err != nil {
			return nil, rs.problem(err)
		}
		return &databaseOne{ETag: etag(d.Version), Body: dbOut(d)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-database", Method: http.MethodDelete, Path: "/api/v1/databases/{db}",
		Summary: "Drop a database", Description: "Refused (409) while the database has tables, unless force is set.",
		Tags: []string{"Databases"}, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed},
	}, func(ctx context.Context, in *struct {
		DBPath
		IfMatchHeader
		Force bool `query:"force" doc:"Drop the database's tables too."`
	}) (*DDLHeaders, error) {
		v, err := parseIfMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		if _, _, err := rs.Meta.DropDatabase(ctx, tenantOf(ctx), in.DB, in.Force, v); err != nil {
			return nil, rs.problem(err)
		}
		return &DDLHeaders{Seq: rs.applied(ctx)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-tables", Method: http.MethodGet, Path: "/api/v1/databases/{db}/tables",
		Summary: "List the tables of a database", Tags: []string{"Tables"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		DBPath
		PageParams
	}) (*tableList, error) {
		tables, err := rs.Meta.ListTables(ctx, tenantOf(ctx), in.DB)
		if err != nil {
			return nil, rs.problem(err)
		}
		items, next, err := page(tables, func(t meta.TableInfo) string { return t.Name }, in.PageParams)
		if err != nil {
			return nil, err
		}
		out := &tableList{}
		out.Body.Tables = make([]Table, 0, len(items))
		for _, t := range items {
			out.Body.Tables = append(out.Body.Tables, tableOut(t.Table))
		}
		out.Body.NextCursor = next
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-table", Method: http.MethodPost, Path: "/api/v1/databases/{db}/tables",
		Summary: "Create a table", Tags: []string{"Tables"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusForbidden},
	}, func(ctx context.Context, in *tableCreate) (*tableOne, error) {
		if d, err := rs.Meta.GetDatabase(ctx, tenantOf(ctx), in.DB); err == nil {
			if err := rs.checkStorageQuota(ctx, d.Tenant); err != nil {
				return nil, err
			}
		}
		t, err := rs.Meta.CreateTable(ctx, tenantOf(ctx), in.DB, meta.TableSpec{
			ID: in.Body.ID, Name: in.Body.Name, PrimaryKey: in.Body.PrimaryKey, Shards: in.Body.Shards,
			Replicas: in.Body.Replicas, Durability: in.Body.Durability, WriteAcks: in.Body.WriteAcks,
		})
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &tableOne{ETag: etag(t.Version), Location: "/api/v1/databases/" + t.DB + "/tables/" + t.Name, Body: tableOut(t.Table)}
		out.Seq = rs.applied(ctx)
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-table", Method: http.MethodGet, Path: "/api/v1/databases/{db}/tables/{table}",
		Summary: "Get a table", Tags: []string{"Tables"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *TablePath) (*tableOne, error) {
		t, err := rs.Meta.GetTable(ctx, tenantOf(ctx), in.DB, in.Table)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &tableOne{ETag: etag(t.Version), Body: tableOut(t.Table)}
		if n, err := rs.Node.Count(ctx, t.DB, t.Name); err == nil {
			out.Body.Documents = &n
		}
		if ixs, err := rs.Node.Indexes(ctx, t.DB, t.Name); err == nil {
			out.Body.Indexes = []string{}
			for _, ix := range ixs {
				out.Body.Indexes = append(out.Body.Indexes, ix.Name)
			}
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-table", Method: http.MethodPatch, Path: "/api/v1/databases/{db}/tables/{table}",
		Summary: "Change a table's shards, replicas, durability or write acks", Tags: []string{"Tables"},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusPreconditionFailed},
	}, func(ctx context.Context, in *tablePatch) (*tableOne, error) {
		v, err := parseIfMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		_, t, err := rs.Meta.UpdateTable(ctx, tenantOf(ctx), in.DB, in.Table, meta.TablePatch{
			Shards: in.Body.Shards, Replicas: in.Body.Replicas, Durability: in.Body.Durability, WriteAcks: in.Body.WriteAcks,
		}, v)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &tableOne{ETag: etag(t.Version), Body: tableOut(t.Table)}
		out.Seq = rs.applied(ctx)
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-table", Method: http.MethodDelete, Path: "/api/v1/databases/{db}/tables/{table}",
		Summary: "Drop a table", Tags: []string{"Tables"}, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound, http.StatusPreconditionFailed},
	}, func(ctx context.Context, in *struct {
		TablePath
		IfMatchHeader
	}) (*DDLHeaders, error) {
		v, err := parseIfMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		if _, err := rs.Meta.DropTable(ctx, tenantOf(ctx), in.DB, in.Table, v); err != nil {
			return nil, rs.problem(err)
		}
		return &DDLHeaders{Seq: rs.applied(ctx)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "rename", Method: http.MethodPost, Path: "/api/v1/rename",
		Summary: "Rename a database or a table", Description: "Used by data nodes for writes to rethinkdb.db_config and table_config.",
		Tags: []string{"Databases"}, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		Body struct {
			DB    string `json:"db"`
			Table string `json:"table,omitempty" doc:"Empty: rename the database."`
			To    string `json:"to"`
		}
	}) (*DDLHeaders, error) {
		var err error
		if in.Body.Table == "" {
			err = rs.Meta.RenameDatabase(ctx, tenantOf(ctx), in.Body.DB, in.Body.To)
		} else {
			err = rs.Meta.RenameTable(ctx, tenantOf(ctx), in.Body.DB, in.Body.Table, in.Body.To)
		}
		if err != nil {
			return nil, rs.problem(err)
		}
		return &DDLHeaders{Seq: rs.applied(ctx)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-all-tables", Method: http.MethodGet, Path: "/api/tables",
		Summary: "List every table of the caller's tenant", Tags: []string{"Tables"},
	}, func(ctx context.Context, _ *struct{}) (*reply[ListAllTablesBody], error) {
		tables, err := rs.Meta.AllTables(ctx, tenantOf(ctx))
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &reply[ListAllTablesBody]{}
		out.Body.Tables = make([]Table, 0, len(tables))
		for _, t := range tables {
			out.Body.Tables = append(out.Body.Tables, tableOut(t.Table))
		}
		return out, nil
	})
}
