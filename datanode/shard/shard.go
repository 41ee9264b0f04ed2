// Package shard is the data node's table layer: it implements reql.Store on
// the storage engine, keeping the catalog of databases and tables and every
// table's documents in one ordered key space.
//
// Key layout (all in one storage.Engine):
//
//	c/init                 first-start marker
//	c/server               this node's identity {id, name}
//	c/db/<db>              reql.DBConfig (JSON)
//	c/tb/<db>/<table>      reql.TableConfig (JSON)
//	c/user/<name>          a driver user: password verifier, permissions (users.go)
//	d/<table id>/<key>     document (JSON); <key> is reql.EncodeKey(primary key)
//	i/<table id>/<index id>/<value><key>  -> <key>   secondary index entry
//
// Invariants: a catalog change is one atomic batch; a document write holds
// the lock stripe of its key from read to commit, so read-modify-write of one
// document is atomic; data of dropped tables is deleted after the catalog
// entry (and collected on open if a crash interrupted that).
package shard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/photondb-io/photondb/datanode/changefeed"
	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/storage"
)

const (
	keyInit     = "c/init"
	keyServer   = "c/server"
	keyEpoch    = "c/epoch"
	prefixDB    = "c/db/"
	prefixTable = "c/tb/"
	prefixData  = "d/"
	prefixIndex = "i/"
)

// lockStripes is the number of key lock stripes shared by all tables.
const lockStripes = 1024

// Identity names this server, as server() and table configs report it.
type Identity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Store implements reql.Store on a storage engine.
type Store struct {
	eng *storage.Engine
	log *slog.Logger
	id  Identity

	mu     sync.RWMutex
	dbs    map[string]reql.DBConfig
	tables map[string]map[string]*Table // db -> name -> table

	stripes [lockStripes]sync.Mutex

	// epoch counts the openings of this store: changefeed positions are
	// epoch<<epochShift + a count, so they grow across restarts.
	epoch      uint64
	feedRetain int
	feedMaxAge time.Duration

	// Driver users (users.go): an immutable snapshot, replaced by writers
	// holding userMu.
	userMu     sync.Mutex
	users      atomic.Pointer[userSet]
	iterations int  // PBKDF2 iterations of new passwords
	firstStart bool // Open created the catalog
}

// epochShift leaves 2^40 changefeed positions per table per process run.
const epochShift = 40

// Options tune a Store.
type Options struct {
	// FeedRetain is how many recent changes each table keeps for
	// changes({since}) (default 10,000); FeedMaxAge bounds their age
	// (default 1 hour). PhotonDB extension: RethinkDB has no resumable feeds.
	FeedRetain int
	FeedMaxAge time.Duration
	// InitialPassword is the admin user's password when Open creates the
	// catalog (first start); ignored afterwards. Empty: no password, as a
	// new RethinkDB server has.
	InitialPassword string
	// PasswordIterations is the PBKDF2 iteration count of new passwords
	// (default 4096, RethinkDB's); a password set as {password,
	// iterations} chooses its own.
	PasswordIterations int
}

var _ reql.Store = (*Store)(nil)

// Open loads the catalog from eng. On first start it creates the `test`
// database (as RethinkDB does) and a server identity.
func Open(eng *storage.Engine, log *slog.Logger, opts ...Options) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	o := Options{FeedRetain: 10000, FeedMaxAge: time.Hour, PasswordIterations: DefaultPasswordIterations}
	if len(opts) > 0 {
		if opts[0].FeedRetain > 0 {
			o.FeedRetain = opts[0].FeedRetain
		}
		if opts[0].FeedMaxAge > 0 {
			o.FeedMaxAge = opts[0].FeedMaxAge
		}
		if opts[0].PasswordIterations > 0 {
			o.PasswordIterations = opts[0].PasswordIterations
		}
		o.InitialPassword = opts[0].InitialPassword
	}
	s := &Store{eng: eng, log: log, dbs: map[string]reql.DBConfig{}, tables: map[string]map[string]*Table{},
		feedRetain: o.FeedRetain, feedMaxAge: o.FeedMaxAge, iterations: o.PasswordIterations}
	if err := s.load(o.InitialPassword); err != nil {
		return nil, err
	}
	if err := s.loadUsers(); err != nil {
		return nil, err
	}
	if err := s.collectOrphans(); err != nil {
		return nil, err
	}
	return s, nil
}

