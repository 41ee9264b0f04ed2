package api

import "github.com/photondb-io/photondb/controlplane/nodeclient"

// reply is a huma output whose body is T.
type reply[T any] struct{ Body T }

// Bodies of the answers whose types appear nowhere else.
type (
	// AdminCompactBody is the answer of admin-compact.
	AdminCompactBody struct {
		Compacted      bool  `json:"compacted"`
		Nodes          int   `json:"nodes"`
		ReclaimedBytes int64 `json:"reclaimed_bytes"`
	}
	// GetPermissionsBody is the answer of get-permissions.
	GetPermissionsBody struct {
		Permissions []map[string]any `json:"permissions"`
	}
	// ListAllTablesBody is the answer of list-all-tables.
	ListAllTablesBody struct {
		Tables []Table `json:"tables"`
	}
	// ListIndexesBody is the answer of list-indexes.
	ListIndexesBody struct {
		Indexes []nodeclient.Index `json:"indexes"`
	}
	// ListNodesBody is the answer of list-nodes.
	ListNodesBody struct {
		Nodes []Node `json:"nodes"`
	}
	// ListTenantsBody is the answer of list-tenants.
	ListTenantsBody struct {
		Tenants    []Tenant `json:"tenants"`
		NextCursor string   `json:"next_cursor,omitempty"`
	}
	// ListTokensBody is the answer of list-tokens.
	ListTokensBody struct {
		Tokens []Token `json:"tokens"`
	}
	// ListUsersBody is the answer of list-users.
	ListUsersBody struct {
		Users []nodeclient.User `json:"users"`
	}
	// QueryBody is the answer of query.
	QueryBody struct {
		Result any `json:"result"`
	}
	// StatusBody is the answer of status.
	StatusBody struct {
		Version      string `json:"version"`
		Catalog      string `json:"catalog" enum:"embedded,consul"`
		Nodes        int    `json:"nodes"`
		HealthyNodes int    `json:"healthy_nodes"`
		Databases    int    `json:"databases"`
		Tables       int    `json:"tables"`
	}
)
