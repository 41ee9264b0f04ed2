package shard

import (
	"context"
	"fmt"
	"sort"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/storage"
)

// Secondary indexes. An index entry is the key
//
//	i/<table id>/<index id>/<encoded index value><encoded primary key>
//
// with the encoded primary key as its value. Encoded values are
// self-delimiting, so the entries of one index value are exactly the keys
// with prefix i/<table id>/<index id>/<encoded value>. Entries are written
// in the same batch as their document, so an index always agrees with the
// documents.

// backfillChunk is how many documents one backfill step indexes while
// holding their lock stripes.
const backfillChunk = 500

func (t *Table) indexPrefix(ix reql.IndexConfig) []byte {
	return append(append([]byte{}, t.iprefix...), ix.ID+"/"...)
}

// updateIndexes adds to b the index entry changes for one document whose
// encoded primary key is pk, going from old to next.
func (t *Table) updateIndexes(b *storage.Batch, indexes []reql.IndexConfig, pk []byte, old, next map[string]any) error {
	for _, ix := range indexes {
		oldKeys, err := reql.IndexKeys(ix, old)
		if err != nil {
			return fmt.Errorf("index %s on %s.%s: %w", ix.Name, t.cfg.DB, t.cfg.Name, err)
		}
		newKeys, err := reql.IndexKeys(ix, next)
		if err != nil {
			return fmt.Errorf("index %s on %s.%s: %w", ix.Name, t.cfg.DB, t.cfg.Name, err)
		}
		prefix := t.indexPrefix(ix)
		keep := map[string]bool{}
		for _, k := range newKeys {
			keep[string(k)] = true
		}
		for _, k := range oldKeys {
			if !keep[string(k)] {
				b.Delete(entryKey(prefix, k, pk))
			}
		}
		for _, k := range newKeys {
			b.Put(entryKey(prefix, k, pk), append([]byte{}, pk...))
		}
	}
	return nil
}

func entryKey(prefix, value, pk []byte) []byte {
	out := make([]byte, 0, len(prefix)+len(value)+len(pk))
	return append(append(append(out, prefix...), value...), pk...)
}