// FirstStart reports whether Open created the catalog (a new data
// directory): the initial admin password was set then.
func (s *Store) FirstStart() bool { return s.firstStart }

// Identity returns this server's id and name.
func (s *Store) Identity() Identity { return s.id }

func (s *Store) load(initialPassword string) error {
	has, err := s.eng.Has([]byte(keyInit))
	if err != nil {
		return fmt.Errorf("read catalog: %w", err)
	}
	if !has {
		host, _ := os.Hostname()
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
				return r
			}
			return '_'
		}, host)
		if name == "" {
			name = "photondb"
		}
		id := Identity{ID: reql.NewUUID(), Name: name}
		test := reql.DBConfig{ID: reql.NewUUID(), Name: "test"}
		admin, err := s.newUserRecord(reql.AdminUser, initialPassword, 0)
		if err != nil {
			return err
		}
		b := s.eng.NewBatch()
		b.Put([]byte(keyServer), mustJSON(id))
		b.Put([]byte(prefixDB+test.Name), mustJSON(test))
		b.Put([]byte(prefixUser+reql.AdminUser), mustJSON(admin))
		b.Put([]byte(keyInit), []byte("1"))
		if err := s.eng.Apply(b, storage.Hard); err != nil {
			return fmt.Errorf("initialize catalog: %w", err)
		}
		s.firstStart = true
	}
	raw, err := s.eng.Get([]byte(keyServer))
	if err != nil {
		return fmt.Errorf("read server identity: %w", err)
	}
	if raw, err := s.eng.Get([]byte(keyEpoch)); err == nil {
		if err := json.Unmarshal(raw, &s.epoch); err != nil {
			return fmt.Errorf("decode epoch: %w", err)
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("read epoch: %w", err)
	}
	s.epoch++
	eb := s.eng.NewBatch()
	eb.Put([]byte(keyEpoch), mustJSON(s.epoch))
	if err := s.eng.Apply(eb, storage.Hard); err != nil {
		return fmt.Errorf("save epoch: %w", err)
	}
	if err := json.Unmarshal(raw, &s.id); err != nil {
		return fmt.Errorf("decode server identity: %w", err)
	}
	it := s.eng.NewIterator(storage.IterOptions{Prefix: []byte(prefixDB)})
	for it.Next() {
		var d reql.DBConfig
		if err := json.Unmarshal(it.Value(), &d); err != nil {
			it.Close()
			return fmt.Errorf("decode catalog entry %q: %w", it.Key(), err)
		}
		s.dbs[d.Name] = d
		s.tables[d.Name] = map[string]*Table{}
	}
	if err := closeIter(it); err != nil {
		return fmt.Errorf("read databases: %w", err)
	}
	it = s.eng.NewIterator(storage.IterOptions{Prefix: []byte(prefixTable)})
	for it.Next() {
		var tc reql.TableConfig
		if err := json.Unmarshal(it.Value(), &tc); err != nil {
			it.Close()
			return fmt.Errorf("decode catalog entry %q: %w", it.Key(), err)
		}
		if s.tables[tc.DB] == nil {
			continue // database dropped; collectOrphans removes the data
		}
		t := s.newTable(tc)
		s.tables[tc.DB][tc.Name] = t
		defer t.resumeBackfills()
	}
	if err := closeIter(it); err != nil {
		return fmt.Errorf("read tables: %w", err)
	}
	return nil
}

