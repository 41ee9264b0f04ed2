// Package meta is the cluster metadata model both sides share: tenants,
// databases, tables, shard maps and nodes as the control plane stores them
// in its catalog and as data nodes receive them, plus the catalog keys they
// live under and the catalog-sync messages between the two.
//
// The control plane owns this state (controlplane/meta writes it); data
// nodes follow it (datanode/catalogsync applies it) and never write it
// directly.
package meta

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DefaultTenant owns everything in dev mode and every database created
// through a driver until identities exist.
const DefaultTenant = "default"

// Quotas limit a tenant; zero means unlimited.
type Quotas struct {
	Databases    int   `json:"databases"`
	Tables       int   `json:"tables"`
	StorageBytes int64 `json:"storage_bytes"`
}

// Tenant owns databases, users and tokens.
type Tenant struct {
	Name      string    `json:"name"`
	Quotas    Quotas    `json:"quotas"`
	CreatedAt time.Time `json:"created_at"`
	// DriverKey numbers the tenant's driver password (derived from the
	// cluster secret and this number); rotating it bumps the number.
	DriverKey int `json:"driver_key,omitempty"`
}

// Usage is a tenant's counted resources, kept beside the tenant and updated
// in the same transaction as every create and drop, so quotas hold under
// concurrent requests.
type Usage struct {
	Databases int `json:"databases"`
	Tables    int `json:"tables"`
	// StorageBytes is measured on the data nodes when asked (not stored).
	StorageBytes int64 `json:"storage_bytes,omitempty"`
}

// Database is a database. Names are global (drivers address databases by
// name alone), each owned by one tenant.
type Database struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Tenant    string    `json:"tenant"`
	CreatedAt time.Time `json:"created_at"`
}

// Table is a table's configuration.
type Table struct {
	ID         string    `json:"id"`
	DB         string    `json:"db"`
	DBID       string    `json:"db_id"`
	Name       string    `json:"name"`
	PrimaryKey string    `json:"primary_key"`
	Shards     int       `json:"shards"`
	Replicas   int       `json:"replicas"`
	Durability string    `json:"durability"`
	WriteAcks  string    `json:"write_acks"`
	CreatedAt  time.Time `json:"created_at"`
}

// Shard is one shard's placement: Replicas are node ids, Primary is one of
// them.
type Shard struct {
	Index    int      `json:"shard"`
	Primary  string   `json:"primary"`
	Replicas []string `json:"replicas"`
}

// ShardMap is a table's placement.
type ShardMap struct {
	TableID string  `json:"table_id"`
	Shards  []Shard `json:"shards"`
}

// Node is a data node as the registry knows it.
type Node struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Address     string    `json:"address"`
	DriverPort  int       `json:"driver_port"`
	ClusterPort int       `json:"cluster_port,omitempty"`
	HTTPPort    int       `json:"http_port,omitempty"`
	Tags        []string  `json:"tags"`
	Draining    bool      `json:"draining"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// NodeRegistration is the body of a data node's registration and
// heartbeat (PUT /api/v1/nodes/{id}): the Node without what the control
// plane keeps (id from the path, draining, update time).
type NodeRegistration struct {
	Name        string   `json:"name"`
	Address     string   `json:"address"`
	DriverPort  int      `json:"driver_port"`
	ClusterPort int      `json:"cluster_port,omitempty"`
	HTTPPort    int      `json:"http_port,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// Registration is n's registration body.
func (n Node) Registration() NodeRegistration {
	return NodeRegistration{Name: n.Name, Address: n.Address, DriverPort: n.DriverPort,
		ClusterPort: n.ClusterPort, HTTPPort: n.HTTPPort, Tags: n.Tags}
}

// Node is the node id with this registration.
func (r NodeRegistration) Node(id string) Node {
	return Node{ID: id, Name: r.Name, Address: r.Address, DriverPort: r.DriverPort,
		ClusterPort: r.ClusterPort, HTTPPort: r.HTTPPort, Tags: r.Tags}
}

