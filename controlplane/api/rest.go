package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"

	"github.com/photondb-io/photondb/controlplane/nodeclient"
)

// Database is a database as the REST API shows it.
type Database struct {
	Name string `json:"name" doc:"Database name (A-Z, a-z, 0-9, _ and -)." example:"shop"`
}

type databaseList struct {
	Body struct {
		Databases []Database `json:"databases"`
	}
}

type databaseCreated struct {
	Location string `header:"Location"`
	Body     Database
}

type dbPath struct {
	DB string `path:"db" doc:"Database name."`
}

type tablePath struct {
	DB    string `path:"db" doc:"Database name."`
	Table string `path:"table" doc:"Table name."`
}

// Table is a table as the REST API shows it.
type Table struct {
	DB         string `json:"db" doc:"Database the table belongs to."`
	Name       string `json:"name" doc:"Table name." example:"users"`
	PrimaryKey string `json:"primary_key" doc:"Primary key field." example:"id"`
	Durability string `json:"durability" doc:"Default write durability." enum:"hard,soft"`
}

type tableList struct {
	Body struct {
		Tables []Table `json:"tables"`
	}
}

type tableCreate struct {
	DB   string `path:"db" doc:"Database name."`
	Body struct {
		Name       string `json:"name" doc:"Table name (A-Z, a-z, 0-9, _ and -)." example:"users"`
		PrimaryKey string `json:"primary_key,omitempty" doc:"Primary key field; default id." example:"id"`
		Durability string `json:"durability,omitempty" enum:"hard,soft" doc:"Default write durability; default hard."`
	}
}

type tableCreated struct {
	Location string `header:"Location"`
	Body     Table
}

// restConfig is the huma configuration: OpenAPI 3.1 at /openapi.json
// (and .yaml), documentation at /docs, JSON schemas at /schemas.
func restConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("PhotonDB control plane API", version)
	cfg.Info.Description = "Manage PhotonDB databases and tables. Errors are RFC 9457 problem+json documents."
	return cfg
}

// mountREST registers the /api/v1 resources, the OpenAPI document and the
// docs on r.
func mountREST(r chi.Router, dn nodeclient.DataNode, version string) huma.API {
	if version == "" {
		version = "dev"
	}
	api := humachi.New(r, restConfig(version))
	registerREST(api, dn)
	return api
}

func registerREST(api huma.API, dn nodeclient.DataNode) {
	huma.Register(api, huma.Operation{
		OperationID: "list-databases", Method: http.MethodGet, Path: "/api/v1/databases",
		Summary: "List databases", Tags: []string{"Databases"},
	}, func(ctx context.Context, _ *struct{}) (*databaseList, error) {
		names, err := dn.ListDBs(ctx)
		if err != nil {
			return nil, problem(err)
		}
		out := &databaseList{}
		out.Body.Databases = make([]Database, 0, len(names))
		for _, n := range names {
			out.Body.Databases = append(out.Body.Databases, Database{Name: n})
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-database", Method: http.MethodPost, Path: "/api/v1/databases",
		Summary: "Create a database", Tags: []string{"Databases"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct{ Body Database }) (*databaseCreated, error) {
		if err := dn.CreateDB(ctx, in.Body.Name); err != nil {
			return nil, problem(err)
		}
		return &databaseCreated{
			Location: "/api/v1/databases/" + url.PathEscape(in.Body.Name),
			Body:     Database{Name: in.Body.Name},
		}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-database", Method: http.MethodDelete, Path: "/api/v1/databases/{db}",
		Summary: "Drop a database and all its tables", Tags: []string{"Databases"},
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *dbPath) (*struct{}, error) {
		if err := dn.DropDB(ctx, in.DB); err != nil {
			return nil, problem(err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-tables", Method: http.MethodGet, Path: "/api/v1/databases/{db}/tables",
		Summary: "List the tables of a database", Tags: []string{"Tables"},
		Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *dbPath) (*tableList, error) {
		tables, err := dn.ListTables(ctx, in.DB)
		if err != nil {
			return nil, problem(err)
		}
		out := &tableList{}
		out.Body.Tables = make([]Table, 0, len(tables))
		for _, t := range tables {
			out.Body.Tables = append(out.Body.Tables, Table(t))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-table", Method: http.MethodPost, Path: "/api/v1/databases/{db}/tables",
		Summary: "Create a table", Tags: []string{"Tables"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *tableCreate) (*tableCreated, error) {
		t, err := dn.CreateTable(ctx, in.DB, nodeclient.TableSpec{
			Name: in.Body.Name, PrimaryKey: in.Body.PrimaryKey, Durability: in.Body.Durability,
		})
		if err != nil {
			return nil, problem(err)
		}
		return &tableCreated{
			Location: "/api/v1/databases/" + url.PathEscape(in.DB) + "/tables/" + url.PathEscape(t.Name),
			Body:     Table(t),
		}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-table", Method: http.MethodDelete, Path: "/api/v1/databases/{db}/tables/{table}",
		Summary: "Drop a table", Tags: []string{"Tables"},
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *tablePath) (*struct{}, error) {
		if err := dn.DropTable(ctx, in.DB, in.Table); err != nil {
			return nil, problem(err)
		}
		return nil, nil
	})
}

// statusFor is the HTTP status of a catalog error kind.
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

// problem turns a catalog error into an RFC 9457 problem whose detail is
// the data node's (RethinkDB's) message.
func problem(err error) error {
	var ce *nodeclient.Error
	if !errors.As(nodeclient.Classify(err), &ce) {
		return huma.Error500InternalServerError("internal error")
	}
	return huma.NewError(statusFor(ce.Kind), ce.Message)
}