func closeIter(it storage.Iterator) error {
	err := it.Err()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

// collectOrphans deletes data and index entries whose table is no longer
// in the catalog, and entries of dropped indexes (a drop interrupted by a
// crash).
func (s *Store) collectOrphans() error {
	live := map[string]bool{} // table IDs and "<table id>/<index id>"
	for _, byName := range s.tables {
		for _, t := range byName {
			live[t.cfg.ID] = true
			for _, ix := range t.cfg.Indexes {
				live[t.cfg.ID+"/"+ix.ID] = true
			}
		}
	}
	if err := s.collectUnder(prefixData, 1, live); err != nil {
		return err
	}
	return s.collectUnder(prefixIndex, 2, live)
}

// collectUnder walks the groups of keys under top whose first parts
// (separated by '/') name a table (parts=1) or a table's index (parts=2),
// deleting the groups not in live.
func (s *Store) collectUnder(top string, parts int, live map[string]bool) error {
	lower := []byte(top)
	for {
		it := s.eng.NewIterator(storage.IterOptions{Lower: lower, Prefix: []byte(top)})
		if !it.Next() {
			return closeIter(it)
		}
		key := append([]byte{}, it.Key()...)
		it.Close()
		rest := key[len(top):]
		end := 0
		for p := 0; p < parts; p++ {
			i := bytes.IndexByte(rest[end:], '/')
			if i < 0 {
				return fmt.Errorf("collect orphans: malformed key %q", key)
			}
			end += i + 1
		}
		id := string(rest[:end-1])
		prefix := []byte(top + id + "/")
		if !live[id] {
			s.log.Info("deleting data of dropped table or index", "id", id)
			if err := s.deleteRange(prefix); err != nil {
				return err
			}
		}
		lower = append(append([]byte{}, prefix[:len(prefix)-1]...), '/'+1)
	}
}

// deleteRange deletes every key with prefix, in bounded batches.
func (s *Store) deleteRange(prefix []byte) error {
	for {
		it := s.eng.NewIterator(storage.IterOptions{Prefix: prefix})
		b := s.eng.NewBatch()
		for b.Len() < 10000 && it.Next() {
			b.Delete(append([]byte{}, it.Key()...))
		}
		if err := closeIter(it); err != nil {
			return fmt.Errorf("delete range %q: %w", prefix, err)
		}
		if b.Len() == 0 {
			return nil
		}
		if err := s.eng.Apply(b, storage.Soft); err != nil {
			return fmt.Errorf("delete range %q: %w", prefix, err)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("shard: encode %T: %v", v, err))
	}
	return b
}

// CreateDB implements reql.Store.
func (s *Store) CreateDB(_ context.Context, cfg reql.DBConfig) (reql.DBConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.dbs[cfg.Name]; ok {
		return reql.DBConfig{}, reql.DBExists(cfg.Name)
	}
	if cfg.ID == "" {
		cfg.ID = reql.NewUUID()
	}
	b := s.eng.NewBatch()
	b.Put([]byte(prefixDB+cfg.Name), mustJSON(cfg))
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		return reql.DBConfig{}, fmt.Errorf("create database %s: %w", cfg.Name, err)
	}
	s.dbs[cfg.Name] = cfg
	s.tables[cfg.Name] = map[string]*Table{}
	return cfg, nil
}

// RenameDB implements reql.Store: the database's entry and its tables'
// entries move in one batch; documents are keyed by table ID and stay.
func (s *Store) RenameDB(_ context.Context, oldName, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dbs[oldName]
	if !ok {
		return reql.DBNotFound(oldName)
	}
	if _, taken := s.dbs[newName]; taken {
		return reql.DBExists(newName)
	}
	b := s.eng.NewBatch()
	b.Delete([]byte(prefixDB + oldName))
	d.Name = newName
	b.Put([]byte(prefixDB+newName), mustJSON(d))
	tables := s.tables[oldName]
	for name, t := range tables {
		cfg := t.Config()
		b.Delete([]byte(prefixTable + oldName + "/" + name))
		cfg.DB = newName
		b.Put([]byte(prefixTable+newName+"/"+name), mustJSON(cfg))
	}
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		return fmt.Errorf("rename database %s: %w", oldName, err)
	}
	for _, t := range tables {
		t.mu.Lock()
		t.cfg.DB = newName
		t.mu.Unlock()
	}
	delete(s.dbs, oldName)
	delete(s.tables, oldName)
	s.dbs[newName] = d
	s.tables[newName] = tables
	return nil
}

