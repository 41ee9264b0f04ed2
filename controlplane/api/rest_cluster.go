package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/photondb-io/photondb/controlplane/auth"
	"github.com/photondb-io/photondb/controlplane/meta"
	m "github.com/photondb-io/photondb/shared/meta"
)

// Node is a data node as the REST API shows it.
type Node struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Address     string    `json:"address"`
	DriverPort  int       `json:"driver_port"`
	ClusterPort int       `json:"cluster_port,omitempty"`
	HTTPPort    int       `json:"http_port,omitempty"`
	Tags        []string  `json:"tags"`
	Status      string    `json:"status" enum:"healthy,unhealthy,draining"`
	Applied     uint64    `json:"applied_seq" doc:"Catalog position the node has applied."`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	Shards      int       `json:"shards" doc:"Shard replicas placed on the node."`
}

// Quotas limit a tenant; zero (or absent) means unlimited.
type Quotas struct {
	Databases    int   `json:"databases" required:"false" minimum:"0"`
	Tables       int   `json:"tables" required:"false" minimum:"0"`
	StorageBytes int64 `json:"storage_bytes" required:"false" minimum:"0"`
}

// Tenant is a tenant as the REST API shows it.
type Tenant struct {
	Name      string    `json:"name" example:"acme"`
	Quotas    Quotas    `json:"quotas"`
	Usage     m.Usage   `json:"usage"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is an API token (its secret only in the create response).
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Tenant    string    `json:"tenant"`
	Role      string    `json:"role" enum:"owner,admin,developer,reader"`
	CreatedAt time.Time `json:"created_at"`
	Token     string    `json:"token,omitempty" doc:"The secret; shown once, at creation."`
}

func tenantOut(t meta.TenantInfo) Tenant {
	return Tenant{Name: t.Name, Quotas: Quotas(t.Quotas), Usage: t.Usage, CreatedAt: t.CreatedAt}
}

func tokenOut(t meta.Token) Token {
	return Token{ID: t.ID, Name: t.Name, Tenant: t.Tenant, Role: t.Role, CreatedAt: t.CreatedAt}
}

type tenantOne struct {
	ETag string `header:"ETag"`
	Body Tenant
}

type TenantPath struct {
	Tenant string `path:"tenant"`
}

func (rs *REST) nodes(ctx context.Context) ([]Node, error) {
	nodes, err := rs.Meta.Nodes(ctx, rs.Registry)
	if err != nil {
		return nil, err
	}
	maps, _, err := rs.Meta.ShardMaps(ctx)
	if err != nil {
		return nil, err
	}
	held := map[string]int{}
	for _, sm := range maps {
		for _, sh := range sm.Shards {
			for _, r := range sh.Replicas {
				held[r]++
			}
		}
	}
	out := make([]Node, 0, len(nodes))
	for _, n := range nodes {
		status := "unhealthy"
		switch {
		case n.Draining:
			status = "draining"
		case n.Healthy:
			status = "healthy"
		}
		tags := n.Tags
		if tags == nil {
			tags = []string{}
		}
		out = append(out, Node{ID: n.ID, Name: n.Name, Address: n.Address, DriverPort: n.DriverPort,
			ClusterPort: n.ClusterPort, HTTPPort: n.HTTPPort, Tags: tags, Status: status,
			Applied: n.Applied, LastSeen: n.LastSeen, Shards: held[n.ID]})
	}
	return out, nil
}

func (rs *REST) registerCluster(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-nodes", Method: http.MethodGet, Path: "/api/v1/nodes",
		Summary: "List data nodes", Tags: []string{"Nodes"},
	}, func(ctx context.Context, _ *struct{}) (*reply[ListNodesBody], error) {
		nodes, err := rs.nodes(ctx)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &reply[ListNodesBody]{}
		out.Body.Nodes = nodes
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "register-node", Method: http.MethodPut, Path: "/api/v1/nodes/{id}",
		Summary: "Register a data node (heartbeat)", Description: "Data nodes call this at start and then periodically (embedded registry).",
		Tags: []string{"Nodes"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *struct {
		ID   string `path:"id"`
		Body m.NodeRegistration
	}) (*struct{}, error) {
		n := in.Body.Node(in.ID)
		if err := rs.Meta.RegisterNode(ctx, n); err != nil {
			return nil, rs.problem(err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "drain-node", Method: http.MethodPost, Path: "/api/v1/nodes/{id}/drain",
		Summary: "Drain a data node", Description: "The scheduler moves the node's replicas to other nodes.",
		Tags: []string{"Nodes"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		ID   string `path:"id"`
		Undo bool   `query:"undo" doc:"Stop draining."`
	}) (*reply[Node], error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators may drain nodes.")
		}
		if _, err := rs.Meta.SetDraining(ctx, in.ID, !in.Undo); err != nil {
			return nil, rs.problem(err)
		}
		nodes, err := rs.nodes(ctx)
		if err != nil {
			return nil, rs.problem(err)
		}
		for _, n := range nodes {
			if n.ID == in.ID {
				return &reply[Node]{Body: n}, nil
			}
		}
		return nil, huma.Error404NotFound("Node `" + in.ID + "` is no longer registered.")
	})

	huma.Register(api, huma.Operation{
		OperationID: "remove-node", Method: http.MethodDelete, Path: "/api/v1/nodes/{id}",
		Summary: "Remove a data node", Description: "Refused (409) while the node still holds shard replicas.",
		Tags: []string{"Nodes"}, DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		ID string `path:"id"`
	}) (*struct{}, error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators may remove nodes.")
		}
		if err := rs.Meta.RemoveNode(ctx, in.ID); err != nil {
			return nil, rs.problem(err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-shards", Method: http.MethodGet, Path: "/api/v1/databases/{db}/tables/{table}/shards",
		Summary: "A table's shard map", Tags: []string{"Tables"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *TablePath) (*reply[m.ShardMap], error) {
		sm, err := rs.Meta.ShardMap(ctx, tenantOf(ctx), in.DB, in.Table)
		if err != nil {
			return nil, rs.problem(err)
		}
		return &reply[m.ShardMap]{Body: sm}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "catalog-sync", Method: http.MethodGet, Path: "/api/v1/internal/catalog",
		Summary: "Follow the catalog (data nodes)", Tags: []string{"Internal"},
		Description: "Returns the database and table changes after `after`, waiting up to `wait` seconds for one; a snapshot when after is 0, the cluster id differs, or the changes were compacted.",
	}, func(ctx context.Context, in *struct {
		After     uint64 `query:"after"`
		ClusterID string `query:"cluster_id"`
		Wait      int    `query:"wait" minimum:"0" maximum:"25" default:"0"`
		Node      string `header:"X-PhotonDB-Node"`
	}) (*reply[m.SyncState], error) {
		if rs.Stopping != nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-rs.Stopping:
					cancel()
				case <-ctx.Done():
				}
			}()
		}
		st, err := rs.Meta.Sync(ctx, in.Node, in.ClusterID, in.After, time.Duration(in.Wait)*time.Second)
		if err != nil && ctx.Err() != nil && rs.Stopping != nil {
			return nil, huma.NewError(http.StatusServiceUnavailable, "The control plane is shutting down.")
		}
		if err != nil {
			return nil, rs.problem(err)
		}
		return &reply[m.SyncState]{Body: st}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "status", Method: http.MethodGet, Path: "/api/v1/status",
		Summary: "Cluster summary", Tags: []string{"Nodes"},
	}, func(ctx context.Context, _ *struct{}) (*reply[StatusBody], error) {
		out := &reply[StatusBody]{}
		nodes, err := rs.nodes(ctx)
		if err != nil {
			return nil, rs.problem(err)
		}
		dbs, err := rs.Meta.ListDatabases(ctx, tenantOf(ctx))
		if err != nil {
			return nil, rs.problem(err)
		}
		out.Body.Version, out.Body.Catalog, out.Body.Nodes, out.Body.Databases = rs.Version, rs.Registry.Kind(), len(nodes), len(dbs)
		for _, n := range nodes {
			if n.Status == "healthy" {
				out.Body.HealthyNodes++
			}
		}
		for _, d := range dbs {
			out.Body.Tables += d.Tables
		}
		return out, nil
	})

	rs.registerTenants(api)
}

func (rs *REST) registerTenants(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-tenants", Method: http.MethodGet, Path: "/api/v1/tenants",
		Summary: "List tenants", Tags: []string{"Tenants"},
	}, func(ctx context.Context, in *PageParams) (*reply[ListTenantsBody], error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators (owners of the default tenant) may list tenants.")
		}
		ts, err := rs.Meta.ListTenants(ctx)
		if err != nil {
			return nil, rs.problem(err)
		}
		items, next, err := page(ts, func(t meta.TenantInfo) string { return t.Name }, *in)
		if err != nil {
			return nil, err
		}
		out := &reply[ListTenantsBody]{}
		out.Body.Tenants = make([]Tenant, 0, len(items))
		for _, t := range items {
			out.Body.Tenants = append(out.Body.Tenants, tenantOut(t))
		}
		out.Body.NextCursor = next
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-tenant", Method: http.MethodPost, Path: "/api/v1/tenants",
		Summary: "Create a tenant", Tags: []string{"Tenants"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		Body struct {
			Name   string `json:"name" example:"acme"`
			Quotas Quotas `json:"quotas,omitempty" doc:"Zero means unlimited."`
		}
	}) (*tenantOne, error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators (owners of the default tenant) may create tenants.")
		}
		t, err := rs.Meta.CreateTenant(ctx, in.Body.Name, m.Quotas(in.Body.Quotas))
		if err != nil {
			return nil, rs.problem(err)
		}
		return &tenantOne{ETag: etag(t.Version), Body: tenantOut(t)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-tenant", Method: http.MethodGet, Path: "/api/v1/tenants/{tenant}",
		Summary: "Get a tenant", Tags: []string{"Tenants"}, Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *TenantPath) (*tenantOne, error) {
		if !operator(ctx) && caller(ctx).Tenant != in.Tenant {
			return nil, rs.problem(&meta.Error{Kind: meta.KindNotFound, Message: "Tenant `" + in.Tenant + "` does not exist."})
		}
		t, err := rs.Meta.GetTenant(ctx, in.Tenant)
		if err != nil {
			return nil, rs.problem(err)
		}
		if used, err := rs.storageUsage(ctx, in.Tenant); err == nil {
			t.Usage.StorageBytes = used
		}
		return &tenantOne{ETag: etag(t.Version), Body: tenantOut(t)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-tenant", Method: http.MethodPatch, Path: "/api/v1/tenants/{tenant}",
		Summary: "Change a tenant's quotas", Tags: []string{"Tenants"},
		Errors: []int{http.StatusNotFound, http.StatusPreconditionFailed, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TenantPath
		IfMatchHeader
		Body struct {
			Quotas Quotas `json:"quotas"`
		}
	}) (*tenantOne, error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators may change quotas.")
		}
		v, err := parseIfMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		t, err := rs.Meta.UpdateTenant(ctx, in.Tenant, m.Quotas(in.Body.Quotas), v)
		if err != nil {
			return nil, rs.problem(err)
		}
		return &tenantOne{ETag: etag(t.Version), Body: tenantOut(t)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-tenant", Method: http.MethodDelete, Path: "/api/v1/tenants/{tenant}",
		Summary: "Delete a tenant that owns no databases", Tags: []string{"Tenants"}, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed},
	}, func(ctx context.Context, in *struct {
		TenantPath
		IfMatchHeader
	}) (*struct{}, error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators may delete tenants.")
		}
		v, err := parseIfMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		if err := rs.Meta.DeleteTenant(ctx, in.Tenant, v); err != nil {
			return nil, rs.problem(err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/tokens",
		Summary: "List the tenant's API tokens", Tags: []string{"Tokens"},
	}, func(ctx context.Context, _ *struct{}) (*reply[ListTokensBody], error) {
		ts, err := rs.Meta.ListTokens(ctx, tenantOf(ctx))
		if err != nil {
			return nil, rs.problem(err)
		}
		out := &reply[ListTokensBody]{}
		out.Body.Tokens = make([]Token, 0, len(ts))
		for _, t := range ts {
			out.Body.Tokens = append(out.Body.Tokens, tokenOut(t))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/tokens",
		Summary: "Create an API token", Description: "The secret is in the response and nowhere else; only its hash is stored.",
		Tags: []string{"Tokens"}, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		Body struct {
			Name   string `json:"name" example:"ci"`
			Role   string `json:"role" enum:"owner,admin,developer,reader"`
			Tenant string `json:"tenant,omitempty" doc:"Another tenant's token (the platform's operators only); default: the caller's tenant."`
		}
	}) (*reply[Token], error) {
		tenant := tenantOf(ctx)
		if in.Body.Tenant != "" && in.Body.Tenant != tenant {
			if !operator(ctx) {
				return nil, huma.Error403Forbidden("Only the platform's operators may create tokens for other tenants.")
			}
			tenant = in.Body.Tenant
		} else if r, err := auth.ParseRole(in.Body.Role); err == nil && !caller(ctx).Role.AtLeast(r) {
			return nil, huma.Error403Forbidden("A token cannot have a higher role than its creator's (" + string(caller(ctx).Role) + ").")
		}
		t, secret, err := rs.Meta.CreateToken(ctx, tenant, in.Body.Name, in.Body.Role)
		if err != nil {
			return nil, rs.problem(err)
		}
		out := tokenOut(t)
		out.Token = secret
		return &reply[Token]{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-token", Method: http.MethodDelete, Path: "/api/v1/tokens/{id}",
		Summary: "Revoke an API token", Tags: []string{"Tokens"}, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound},
	}, func(ctx context.Context, in *struct {
		ID string `path:"id"`
	}) (*struct{}, error) {
		if err := rs.Meta.DeleteToken(ctx, tenantOf(ctx), in.ID); err != nil {
			return nil, rs.problem(err)
		}
		return nil, nil
	})
}