// Catalog keys. Names are restricted to [A-Za-z0-9_-] (RethinkDB's rule),
// so they never contain a slash.
const (
	TenantsPrefix   = "tenants/"
	UsagePrefix     = "usage/"
	DatabasesPrefix = "dbs/"
	TablesPrefix    = "tables/"
	ShardMapsPrefix = "shardmaps/"
	NodesPrefix     = "nodes/"
	TokensPrefix    = "tokens/"
	// ClusterIDKey holds the catalog's random identity, created once; data
	// nodes remember it to tell a fresh catalog from the one they followed.
	ClusterIDKey = "cluster/id"
)

// TenantKey is a tenant's key.
func TenantKey(name string) string { return TenantsPrefix + name }

// UsageKey is a tenant's usage counter key.
func UsageKey(tenant string) string { return UsagePrefix + tenant }

// DatabaseKey is a database's key.
func DatabaseKey(name string) string { return DatabasesPrefix + name }

// TablesOf is the key prefix of a database's tables.
func TablesOf(db string) string { return TablesPrefix + db + "/" }

// TableKey is a table's key.
func TableKey(db, name string) string { return TablesOf(db) + name }

// ShardMapKey is a table's shard map key.
func ShardMapKey(tableID string) string { return ShardMapsPrefix + tableID }

// NodeKey is a node's key.
func NodeKey(id string) string { return NodesPrefix + id }

// TokenKey is an API token's key.
func TokenKey(id string) string { return TokensPrefix + id }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidName reports whether name is a valid database, table or tenant name
// (RethinkDB: A-Z, a-z, 0-9, _ and - only).
func ValidName(name string) bool { return nameRE.MatchString(name) && len(name) <= 127 }

// ParseTableKey splits "tables/<db>/<name>".
func ParseTableKey(key string) (db, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, TablesPrefix)
	if !ok {
		return "", "", false
	}
	db, name, ok = strings.Cut(rest, "/")
	return db, name, ok && db != "" && name != ""
}

// Decode unmarshals a catalog value, naming the key on error.
func Decode[T any](key string, value []byte) (T, error) {
	var v T
	if err := json.Unmarshal(value, &v); err != nil {
		return v, fmt.Errorf("decode catalog value %s: %w", key, err)
	}
	return v, nil
}

// SyncState is what a data node needs to follow the catalog: either a full
// snapshot (Snapshot set) or the changes after the node's position.
type SyncState struct {
	ClusterID string       `json:"cluster_id"`
	Seq       uint64       `json:"seq"` // the position this answer brings the node to
	Snapshot  *Snapshot    `json:"snapshot,omitempty"`
	Changes   []SyncChange `json:"changes,omitempty"`
}

// Snapshot is the full set of databases and tables.
type Snapshot struct {
	Databases []Database `json:"databases"`
	Tables    []Table    `json:"tables"`
}

// SyncChange is one database or table change; exactly one of Database and
// Table is set, and Deleted says it was dropped.
type SyncChange struct {
	Seq      uint64    `json:"seq"`
	Deleted  bool      `json:"deleted,omitempty"`
	Database *Database `json:"database,omitempty"`
	Table    *Table    `json:"table,omitempty"`
}

// ClusterUser is the control plane's login on data nodes' driver ports:
// its password is the cluster secret and it has the admin's rights, so the
// control plane never needs the admin password.
const ClusterUser = "__photondb_cluster"

// Sync protocol headers.
const (
	// HeaderNode names the data node making a request (its id).
	HeaderNode = "X-PhotonDB-Node"
	// HeaderSeq carries the catalog position a DDL response committed at;
	// the data node waits until it has applied that position.
	HeaderSeq = "X-PhotonDB-Catalog-Seq"
	// HeaderTenant selects the tenant in dev mode (no identities yet).
	HeaderTenant = "X-PhotonDB-Tenant"
)