// RenameTable implements reql.Store.
func (s *Store) RenameTable(_ context.Context, db, oldName, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	byName, ok := s.tables[db]
	if !ok {
		return reql.DBNotFound(db)
	}
	t, ok := byName[oldName]
	if !ok {
		return reql.TableNotFound(db, oldName)
	}
	if _, taken := byName[newName]; taken {
		return reql.TableExists(db, newName)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cfg := t.cfg
	cfg.Name = newName
	b := s.eng.NewBatch()
	b.Delete([]byte(prefixTable + db + "/" + oldName))
	b.Put([]byte(prefixTable+db+"/"+newName), mustJSON(cfg))
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		return fmt.Errorf("rename table %s.%s: %w", db, oldName, err)
	}
	t.cfg.Name = newName
	delete(byName, oldName)
	byName[newName] = t
	return nil
}

// DropDB implements reql.Store.
func (s *Store) DropDB(_ context.Context, name string) (reql.DBConfig, []reql.TableConfig, error) {
	s.mu.Lock()
	d, ok := s.dbs[name]
	if !ok {
		s.mu.Unlock()
		return reql.DBConfig{}, nil, reql.DBNotFound(name)
	}
	b := s.eng.NewBatch()
	b.Delete([]byte(prefixDB + name))
	var dropped []*Table
	var ids []string
	for tname, t := range s.tables[name] {
		b.Delete([]byte(prefixTable + name + "/" + tname))
		dropped = append(dropped, t)
		ids = append(ids, t.Config().ID)
	}
	done := s.dropPermissions(b, d.ID, ids)
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		done(false)
		s.mu.Unlock()
		return reql.DBConfig{}, nil, fmt.Errorf("drop database %s: %w", name, err)
	}
	done(true)
	delete(s.dbs, name)
	delete(s.tables, name)
	s.mu.Unlock()
	cfgs := make([]reql.TableConfig, 0, len(dropped))
	for _, t := range dropped {
		t.dropped.Store(true)
		cfgs = append(cfgs, t.Config())
		if err := s.deleteTableData(t); err != nil {
			return reql.DBConfig{}, nil, err
		}
	}
	return d, cfgs, nil
}

// ListDBs implements reql.Store.
func (s *Store) ListDBs(context.Context) ([]reql.DBConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]reql.DBConfig, 0, len(s.dbs))
	for _, d := range s.dbs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetDB implements reql.Store.
func (s *Store) GetDB(_ context.Context, name string) (reql.DBConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.dbs[name]
	if !ok {
		return reql.DBConfig{}, reql.DBNotFound(name)
	}
	return d, nil
}

// CreateTable implements reql.Store.
func (s *Store) CreateTable(_ context.Context, cfg reql.TableConfig) (reql.TableConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dbs[cfg.DB]
	if !ok {
		return reql.TableConfig{}, reql.DBNotFound(cfg.DB)
	}
	if _, ok := s.tables[cfg.DB][cfg.Name]; ok {
		return reql.TableConfig{}, reql.TableExists(cfg.DB, cfg.Name)
	}
	if cfg.ID == "" {
		cfg.ID = reql.NewUUID()
	}
	cfg.DBID = d.ID
	b := s.eng.NewBatch()
	b.Put([]byte(prefixTable+cfg.DB+"/"+cfg.Name), mustJSON(cfg))
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		return reql.TableConfig{}, fmt.Errorf("create table %s.%s: %w", cfg.DB, cfg.Name, err)
	}
	s.tables[cfg.DB][cfg.Name] = s.newTable(cfg)
	return cfg, nil
}

// DropTable implements reql.Store.
func (s *Store) DropTable(_ context.Context, db, name string) (reql.TableConfig, error) {
	s.mu.Lock()
	if _, ok := s.dbs[db]; !ok {
		s.mu.Unlock()
		return reql.TableConfig{}, reql.DBNotFound(db)
	}
	t, ok := s.tables[db][name]
	if !ok {
		s.mu.Unlock()
		return reql.TableConfig{}, reql.TableNotFound(db, name)
	}
	b := s.eng.NewBatch()
	b.Delete([]byte(prefixTable + db + "/" + name))
	done := s.dropPermissions(b, "", []string{t.Config().ID})
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		done(false)
		s.mu.Unlock()
		return reql.TableConfig{}, fmt.Errorf("drop table %s.%s: %w", db, name, err)
	}
	done(true)
	delete(s.tables[db], name)
	s.mu.Unlock()
	t.dropped.Store(true)
	if err := s.deleteTableData(t); err != nil {
		return reql.TableConfig{}, err
	}
	return t.Config(), nil
}