// Indexes implements reql.TableStore.
func (t *Table) Indexes() []reql.IndexStatus {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]reql.IndexStatus, 0, len(t.cfg.Indexes))
	for _, ix := range t.cfg.Indexes {
		st := reql.IndexStatus{IndexConfig: ix, Progress: 1}
		if !ix.Ready {
			st.Progress = t.progress[ix.ID]
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (t *Table) findIndex(name string) (reql.IndexConfig, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, ix := range t.cfg.Indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return reql.IndexConfig{}, false
}

// saveConfig persists the table's catalog entry; t.mu must be held.
func (t *Table) saveConfigLocked() error {
	b := t.s.eng.NewBatch()
	b.Put([]byte(prefixTable+t.cfg.DB+"/"+t.cfg.Name), mustJSON(t.cfg))
	if err := t.s.eng.Apply(b, storage.Hard); err != nil {
		return fmt.Errorf("save table config %s.%s: %w", t.cfg.DB, t.cfg.Name, err)
	}
	return nil
}

func (s *Store) table(db, name string) (*Table, error) {
	ts, err := s.OpenTable(context.Background(), db, name)
	if err != nil {
		return nil, err
	}
	return ts.(*Table), nil
}

// CreateIndex implements reql.Store.
func (s *Store) CreateIndex(_ context.Context, db, table string, ix reql.IndexConfig) (reql.IndexConfig, error) {
	t, err := s.table(db, table)
	if err != nil {
		return reql.IndexConfig{}, err
	}
	t.mu.Lock()
	for _, have := range t.cfg.Indexes {
		if have.Name == ix.Name {
			t.mu.Unlock()
			return reql.IndexConfig{}, reql.IndexExists(db, table, ix.Name)
		}
	}
	ix.ID = reql.NewUUID()
	ix.Ready = false
	t.cfg.Indexes = append(t.cfg.Indexes, ix)
	t.progress[ix.ID] = 0
	if err := t.saveConfigLocked(); err != nil {
		t.cfg.Indexes = t.cfg.Indexes[:len(t.cfg.Indexes)-1]
		t.mu.Unlock()
		return reql.IndexConfig{}, err
	}
	t.mu.Unlock()
	go t.backfill(ix)
	return ix, nil
}

// resumeBackfills restarts the builds that a restart interrupted.
func (t *Table) resumeBackfills() {
	for _, ix := range t.Config().Indexes {
		if !ix.Ready {
			go t.backfill(ix)
		}
	}
}

// backfill indexes every existing document, a chunk at a time with the
// chunk's lock stripes held (so it cannot race a write of the same
// documents), then marks the index ready.
func (t *Table) backfill(ix reql.IndexConfig) {
	total, _ := t.Count(context.Background())
	done := int64(0)
	lower := []byte(nil)
	for {
		if t.dropped.Load() {
			return
		}
		if _, ok := t.findIndexByID(ix.ID); !ok {
			return // dropped while building
		}
		it := t.s.eng.NewIterator(storage.IterOptions{Prefix: t.prefix, Lower: lower})
		var keys [][]byte
		for len(keys) < backfillChunk && it.Next() {
			keys = append(keys, append([]byte{}, it.Key()...))
		}
		if err := closeIter(it); err != nil {
			t.s.log.Error("index backfill failed", "index", ix.Name, "table", t.cfg.Name, "err", err)
			return
		}
		if len(keys) == 0 {
			break
		}
		if err := t.indexChunk(ix, keys); err != nil {
			t.s.log.Error("index backfill failed", "index", ix.Name, "table", t.cfg.Name, "err", err)
			return
		}
		done += int64(len(keys))
		t.mu.Lock()
		if total > 0 {
			t.progress[ix.ID] = min(float64(done)/float64(total), 0.99)
		}
		t.mu.Unlock()
		lower = append(keys[len(keys)-1], 0)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.cfg.Indexes {
		if t.cfg.Indexes[i].ID == ix.ID {
			t.cfg.Indexes[i].Ready = true
			delete(t.progress, ix.ID)
			if err := t.saveConfigLocked(); err != nil {
				t.s.log.Error("index backfill: save config", "index", ix.Name, "err", err)
			}
		}
	}
}

func (t *Table) findIndexByID(id string) (reql.IndexConfig, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, ix := range t.cfg.Indexes {
		if ix.ID == id {
			return ix, true
		}
	}
	return reql.IndexConfig{}, false
}

func (t *Table) indexChunk(ix reql.IndexConfig, keys [][]byte) error {
	unlock := t.s.lockKeys(keys)
	defer unlock()
	b := t.s.eng.NewBatch()
	for _, k := range keys {
		doc, err := t.getRaw(k)
		if err != nil {
			return err
		}
		if doc == nil {
			continue
		}
		if err := t.updateIndexes(b, []reql.IndexConfig{ix}, k[len(t.prefix):], nil, doc); err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return t.s.eng.Apply(b, storage.Soft)
}

// DropIndex implements reql.Store.
func (s *Store) DropIndex(_ context.Context, db, table, name string) error {
	t, err := s.table(db, table)
	if err != nil {
		return err
	}
	t.mu.Lock()
	var dropped *reql.IndexConfig
	kept := t.cfg.Indexes[:0:0]
	for _, ix := range t.cfg.Indexes {
		if ix.Name == name {
			ix := ix
			dropped = &ix
			continue
		}
		kept = append(kept, ix)
	}
	if dropped == nil {
		t.mu.Unlock()
		return reql.IndexNotFound(db, table, name)
	}
	prev := t.cfg.Indexes
	t.cfg.Indexes = kept
	if err := t.saveConfigLocked(); err != nil {
		t.cfg.Indexes = prev
		t.mu.Unlock()
		return err
	}
	delete(t.progress, dropped.ID)
	t.mu.Unlock()
	return s.deleteRange(t.indexPrefix(*dropped))
}

// RenameIndex implements reql.Store.
func (s *Store) RenameIndex(ctx context.Context, db, table, oldName, newName string, overwrite bool) error {
	t, err := s.table(db, table)
	if err != nil {
		return err
	}
	if oldName == newName {
		if _, ok := t.findIndex(oldName); !ok {
			return reql.IndexNotFound(db, table, oldName)
		}
		return nil
	}
	if _, ok := t.findIndex(oldName); !ok {
		return reql.IndexNotFound(db, table, oldName)
	}
	if _, exists := t.findIndex(newName); exists {
		if !overwrite {
			return reql.IndexExists(db, table, newName)
		}
		if err := s.DropIndex(ctx, db, table, newName); err != nil {
			return err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.cfg.Indexes {
		if t.cfg.Indexes[i].Name == oldName {
			t.cfg.Indexes[i].Name = newName
			if err := t.saveConfigLocked(); err != nil {
				t.cfg.Indexes[i].Name = oldName
				return err
			}
			return nil
		}
	}
	return reql.IndexNotFound(db, table, oldName)
}

// IndexScan implements reql.TableStore.
func (t *Table) IndexScan(_ context.Context, index string, r reql.KeyRange, reverse bool) (reql.DocIterator, error) {
	if err := t.checkLive(); err != nil {
		return nil, err
	}
	if index == t.cfg.PrimaryKey {
		o := bounds(t.prefix, r)
		o.Reverse = reverse
		return &docIter{it: t.s.eng.NewIterator(o)}, nil
	}
	ix, ok := t.findIndex(index)
	if !ok {
		return nil, reql.IndexNotFound(t.cfg.DB, t.cfg.Name, index)
	}
	if !ix.Ready {
		return nil, reql.IndexNotReady(t.cfg.DB, t.cfg.Name, index)
	}
	o := bounds(t.indexPrefix(ix), r)
	o.Reverse = reverse
	snap := t.s.eng.Snapshot()
	return &indexIter{t: t, snap: snap, it: snap.NewIterator(o)}, nil
}

// bounds turns a KeyRange over encoded values into iterator bounds under
// prefix.
func bounds(prefix []byte, r reql.KeyRange) storage.IterOptions {
	o := storage.IterOptions{Prefix: prefix}
	if r.Lower != nil {
		o.Lower = append(append([]byte{}, prefix...), r.Lower...)
		if r.LowerOpen {
			o.Lower = prefixEnd(o.Lower)
		}
	}
	if r.Upper != nil {
		o.Upper = append(append([]byte{}, prefix...), r.Upper...)
		if !r.UpperOpen {
			o.Upper = prefixEnd(o.Upper)
		}
	}
	return o
}

// prefixEnd is the first key after every key that starts with p.
func prefixEnd(p []byte) []byte {
	out := append([]byte{}, p...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] != 0xFF {
			out[i]++
			return out[:i+1]
		}
	}
	return nil // p is all 0xFF: no end
}

// indexIter reads documents through index entries, on one snapshot so that
// entries and documents agree.
type indexIter struct {
	t    *Table
	snap storage.Snapshot
	it   storage.Iterator
	doc  map[string]any
	err  error
}

func (x *indexIter) Next() bool {
	if x.err != nil || x.it == nil {
		return false
	}
	for x.it.Next() {
		raw, err := x.snap.Get(append(append([]byte{}, x.t.prefix...), x.it.Value()...))
		if err != nil {
			continue // entry without document cannot happen within a snapshot; skip defensively
		}
		if x.doc, x.err = decodeDoc(raw); x.err != nil {
			return false
		}
		return true
	}
	return false
}

func (x *indexIter) Doc() map[string]any { return x.doc }

func (x *indexIter) Err() error {
	if x.err != nil {
		return x.err
	}
	if x.it != nil {
		return x.it.Err()
	}
	return nil
}

func (x *indexIter) Close() error {
	if x.it == nil {
		return nil
	}
	err := x.it.Close()
	x.snap.Release()
	x.it = nil
	return err
}
