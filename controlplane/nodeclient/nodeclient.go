// Package nodeclient is the control plane's client of a data node: database,
// table and document operations over the RethinkDB wire protocol.
// It uses the official Go driver, so the control plane never imports
// datanode/*: the two talk over the network, as the architecture requires.
package nodeclient

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

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
	addr    string
	opts    DriverOptions

	mu    sync.Mutex
	users map[string]*r.Session // pools of other users (QueryAs)
}

// DriverOptions configure Dial.
type DriverOptions struct {
	Username, Password string
	MaxOpen            int
	// TLS, when set, connects over TLS.
	TLS *tls.Config
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
		TLSConfig:  o.TLS,
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: connect to data node %s: %w", addr, err)
	}
	return &Driver{session: s, addr: addr, opts: o}, nil
}

// Close closes the connection pools.
func (d *Driver) Close() error {
	d.mu.Lock()
	for _, s := range d.users {
		_ = s.Close()
	}
	d.users = nil
	d.mu.Unlock()
	return d.session.Close()
}

func (d *Driver) exec(ctx context.Context, t r.Term) error {
	res, err := t.RunWrite(d.session, r.RunOpts{Context: ctx})
	if err != nil && res.Errors > 0 && res.FirstError != "" {
		// A write refused per document (RethinkDB's first_error): the
		// request's fault.
		return &Error{Kind: KindInvalid, Message: res.FirstError, Err: err}
	}
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

// Index is a secondary index as the REST API lists it.
type Index struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	Multi bool   `json:"multi"`
	Geo   bool   `json:"geo"`
}

// Indexes lists a table's secondary indexes, sorted by name.
func (d *Driver) Indexes(ctx context.Context, db, table string) ([]Index, error) {
	var out []Index
	if err := d.all(ctx, r.DB(db).Table(table).IndexStatus().Map(func(ix r.Term) r.Term {
		return r.Expr(map[string]any{"name": ix.Field("index"), "ready": ix.Field("ready"), "multi": ix.Field("multi"), "geo": ix.Field("geo")})
	}), &out); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Count returns the number of documents in a table.
func (d *Driver) Count(ctx context.Context, db, table string) (int64, error) {
	var n int64
	cur, err := r.DB(db).Table(table).Count().Run(d.session, r.RunOpts{Context: ctx})
	if err != nil {
		return 0, Classify(err)
	}
	defer cur.Close()
	return n, Classify(cur.One(&n))
}

// Documents returns up to limit documents of a table in primary-key order
// (pk is the table's primary key), starting after the key `after` (nil:
// from the start). Documents are the server's JSON as is: times, binaries
// and geometries stay in their $reql_type$ form, so they round-trip.
func (d *Driver) Documents(ctx context.Context, db, table, pk string, after any, limit int) ([]json.RawMessage, error) {
	lower := any(r.MinVal)
	if after != nil {
		lower = after
	}
	q := r.DB(db).Table(table).Between(lower, r.MaxVal, r.BetweenOpts{LeftBound: "open"}).
		OrderBy(r.OrderByOpts{Index: pk}).Limit(limit)
	cur, err := q.Run(d.session, r.RunOpts{Context: ctx, TimeFormat: "raw", BinaryFormat: "raw", GeometryFormat: "raw"})
	if err != nil {
		return nil, Classify(err)
	}
	defer cur.Close()
	docs := []json.RawMessage{}
	for {
		raw, ok := cur.NextResponse()
		if !ok {
			break
		}
		docs = append(docs, json.RawMessage(raw))
	}
	return docs, Classify(cur.Err())
}

// WriteResult is the summary of a batch write.
type WriteResult struct {
	Inserted   int    `json:"inserted" rethinkdb:"inserted"`
	Replaced   int    `json:"replaced" rethinkdb:"replaced"`
	Unchanged  int    `json:"unchanged" rethinkdb:"unchanged"`
	Deleted    int    `json:"deleted,omitempty" rethinkdb:"deleted"`
	Errors     int    `json:"errors" rethinkdb:"errors"`
	FirstError string `json:"first_error,omitempty" rethinkdb:"first_error"`
}

// Insert writes documents (JSON objects) with RethinkDB's conflict
// handling ("error", "replace" or "update").
func (d *Driver) Insert(ctx context.Context, db, table string, docs []json.RawMessage, conflict string) (WriteResult, error) {
	arr, err := json.Marshal(docs)
	if err != nil {
		return WriteResult{}, fmt.Errorf("encode documents: %w", err)
	}
	opts := r.InsertOpts{Conflict: conflict}
	var res WriteResult
	cur, err := r.DB(db).Table(table).Insert(r.JSON(string(arr)), opts).Run(d.session, r.RunOpts{Context: ctx})
	if err != nil {
		return res, Classify(err)
	}
	defer cur.Close()
	return res, Classify(cur.One(&res))
}

// Query runs a wire-JSON term (as the JavaScript driver would send it)
// against db (empty: the server's default) and returns the result as JSON
// values: a sequence becomes an array; times, binaries and geometries keep
// their $reql_type$ form.
func (d *Driver) Query(ctx context.Context, term json.RawMessage, db string) (any, error) {
	opts := r.RunOpts{Context: ctx, TimeFormat: "raw", BinaryFormat: "raw", GeometryFormat: "raw", GroupFormat: "raw"}
	if db != "" {
		term = withDefaultDB(term, db) // the driver ignores RunOpts.DB for raw queries
	}
	cur, err := r.RawQuery(term).Run(d.session, opts)
	if err != nil {
		return nil, Classify(err)
	}
	defer cur.Close()
	v, err := cur.Interface()
	if err != nil {
		return nil, Classify(err)
	}
	if seq, ok := v.([]any); ok && seq == nil {
		return []any{}, nil // an empty sequence
	}
	return v, nil
}

// Term numbers withDefaultDB rewrites (ql2.proto).
const (
	termDB          = 14
	termTable       = 15
	termTableCreate = 60
	termTableDrop   = 61
	termTableList   = 62
)

// withDefaultDB makes every table reference without a database name db,
// as the server's `db` global option would.
func withDefaultDB(term json.RawMessage, db string) json.RawMessage {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(term)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return term // the server reports the bad JSON
	}
	out, err := json.Marshal(addDB(v, db))
	if err != nil {
		return term
	}
	return out
}

