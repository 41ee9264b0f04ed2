package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/photondb-io/photondb/controlplane/nodeclient"
	m "github.com/photondb-io/photondb/shared/meta"
)

// UserAdmin manages the data nodes' ReQL users (the drivers' accounts).
type UserAdmin interface {
	Users(ctx context.Context) ([]nodeclient.User, error)
	SetUser(ctx context.Context, name, password string) error
	DeleteUser(ctx context.Context, name string) error
	Grant(ctx context.Context, user, db, table string, perms map[string]any) (any, error)
	Permissions(ctx context.Context, user string) ([]map[string]any, error)
}

// reservedUser reports names the platform keeps for itself: tenants'
// query users and the cluster's login.
func reservedUser(name string) bool {
	return strings.HasPrefix(name, "tenant_") || strings.HasPrefix(name, "__") || name == m.ClusterUser
}

func (rs *REST) operatorOnly(ctx context.Context) error {
	if !operator(ctx) {
		return huma.Error403Forbidden("Only the platform's operators (owners of the default tenant) manage ReQL users.")
	}
	if rs.UserAdmin == nil {
		return huma.NewError(http.StatusServiceUnavailable, "No data node to manage users on.")
	}
	return nil
}

type UserPath struct {
	User string `path:"user" doc:"ReQL user name."`
}

func (rs *REST) registerUsers(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users",
		Summary: "List the drivers' ReQL users", Tags: []string{"Users"},
		Description: "rethinkdb.users as RethinkDB shows it: passwords only as true/false.",
	}, func(ctx context.Context, _ *struct{}) (*reply[ListUsersBody], error) {
		if err := rs.operatorOnly(ctx); err != nil {
			return nil, err
		}
		users, err := rs.UserAdmin.Users(ctx)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &reply[ListUsersBody]{}
		out.Body.Users = append([]nodeclient.User{}, users...)
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "put-user", Method: http.MethodPut, Path: "/api/v1/users/{user}",
		Summary: "Create a ReQL user or change its password", Tags: []string{"Users"},
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusUnprocessableEntity, http.StatusForbidden},
	}, func(ctx context.Context, in *struct {
		UserPath
		Body struct {
			Password string `json:"password,omitempty" doc:"Empty: no password."`
		}
	}) (*struct{}, error) {
		if err := rs.operatorOnly(ctx); err != nil {
			return nil, err
		}
		if reservedUser(in.User) {
			return nil, huma.Error422UnprocessableEntity("User names starting with `tenant_` or `__` are reserved.")
		}
		if err := rs.UserAdmin.SetUser(ctx, in.User, in.Body.Password); err != nil {
			return nil, rs.problem(err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-user", Method: http.MethodDelete, Path: "/api/v1/users/{user}",
		Summary: "Delete a ReQL user", Tags: []string{"Users"},
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *UserPath) (*struct{}, error) {
		if err := rs.operatorOnly(ctx); err != nil {
			return nil, err
		}
		if reservedUser(in.User) {
			return nil, huma.Error422UnprocessableEntity("User names starting with `tenant_` or `__` are reserved.")
		}
		if err := rs.UserAdmin.DeleteUser(ctx, in.User); err != nil {
			return nil, rs.problem(err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-permissions", Method: http.MethodGet, Path: "/api/v1/users/{user}/permissions",
		Summary: "A ReQL user's permissions (rethinkdb.permissions rows)", Tags: []string{"Users"},
	}, func(ctx context.Context, in *UserPath) (*reply[GetPermissionsBody], error) {
		if err := rs.operatorOnly(ctx); err != nil {
			return nil, err
		}
		perms, err := rs.UserAdmin.Permissions(ctx, in.User)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &reply[GetPermissionsBody]{}
		out.Body.Permissions = perms
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "grant", Method: http.MethodPost, Path: "/api/v1/users/{user}/grant",
		Summary: "Grant or revoke permissions (r.grant)", Tags: []string{"Users"},
		Description: "Global scope without db, database scope with db, table scope with db and table. " +
			"true grants, false denies, null inherits, as RethinkDB's grant.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		UserPath
		Body struct {
			DB      string `json:"db,omitempty"`
			Table   string `json:"table,omitempty"`
			Read    *bool  `json:"read,omitempty"`
			Write   *bool  `json:"write,omitempty"`
			Config  *bool  `json:"config,omitempty"`
			Connect *bool  `json:"connect,omitempty"`
		}
	}) (*reply[any], error) {
		if err := rs.operatorOnly(ctx); err != nil {
			return nil, err
		}
		if in.Body.Table != "" && in.Body.DB == "" {
			return nil, huma.Error422UnprocessableEntity("A table grant needs its db.")
		}
		perms := map[string]any{}
		for k, v := range map[string]*bool{"read": in.Body.Read, "write": in.Body.Write, "config": in.Body.Config, "connect": in.Body.Connect} {
			if v != nil {
				perms[k] = *v
			}
		}
		res, err := rs.UserAdmin.Grant(ctx, in.User, in.Body.DB, in.Body.Table, perms)
		if err != nil {
			return nil, rs.queryError(err)
		}
		return &reply[any]{Body: res}, nil
	})
}

// TenantScoped wraps a handler that takes a `db` query parameter (the
// WebSocket changefeeds at /api/changes): callers other than the
// platform's operators may only name their tenant's databases (404 as for
// a missing database otherwise). It runs behind the auth middleware.
func (rs *REST) TenantScoped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := caller(ctx)
		if !operator(ctx) && id.Node == "" {
			db := r.URL.Query().Get("db")
			if _, err := rs.Meta.GetDatabase(ctx, id.Tenant, db); err != nil {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusNotFound)
				_ = json.NewEncoder(w).Encode(map[string]any{"title": "Not Found", "status": 404, "detail": "Database `" + db + "` does not exist."})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