// errFeedAborted ends the changefeeds of a dropped table.
var errFeedAborted = reql.FeedAborted()

func (s *Store) deleteTableData(t *Table) error {
	t.feeds.Close(errFeedAborted)
	if err := s.deleteRange(t.prefix); err != nil {
		return err
	}
	return s.deleteRange(t.iprefix)
}

// ListTables implements reql.Store.
func (s *Store) ListTables(_ context.Context, db string) ([]reql.TableConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	byName, ok := s.tables[db]
	if !ok {
		return nil, reql.DBNotFound(db)
	}
	out := make([]reql.TableConfig, 0, len(byName))
	for _, t := range byName {
		out = append(out, t.Config())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// OpenTable implements reql.Store.
func (s *Store) OpenTable(_ context.Context, db, name string) (reql.TableStore, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	byName, ok := s.tables[db]
	if !ok {
		return nil, reql.DBNotFound(db)
	}
	t, ok := byName[name]
	if !ok {
		return nil, reql.TableNotFound(db, name)
	}
	return t, nil
}

// lockKeys locks the stripes of keys (nil keys are ignored) in stripe
// order, so that concurrent callers cannot deadlock, and returns the unlock.
func (s *Store) lockKeys(keys [][]byte) (unlock func()) {
	set := map[uint32]bool{}
	for _, k := range keys {
		if k == nil {
			continue
		}
		h := fnv.New32a()
		h.Write(k)
		set[h.Sum32()%lockStripes] = true
	}
	stripes := make([]int, 0, len(set))
	for st := range set {
		stripes = append(stripes, int(st))
	}
	sort.Ints(stripes)
	for _, st := range stripes {
		s.stripes[st].Lock()
	}
	return func() {
		for _, st := range stripes {
			s.stripes[st].Unlock()
		}
	}
}

// Table is one table's documents.
type Table struct {
	s       *Store
	prefix  []byte // d/<table id>/
	iprefix []byte // i/<table id>/
	dropped atomic.Bool

	mu       sync.RWMutex
	cfg      reql.TableConfig
	progress map[string]float64 // index ID -> backfill progress while building

	// feeds receives every committed change. pubMu is held shared by
	// writers from commit to publish, and exclusively by a feed that reads
	// its initial documents, so that a snapshot and a subscription start at
	// the same point.
	feeds *changefeed.Hub
	pubMu sync.RWMutex
}

var _ reql.TableStore = (*Table)(nil)

func (s *Store) newTable(cfg reql.TableConfig) *Table {
	return &Table{s: s, cfg: cfg, prefix: []byte(prefixData + cfg.ID + "/"), iprefix: []byte(prefixIndex + cfg.ID + "/"),
		progress: map[string]float64{}, feeds: changefeed.NewHub(s.epoch<<epochShift, s.feedRetain, s.feedMaxAge)}
}

// Config implements reql.TableStore.
func (t *Table) Config() reql.TableConfig {
	t.mu.RLock()
	defer t.mu.RUnlock()
	cfg := t.cfg
	cfg.Indexes = append([]reql.IndexConfig(nil), t.cfg.Indexes...)
	return cfg
}

func (t *Table) docKey(key any) ([]byte, error) {
	enc, err := reql.EncodeKey(key)
	if err != nil {
		return nil, err
	}
	return append(append(make([]byte, 0, len(t.prefix)+len(enc)), t.prefix...), enc...), nil
}

func decodeDoc(raw []byte) (map[string]any, error) {
	doc, err := reql.UnmarshalObject(raw)
	if err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	return doc, nil
}

func (t *Table) checkLive() error {
	if t.dropped.Load() {
		return reql.TableNotFound(t.cfg.DB, t.cfg.Name)
	}
	return nil
}

// Get implements reql.TableStore.
func (t *Table) Get(ctx context.Context, key any) (map[string]any, error) {
	doc, _, err := t.GetRaw(ctx, key, true)
	return doc, err
}

// GetRaw implements reql.RawGetter: documents are stored as their
// MarshalJSON encoding (see Write).
func (t *Table) GetRaw(_ context.Context, key any, decode bool) (map[string]any, []byte, error) {
	if err := t.checkLive(); err != nil {
		return nil, nil, err
	}
	k, err := t.docKey(key)
	if err != nil {
		return nil, nil, err
	}
	raw, err := t.s.eng.Get(k)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get %s.%s: %w", t.cfg.DB, t.cfg.Name, err)
	}
	if !decode {
		return nil, raw, nil
	}
	doc, err := decodeDoc(raw)
	if err != nil {
		return nil, nil, err
	}
	return doc, raw, nil
}

// Count implements reql.TableStore. It counts keys without decoding
// documents.
func (t *Table) Count(context.Context) (int64, error) {
	if err := t.checkLive(); err != nil {
		return 0, err
	}
	it := t.s.eng.NewIterator(storage.IterOptions{Prefix: t.prefix})
	var n int64
	for it.Next() {
		n++
	}
	return n, closeIter(it)
}

// Scan implements reql.TableStore.
func (t *Table) Scan(_ context.Context, reverse bool) reql.DocIterator {
	if err := t.checkLive(); err != nil {
		return &docIter{err: err}
	}
	return &docIter{it: t.s.eng.NewIterator(storage.IterOptions{Prefix: t.prefix, Reverse: reverse})}
}

type docIter struct {
	it  storage.Iterator
	doc map[string]any
	err error
}

func (d *docIter) Next() bool {
	if d.err != nil || d.it == nil {
		return false
	}
	if !d.it.Next() {
		return false
	}
	d.doc, d.err = decodeDoc(d.it.Value())
	return d.err == nil
}

func (d *docIter) Doc() map[string]any { return d.doc }

func (d *docIter) Err() error {
	if d.err != nil {
		return d.err
	}
	if d.it != nil {
		return d.it.Err()
	}
	return nil
}

func (d *docIter) Close() error {
	if d.it == nil {
		return nil
	}
	err := d.it.Close()
	d.it = nil
	return err
}

// Write implements reql.TableStore: it locks the stripes of all keys (in
// order, so concurrent writes cannot deadlock), computes every new document
// from the current one, and commits all changes in one atomic batch.
func (t *Table) Write(_ context.Context, ops []*reql.WriteOp, durability string) error {
	if err := t.checkLive(); err != nil {
		return err
	}
	keys := make([][]byte, len(ops))
	for i, op := range ops {
		k, err := t.docKey(op.Key)
		if err != nil {
			op.Err = err
			continue
		}
		keys[i] = k
	}
	unlock := t.s.lockKeys(keys)
	defer unlock()

	// The index list is read with the stripes held, so an index created
	// concurrently is either seen here or backfilled after this write (the
	// backfill takes the same stripes).
	indexes := t.Config().Indexes
	pending := map[string]map[string]any{} // keys written earlier in this batch
	b := t.s.eng.NewBatch()
	for i, op := range ops {
		if keys[i] == nil {
			continue
		}
		old, seen := pending[string(keys[i])]
		if !seen {
			var err error
			if old, err = t.getRaw(keys[i]); err != nil {
				return err
			}
		}
		op.Old = old
		next, err := op.Apply(old)
		if err != nil {
			op.Err = err
			op.New = old
			continue
		}
		op.New = next
		switch {
		case next == nil && old == nil:
		case next != nil && old != nil && reflect.DeepEqual(old, next):
			// Unchanged: nothing to write, no index entry to touch, no
			// change to publish (RethinkDB reports it as unchanged).
			pending[string(keys[i])] = next
			continue
		case next == nil:
			b.Delete(keys[i])
		default:
			raw, err := reql.MarshalJSON(next)
			if err != nil {
				op.Err = fmt.Errorf("encode document: %w", err)
				op.New = old
				continue
			}
			b.Put(keys[i], raw)
		}
		if err := t.updateIndexes(b, indexes, keys[i][len(t.prefix):], old, next); err != nil {
			return err
		}
		pending[string(keys[i])] = next
	}
	if b.Len() == 0 {
		return nil
	}
	d := storage.Hard
	if durability == "soft" {
		d = storage.Soft
	}
	t.pubMu.RLock()
	defer t.pubMu.RUnlock()
	if err := t.s.eng.Apply(b, d); err != nil {
		return fmt.Errorf("write %s.%s: %w", t.cfg.DB, t.cfg.Name, err)
	}
	var changes []changefeed.Change
	for i, op := range ops {
		if keys[i] == nil || op.Err != nil || (op.Old == nil && op.New == nil) || reflect.DeepEqual(op.Old, op.New) {
			continue
		}
		changes = append(changes, changefeed.Change{Key: string(keys[i][len(t.prefix):]), Old: op.Old, New: op.New})
	}
	if len(changes) > 0 {
		t.feeds.Publish(changes)
	}
	return nil
}

// Subscribe implements reql.TableStore.
func (t *Table) Subscribe(_ context.Context, o reql.FeedOptions) (*changefeed.Sub, reql.DocIterator, error) {
	if err := t.checkLive(); err != nil {
		return nil, nil, err
	}
	enc := ""
	if o.Key != nil {
		k, err := reql.EncodeKey(o.Key)
		if err != nil {
			return nil, nil, err
		}
		enc = string(k)
	}
	t.pubMu.Lock()
	defer t.pubMu.Unlock()
	var sub *changefeed.Sub
	var err error
	if o.HasSince {
		sub, err = t.feeds.SubscribeSince(enc, o.QueueSize, o.Since)
		if errors.Is(err, changefeed.ErrNotRetained) {
			return nil, nil, reql.FeedNotRetained(o.Since)
		}
	} else {
		sub, err = t.feeds.Subscribe(enc, o.QueueSize)
	}
	if err != nil {
		return nil, nil, reql.FeedAborted() // the table was dropped
	}
	if !o.Initial {
		return sub, nil, nil
	}
	snap := t.s.eng.Snapshot()
	io := storage.IterOptions{Prefix: t.prefix}
	if o.Key != nil {
		io.Prefix = append(append([]byte{}, t.prefix...), enc...)
	}
	return sub, &snapIter{docIter: docIter{it: snap.NewIterator(io)}, snap: snap}, nil
}

// snapIter is a docIter over a snapshot it releases when closed.
type snapIter struct {
	docIter
	snap storage.Snapshot
}

func (s *snapIter) Close() error {
	err := s.docIter.Close()
	if s.snap != nil {
		s.snap.Release()
		s.snap = nil
	}
	return err
}

func (t *Table) getRaw(k []byte) (map[string]any, error) {
	raw, err := t.s.eng.Get(k)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", t.cfg.DB, t.cfg.Name, err)
	}
	return decodeDoc(raw)
}

// Sync implements reql.Store.
func (s *Store) Sync(context.Context) error {
	if err := s.eng.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// ReconfigureTable implements reql.Store.
func (s *Store) ReconfigureTable(_ context.Context, db, table string, shards, replicas int) (reql.TableConfig, reql.TableConfig, error) {
	t, err := s.table(db, table)
	if err != nil {
		return reql.TableConfig{}, reql.TableConfig{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.cfg
	t.cfg.Shards, t.cfg.Replicas = shards, replicas
	if err := t.saveConfigLocked(); err != nil {
		t.cfg = old
		return reql.TableConfig{}, reql.TableConfig{}, err
	}
	return old, t.cfg, nil
}

// SetWriteHook implements reql.WriteHookStore: it sets (nil: removes) a
// table's write hook in its persisted configuration.
func (s *Store) SetWriteHook(_ context.Context, db, table string, hook *reql.WriteHookConfig) error {
	t, err := s.table(db, table)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.cfg
	t.cfg.WriteHook = hook
	if err := t.saveConfigLocked(); err != nil {
		t.cfg = old
		return err
	}
	return nil
}