func addDB(v any, db string) any {
	switch t := v.(type) {
	case []any:
		if len(t) >= 2 {
			if n, ok := t[0].(json.Number); ok {
				args, _ := t[1].([]any)
				for i, a := range args {
					args[i] = addDB(a, db)
				}
				switch n.String() {
				case "15", "60", "61", "62":
					if len(args) == 0 || !isDBTerm(args[0]) {
						t[1] = append([]any{[]any{termDB, []any{db}}}, args...)
					}
				}
				for i := 2; i < len(t); i++ {
					t[i] = addDB(t[i], db)
				}
				return t
			}
		}
		for i, a := range t {
			t[i] = addDB(a, db)
		}
		return t
	case map[string]any:
		for k, a := range t {
			t[k] = addDB(a, db)
		}
		return t
	}
	return v
}

func isDBTerm(v any) bool {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return false
	}
	n, ok := a[0].(json.Number)
	return ok && n.String() == "14"
}

// EnsureUser makes user exist with password and hold read, write and
// config on each database in dbs (idempotent: the password is replaced,
// grants are repeated).
func (d *Driver) EnsureUser(ctx context.Context, user, password string, dbs []string) error {
	users := r.DB("rethinkdb").Table("users")
	if err := d.exec(ctx, users.Insert(map[string]any{"id": user, "password": password}, r.InsertOpts{Conflict: "replace"})); err != nil {
		return fmt.Errorf("ensure user %s: %w", user, err)
	}
	for _, db := range dbs {
		if err := d.exec(ctx, r.DB(db).Grant(user, map[string]any{"read": true, "write": true, "config": true})); err != nil {
			return fmt.Errorf("grant %s on %s: %w", user, db, err)
		}
	}
	return nil
}

