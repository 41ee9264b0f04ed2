// Package nodeclient is the control plane's client of a data node: database,
// table and document operations over the RethinkDB wire protocol.
// It uses the official Go driver, so the control plane never imports
// datanode/*: the two talk over the network, as the architecture requires.
package nodeclient

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// Table describes one table.
type Table struct {
	DB         string `json:"db"`
	Name       string `json:"name"`
	PrimaryKey string `json:"primary_key"`
	Durability string `json:"durability"`
}

// TableSpec is what CreateTable needs; empty fields take the data node's
// defaults (primary key "id", durability "hard").
type TableSpec struct {
	Name       string
	PrimaryKey string
	Durability string
}

// DataNode manages databases and tables on a data node.
type DataNode interface {
	ListDBs(ctx context.Context) ([]string, error)
	CreateDB(ctx context.Context, name string) error
	DropDB(ctx context.Context, name string) error
	ListTables(ctx context.Context, db string) ([]Table, error)
	CreateTable(ctx context.Context, db string, spec TableSpec) (Table, error)
	DropTable(ctx context.Context, db, table string) error
}

// Kind classifies a catalog error for callers that map it to a status.
type Kind int

const (
	// KindInternal is anything not classified below.
	KindInternal Kind = iota
	// KindExists: the database or table already exists.
	KindExists
	// KindNotFound: the database or table does not exist.
	KindNotFound
	// KindInvalid: a bad name or option.
	KindInvalid
	// KindConflict: the request conflicts with the current state
	// (other operation failures reported by the data node).
	KindConflict
	// KindUnavailable: the data node could not be reached.
	KindUnavailable
)

func (k Kind) String() string {
	switch k {
	case KindExists:
		return "exists"
	case KindNotFound:
		return "not found"
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindUnavailable:
		return "unavailable"
	}
	return "internal"
}

// Error is a classified catalog error; Message is the data node's message
// (RethinkDB's wording) without the driver's prefix and query dump.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Classify maps a driver error to a catalog *Error (nil stays nil).
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{Kind: kindOf(err, driverMessage(err)), Message: driverMessage(err), Err: err}
}

// kindOf classifies a driver error carrying the server message msg.
func kindOf(err error, msg string) Kind {
	kind := KindInternal
	var (
		opFailed  r.RQLOpFailedError
		logic     r.RQLQueryLogicError
		nonExist  r.RQLNonExistenceError
		conn      r.RQLConnectionError
		driverErr r.RQLDriverError
	)
	switch {
	case errors.As(err, &opFailed):
		switch {
		case strings.HasSuffix(msg, "already exists."):
			kind = KindExists
		case strings.HasSuffix(msg, "does not exist."):
			kind = KindNotFound
		default:
			kind = KindConflict
		}
	case errors.As(err, &nonExist):
		kind = KindNotFound
	case errors.As(err, &logic):
		kind = KindInvalid
	case errors.As(err, &conn), errors.Is(err, r.ErrConnectionClosed),
		errors.Is(err, r.ErrNoConnections), errors.Is(err, r.ErrNoConnectionsStarted),
		errors.As(err, &driverErr):
		kind = KindUnavailable
	}
	return kind
}

// driverMessage strips the driver's "gorethink: " prefix and the " in:\n<query>"
// suffix, leaving the server's message.
func driverMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "gorethink: ")
	msg = strings.TrimPrefix(msg, "rethinkdb: ")
	if i := strings.Index(msg, " in:\n"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

// Driver is a DataNode reached through the official RethinkDB Go driver.
type Driver struct {
	session *r.Session
}

// DriverOptions configure Dial.
type DriverOptions struct {
	Username, Password string
	MaxOpen            int
}

// Dial opens a connection pool to the data node's driver address.
func Dial(addr string, o DriverOptions) (*Driver, error) {
	if o.MaxOpen <= 0 {
		o.MaxOpen = 8
	}
	s, err := r.Connect(r.ConnectOpts{
		Address:    addr,
		Username:   o.Username,
		Password:   o.Password,
		InitialCap: 1,
		MaxOpen:    o.MaxOpen,
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: connect to data node %s: %w", addr, err)
	}
	return &Driver{session: s}, nil
}

// Close closes the connection pool.
func (d *Driver) Close() error { return d.session.Close() }

func (d *Driver) exec(ctx context.Context, t r.Term) error {
	_, err := t.RunWrite(d.session, r.RunOpts{Context: ctx})
	return Classify(err)
}

// ListDBs returns the database names, sorted.
func (d *Driver) ListDBs(ctx context.Context) ([]string, error) {
	var names []string
	if err := d.all(ctx, r.DBList(), &names); err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// CreateDB creates a database.
func (d *Driver) CreateDB(ctx context.Context, name string) error {
	return d.exec(ctx, r.DBCreate(name))
}

// DropDB drops a database and its tables.
func (d *Driver) DropDB(ctx context.Context, name string) error {
	return d.exec(ctx, r.DBDrop(name))
}

// ListTables returns the tables of db, sorted by name.
func (d *Driver) ListTables(ctx context.Context, db string) ([]Table, error) {
	var names []string
	if err := d.all(ctx, r.DB(db).TableList(), &names); err != nil {
		return nil, err
	}
	var configs []struct {
		Name       string `rethinkdb:"name"`
		PrimaryKey string `rethinkdb:"primary_key"`
		Durability string `rethinkdb:"durability"`
	}
	if err := d.all(ctx, r.DB("rethinkdb").Table("table_config").Filter(map[string]any{"db": db}), &configs); err != nil {
		return nil, err
	}
	byName := make(map[string]Table, len(configs))
	for _, c := range configs {
		byName[c.Name] = Table{DB: db, Name: c.Name, PrimaryKey: c.PrimaryKey, Durability: c.Durability}
	}
	tables := make([]Table, 0, len(names))
	for _, n := range names {
		t, ok := byName[n]
		if !ok {
			t = Table{DB: db, Name: n}
		}
		tables = append(tables, t)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	return tables, nil
}

// CreateTable creates a table in db.
func (d *Driver) CreateTable(ctx context.Context, db string, spec TableSpec) (Table, error) {
	opts := r.TableCreateOpts{}
	if spec.PrimaryKey != "" {
		opts.PrimaryKey = spec.PrimaryKey
	}
	if spec.Durability != "" {
		opts.Durability = spec.Durability
	}
	if err := d.exec(ctx, r.DB(db).TableCreate(spec.Name, opts)); err != nil {
		return Table{}, err
	}
	t := Table{DB: db, Name: spec.Name, PrimaryKey: spec.PrimaryKey, Durability: spec.Durability}
	if t.PrimaryKey == "" {
		t.PrimaryKey = "id"
	}
	if t.Durability == "" {
		t.Durability = "hard"
	}
	return t, nil
}

// DropTable drops a table.
func (d *Driver) DropTable(ctx context.Context, db, table string) error {
	return d.exec(ctx, r.DB(db).TableDrop(table))
}

func (d *Driver) all(ctx context.Context, t r.Term, out any) error {
	cur, err := t.Run(d.session, r.RunOpts{Context: ctx})
	if err != nil {
		return Classify(err)
	}
	defer cur.Close()
	return Classify(cur.All(out))
}

var _ DataNode = (*Driver)(nil)
