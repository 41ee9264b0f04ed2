package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/photondb-io/photondb/controlplane/nodeclient"
)

// MaxBatch is the most documents one POST .../documents takes.
const MaxBatch = 1000

type documentPage struct {
	Body struct {
		Documents  []json.RawMessage `json:"documents"`
		NextCursor string            `json:"next_cursor,omitempty"`
	}
}

// queryError maps a ReQL error from a query to a problem: the query's
// fault is 400 with RethinkDB's message, a missing table 404, an
// unreachable data node 503.
func (rs *REST) queryError(err error) error {
	var ce *nodeclient.Error
	if errors.As(nodeclient.Classify(err), &ce) {
		switch ce.Kind {
		case nodeclient.KindUnavailable:
			return huma.NewError(http.StatusServiceUnavailable, ce.Message)
		case nodeclient.KindNotFound:
			return huma.NewError(http.StatusNotFound, ce.Message)
		case nodeclient.KindInternal:
			if errors.Is(err, context.DeadlineExceeded) {
				return huma.NewError(http.StatusServiceUnavailable, "The query timed out.")
			}
		}
		return huma.NewError(http.StatusBadRequest, ce.Message)
	}
	return rs.problem(err)
}

func (rs *REST) registerData(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-indexes", Method: http.MethodGet, Path: "/api/v1/databases/{db}/tables/{table}/indexes",
		Summary: "List a table's secondary indexes", Tags: []string{"Tables"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *TablePath) (*reply[ListIndexesBody], error) {
		if _, err := rs.Meta.GetTable(ctx, tenantOf(ctx), in.DB, in.Table); err != nil {
			return nil, rs.problem(err)
		}
		ixs, err := rs.Node.Indexes(ctx, in.DB, in.Table)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &reply[ListIndexesBody]{}
		out.Body.Indexes = append([]nodeclient.Index{}, ixs...)
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-documents", Method: http.MethodGet, Path: "/api/v1/databases/{db}/tables/{table}/documents",
		Summary: "Read a table's documents in primary-key order", Tags: []string{"Documents"},
		Description: "Times, binaries and geometries keep their $reql_type$ form, so an export can be imported back unchanged.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		TablePath
		PageParams
	}) (*documentPage, error) {
		t, err := rs.Meta.GetTable(ctx, tenantOf(ctx), in.DB, in.Table)
		if err != nil {
			return nil, rs.problem(err)
		}
		var after any
		if in.Cursor != "" {
			raw, err := base64.RawURLEncoding.DecodeString(in.Cursor)
			if err == nil {
				err = json.Unmarshal(raw, &after)
			}
			if err != nil {
				return nil, huma.Error400BadRequest("cursor is not one this API returned")
			}
		}
		limit := in.Limit
		if limit <= 0 {
			limit = 100
		}
		docs, err := rs.Node.Documents(ctx, t.DB, t.Name, t.PrimaryKey, after, limit)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &documentPage{}
		out.Body.Documents = docs
		if len(docs) == limit {
			var last map[string]json.RawMessage
			if err := json.Unmarshal(docs[len(docs)-1], &last); err != nil || last[t.PrimaryKey] == nil {
				return nil, rs.problem(fmt.Errorf("document without primary key %q in %s.%s", t.PrimaryKey, t.DB, t.Name))
			}
			out.Body.NextCursor = base64.RawURLEncoding.EncodeToString(last[t.PrimaryKey])
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "insert-documents", Method: http.MethodPost, Path: "/api/v1/databases/{db}/tables/{table}/documents",
		Summary: "Insert documents", Tags: []string{"Documents"},
		Description: fmt.Sprintf("At most %d documents per call. Per-document errors are counted in the result, as ReQL's insert does.", MaxBatch),
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TablePath
		Body struct {
			Documents []json.RawMessage `json:"documents" maxItems:"1000"`
			Conflict  string            `json:"conflict,omitempty" enum:"error,replace,update" doc:"Default error."`
		}
	}) (*reply[nodeclient.WriteResult], error) {
		t, err := rs.Meta.GetTable(ctx, tenantOf(ctx), in.DB, in.Table)
		if err != nil {
			return nil, rs.problem(err)
		}
		d, err := rs.Meta.GetDatabase(ctx, "", t.DB)
		if err != nil {
			return nil, rs.problem(err)
		}
		if err := rs.checkStorageQuota(ctx, d.Tenant); err != nil {
			return nil, err
		}
		conflict := in.Body.Conflict
		if conflict == "" {
			conflict = "error"
		}
		if len(in.Body.Documents) == 0 {
			return &reply[nodeclient.WriteResult]{}, nil
		}
		for i, d := range in.Body.Documents {
			if t := bytes.TrimLeft(d, " \t\r\n"); len(t) == 0 || t[0] != '{' {
				return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("documents[%d] is not a JSON object.", i))
			}
		}
		res, err := rs.Node.Insert(ctx, t.DB, t.Name, in.Body.Documents, conflict)
		if err != nil {
			return nil, rs.queryError(err)
		}
		return &reply[nodeclient.WriteResult]{Body: res}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "query", Method: http.MethodPost, Path: "/api/query",
		Summary: "Run a ReQL query given as text", Tags: []string{"Query"},
		Description: "The text is JavaScript-driver syntax, e.g. r.table('users').filter({active: true}). " +
			"Syntax errors answer 400 with their position; ReQL errors answer 400 with RethinkDB's message.",
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusNotImplemented},
	}, func(ctx context.Context, in *struct {
		Body struct {
			Query string `json:"query" example:"r.table('users').filter({active: true})"`
			DB    string `json:"db,omitempty" doc:"Default database for table references without one." example:"test"`
		}
	}) (*reply[QueryBody], error) {
		if rs.ParseReQL == nil {
			return nil, huma.NewError(http.StatusNotImplemented, "ReQL text queries are not available on this server.")
		}
		term, err := rs.ParseReQL(in.Body.Query)
		if err != nil {
			return nil, huma.Error400BadRequest(err.Error())
		}
		if in.Body.DB != "" {
			if _, err := rs.Meta.GetDatabase(ctx, tenantOf(ctx), in.Body.DB); err != nil {
				return nil, rs.problem(err)
			}
		}
		var v any
		switch {
		case operator(ctx):
			// The platform's operators (and dev mode) query as admin.
			v, err = rs.Node.Query(ctx, term, in.Body.DB)
		case rs.ClusterSecret == "":
			return nil, huma.NewError(http.StatusServiceUnavailable, "Tenant queries need the cluster secret (PHOTONDB_CLUSTER_SECRET) on the control plane.")
		default:
			tenant := tenantOf(ctx)
			if growsData(term) {
				if err := rs.checkStorageQuota(ctx, tenant); err != nil {
					return nil, err
				}
			}
			var user, password string
			if user, password, err = rs.tenantLogin(ctx, tenant); err == nil {
				if v, err = rs.Node.QueryAs(ctx, user, password, term, in.Body.DB); err != nil {
					rs.forgetTenant(tenant) // ensure the user again next time
				}
			}
		}
		if err != nil {
			return nil, rs.queryError(err)
		}
		out := &reply[QueryBody]{}
		out.Body.Result = v
		return out, nil
	})
}