// QueryAs runs Query as user (its permissions apply), over a connection
// pool of that user kept for later queries.
func (d *Driver) QueryAs(ctx context.Context, user, password string, term json.RawMessage, db string) (any, error) {
	s, err := d.sessionAs(user, password)
	if err != nil {
		return nil, err
	}
	return (&Driver{session: s, opts: d.opts, addr: d.addr}).Query(ctx, term, db)
}

func (d *Driver) sessionAs(user, password string) (*r.Session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := user + "\x00" + password
	if s, ok := d.users[key]; ok {
		return s, nil
	}
	s, err := r.Connect(r.ConnectOpts{Address: d.addr, Username: user, Password: password,
		InitialCap: 1, MaxOpen: 4, TLSConfig: d.opts.TLS})
	if err != nil {
		return nil, Classify(fmt.Errorf("connect to data node %s as %s: %w", d.addr, user, err))
	}
	if d.users == nil {
		d.users = map[string]*r.Session{}
	}
	for k, old := range d.users { // one pool per user: drop one with an old password
		if strings.HasPrefix(k, user+"\x00") {
			_ = old.Close()
			delete(d.users, k)
		}
	}
	d.users[key] = s
	return s, nil
}

// User is a ReQL user as rethinkdb.users shows it.
type User struct {
	ID       string `json:"id" rethinkdb:"id"`
	Password bool   `json:"password" rethinkdb:"password"`
}

// Users lists the data node's ReQL users.
func (d *Driver) Users(ctx context.Context) ([]User, error) {
	var out []User
	if err := d.all(ctx, r.DB("rethinkdb").Table("users").OrderBy("id"), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SetUser creates a user or replaces its password ("" : no password).
func (d *Driver) SetUser(ctx context.Context, name, password string) error {
	var pw any = password
	if password == "" {
		pw = false
	}
	return d.exec(ctx, r.DB("rethinkdb").Table("users").Insert(map[string]any{"id": name, "password": pw}, r.InsertOpts{Conflict: "replace"}))
}

// DeleteUser deletes a user (KindNotFound when it does not exist).
func (d *Driver) DeleteUser(ctx context.Context, name string) error {
	var res WriteResult
	cur, err := r.DB("rethinkdb").Table("users").Get(name).Delete().Run(d.session, r.RunOpts{Context: ctx})
	if err != nil {
		return Classify(err)
	}
	defer cur.Close()
	if err := cur.One(&res); err != nil {
		return Classify(err)
	}
	if res.Errors > 0 {
		kind := KindConflict
		if strings.HasSuffix(res.FirstError, "not found.") {
			kind = KindNotFound
		}
		return &Error{Kind: kind, Message: res.FirstError}
	}
	if res.Deleted == 0 {
		return &Error{Kind: KindNotFound, Message: "User `" + name + "` not found."}
	}
	return nil
}

// Grant sets a user's permissions at global (db ""), database or table
// scope; nil values clear a permission (inherit).
func (d *Driver) Grant(ctx context.Context, user, db, table string, perms map[string]any) (any, error) {
	var t r.Term
	switch {
	case db == "":
		t = r.Grant(user, perms)
	case table == "":
		t = r.DB(db).Grant(user, perms)
	default:
		t = r.DB(db).Table(table).Grant(user, perms)
	}
	cur, err := t.Run(d.session, r.RunOpts{Context: ctx})
	if err != nil {
		return nil, Classify(err)
	}
	defer cur.Close()
	var out any
	return out, Classify(cur.One(&out))
}

// Permissions lists the rethinkdb.permissions rows of a user.
func (d *Driver) Permissions(ctx context.Context, user string) ([]map[string]any, error) {
	var out []map[string]any
	rows := r.DB("rethinkdb").Table("permissions").Filter(func(p r.Term) r.Term { return p.Field("id").Nth(0).Eq(user) })
	if err := d.all(ctx, rows, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out, nil
}
