package reql

import "context"

// The evaluator never touches files: tables and the database catalog are
// reached through Store, which the shard layer implements. The same query
// therefore runs on one node or across shards.

// DBConfig is a database's entry in the catalog.
type DBConfig struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TableConfig is a table's entry in the catalog.
type TableConfig struct {
	ID         string `json:"id"`
	DB         string `json:"db"`
	DBID       string `json:"db_id"`
	Name       string `json:"name"`
	PrimaryKey string `json:"primary_key"`
	Durability string `json:"durability"` // "hard" or "soft"
	Shards     int    `json:"shards"`
	Replicas   int    `json:"replicas"`
}

// Store is the catalog of databases and tables. Errors are *Error values with
// RethinkDB's messages (see DBNotFound and friends).
type Store interface {
	// CreateDB creates a database; DBExists if the name is taken.
	CreateDB(ctx context.Context, name string) (DBConfig, error)
	// DropDB drops a database and all its tables, returning what was dropped.
	DropDB(ctx context.Context, name string) (DBConfig, []TableConfig, error)
	// ListDBs lists the user databases sorted by name.
	ListDBs(ctx context.Context) ([]DBConfig, error)
	// GetDB looks a database up; DBNotFound if absent.
	GetDB(ctx context.Context, name string) (DBConfig, error)
	// CreateTable creates a table; cfg.ID is assigned by the store.
	CreateTable(ctx context.Context, cfg TableConfig) (TableConfig, error)
	// DropTable drops a table and (eventually) its data.
	DropTable(ctx context.Context, db, name string) (TableConfig, error)
	// ListTables lists a database's tables sorted by name.
	ListTables(ctx context.Context, db string) ([]TableConfig, error)
	// OpenTable returns a handle on a table; TableNotFound if absent.
	OpenTable(ctx context.Context, db, name string) (TableStore, error)
}

// TableStore reads and writes one table's documents.
type TableStore interface {
	// Config is the table's catalog entry.
	Config() TableConfig
	// Get returns the document with primary key key, or nil if absent.
	Get(ctx context.Context, key any) (map[string]any, error)
	// Scan iterates the documents in primary key order over a consistent
	// snapshot; the iterator must be closed.
	Scan(ctx context.Context, reverse bool) DocIterator
	// Count returns the number of documents.
	Count(ctx context.Context) (int64, error)
	// Write applies ops; each op's Apply runs with its key locked, so a
	// read-modify-write of one document is atomic. Per-op failures are left
	// in op.Err and do not abort the others; the returned error is for
	// failures of the whole call (storage errors).
	Write(ctx context.Context, ops []*WriteOp, durability string) error
}

// DocIterator iterates documents. Next returns false at the end or on error.
type DocIterator interface {
	Next() bool
	Doc() map[string]any
	Err() error
	Close() error
}

// WriteOp is one document's write: Apply computes the new document from the
// current one (nil when absent); returning nil deletes (or leaves absent).
type WriteOp struct {
	Key   any
	Apply func(old map[string]any) (map[string]any, error)

	// Filled in by Write.
	Old, New map[string]any
	Err      error
}

// DBNotFound is RethinkDB's error for a missing database.
func DBNotFound(name string) error {
	return newErr(ErrOpFailed, "Database `%s` does not exist.", name)
}

// DBExists is RethinkDB's error for creating a database that exists.
func DBExists(name string) error {
	return newErr(ErrOpFailed, "Database `%s` already exists.", name)
}

// TableNotFound is RethinkDB's error for a missing table.
func TableNotFound(db, name string) error {
	return newErr(ErrOpFailed, "Table `%s.%s` does not exist.", db, name)
}

// TableExists is RethinkDB's error for creating a table that exists.
func TableExists(db, name string) error {
	return newErr(ErrOpFailed, "Table `%s.%s` already exists.", db, name)
}
