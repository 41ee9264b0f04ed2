package catalogsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
	m "github.com/photondb-io/photondb/shared/meta"
)

// Syncer applies the catalog to the node's store.
type Syncer struct {
	client    *Client
	local     reql.Store
	node      m.Node
	statePath string
	log       *slog.Logger
	wait      time.Duration // long-poll wait per request

	mu     sync.Mutex
	state  syncState
	synced bool          // a snapshot has been applied since start
	wake   chan struct{} // closed and replaced after every apply
}

// syncState is persisted in the data directory, so a restarted node
// resumes where it was and can tell a new catalog from the one it follows.
type syncState struct {
	ClusterID string `json:"cluster_id"`
	Seq       uint64 `json:"seq"`
}

// Options configure a Syncer.
type Options struct {
	Client  *Client
	Local   reql.Store // the node's store (DDL here is applied, not routed)
	Node    m.Node     // this node, as registered
	DataDir string     // where the sync position is kept
	Log     *slog.Logger
}

// New returns a Syncer; Run starts it.
func New(o Options) (*Syncer, error) {
	s := &Syncer{client: o.Client, local: o.Local, node: o.Node, log: o.Log, wait: 20 * time.Second,
		statePath: filepath.Join(o.DataDir, "catalog-sync.json"), wake: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	raw, err := os.ReadFile(s.statePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read catalog sync state: %w", err)
	default:
		if err := json.Unmarshal(raw, &s.state); err != nil {
			return nil, fmt.Errorf("decode catalog sync state %s: %w", s.statePath, err)
		}
	}
	return s, nil
}

// Position is the catalog (cluster id) the node follows and the position
// it has applied.
func (s *Syncer) Position() (clusterID string, seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.ClusterID, s.state.Seq
}

// Ready fails until the node has applied a catalog snapshot since start
// (a health check: until then the node may serve a stale schema).
func (s *Syncer) Ready(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.synced {
		return errors.New("catalog not synced with the control plane yet")
	}
	return nil
}

// Run follows the catalog until ctx ends, heartbeating into the registry.
// Failures are logged and retried with a bounded backoff.
func (s *Syncer) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	lastBeat := time.Time{}
	fresh := true // the first request after start asks for a snapshot
	for ctx.Err() == nil {
		if time.Since(lastBeat) > 10*time.Second {
			if err := s.client.Register(ctx, s.node); err != nil {
				s.log.Warn("register with the control plane", "err", err)
			} else {
				lastBeat = time.Now()
			}
		}
		s.mu.Lock()
		st := s.state
		s.mu.Unlock()
		after := st.Seq
		if fresh {
			after = 0
		}
		wait := s.wait
		if after == 0 {
			wait = 0
		}
		ans, err := s.client.Sync(ctx, st.ClusterID, after, wait)
		if err == nil {
			err = s.apply(ctx, ans)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("catalog sync", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		fresh = false
	}
}

// WaitApplied waits until the node has applied the catalog up to seq.
func (s *Syncer) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		s.mu.Lock()
		done, wake := s.state.Seq >= seq && s.synced, s.wake
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Syncer) saveState(st syncState, snapshot bool) error {
	raw, _ := json.Marshal(st)
	tmp := s.statePath + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("write catalog sync state: %w", err)
	}
	if err := os.Rename(tmp, s.statePath); err != nil {
		return fmt.Errorf("write catalog sync state: %w", err)
	}
	s.mu.Lock()
	s.state = st
	if snapshot {
		s.synced = true
	}
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	return nil
}

func (s *Syncer) apply(ctx context.Context, ans m.SyncState) error {
	if ans.Snapshot != nil {
		s.mu.Lock()
		adopt := s.state.ClusterID != ans.ClusterID
		s.mu.Unlock()
		if adopt {
			adopted, err := s.adopt(ctx, *ans.Snapshot)
			if err != nil {
				return err
			}
			if adopted {
				// Registered local databases or tables: read the catalog
				// again, now that it holds them.
				if ans, err = s.client.Sync(ctx, ans.ClusterID, 0, 0); err != nil {
					return err
				}
				if ans.Snapshot == nil {
					return errors.New("control plane answered a snapshot request without a snapshot")
				}
			}
		}
		if err := s.applySnapshot(ctx, *ans.Snapshot); err != nil {
			return err
		}
		return s.saveState(syncState{ClusterID: ans.ClusterID, Seq: ans.Seq}, true)
	}
	// Changes of one sequence number come from one transaction: apply its
	// puts before its deletes, so a rename (delete old name, put new name,
	// same id) moves the local table instead of dropping it.
	for i := 0; i < len(ans.Changes); {
		j := i
		for j < len(ans.Changes) && ans.Changes[j].Seq == ans.Changes[i].Seq {
			j++
		}
		group := append([]m.SyncChange(nil), ans.Changes[i:j]...)
		sort.SliceStable(group, func(a, b int) bool { return !group[a].Deleted && group[b].Deleted })
		for _, c := range group {
			if err := s.applyChange(ctx, c); err != nil {
				return err
			}
		}
		i = j
	}
	s.mu.Lock()
	synced := s.synced
	s.mu.Unlock()
	return s.saveState(syncState{ClusterID: ans.ClusterID, Seq: ans.Seq}, synced)
}

// localState lists the node's databases and tables.
func (s *Syncer) localState(ctx context.Context) ([]reql.DBConfig, []reql.TableConfig, error) {
	dbs, err := s.local.ListDBs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list local databases: %w", err)
	}
	var tables []reql.TableConfig
	for _, d := range dbs {
		ts, err := s.local.ListTables(ctx, d.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("list local tables of %s: %w", d.Name, err)
		}
		tables = append(tables, ts...)
	}
	return dbs, tables, nil
}

// adopt registers the node's databases and tables that a catalog it has
// never followed does not know, so that following it loses nothing (a node
// upgraded from a version without a control plane, or a new catalog).
func (s *Syncer) adopt(ctx context.Context, snap m.Snapshot) (bool, error) {
	dbs, tables, err := s.localState(ctx)
	if err != nil {
		return false, err
	}
	known := map[string]bool{}
	for _, d := range snap.Databases {
		known[d.Name] = true
	}
	knownTable := map[string]bool{}
	for _, t := range snap.Tables {
		knownTable[t.DB+"."+t.Name] = true
	}
	adopted := false
	for _, d := range dbs {
		if known[d.Name] {
			continue
		}
		if _, err := s.client.CreateDB(ctx, d.Name, d.ID); err != nil && !isStatus(err, 409) {
			return false, fmt.Errorf("register local database %s: %w", d.Name, err)
		}
		adopted = true
		s.log.Info("registered a local database with the control plane", "db", d.Name)
	}
	for _, t := range tables {
		if knownTable[t.DB+"."+t.Name] {
			continue
		}
		spec := TableSpec{ID: t.ID, Name: t.Name, PrimaryKey: t.PrimaryKey, Shards: t.Shards, Replicas: t.Replicas, Durability: t.Durability}
		if _, err := s.client.CreateTable(ctx, t.DB, spec); err != nil && !isStatus(err, 409) {
			return false, fmt.Errorf("register local table %s.%s: %w", t.DB, t.Name, err)
		}
		adopted = true
		s.log.Info("registered a local table with the control plane", "table", t.DB+"."+t.Name)
	}
	return adopted, nil
}

func isStatus(err error, status int) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == status
}

// applySnapshot makes the local schema equal to the catalog's: tables and
// databases are matched by id first (so renames keep data), then created or
// dropped.
func (s *Syncer) applySnapshot(ctx context.Context, snap m.Snapshot) error {
	for _, d := range snap.Databases {
		if err := s.putDB(ctx, d); err != nil {
			return err
		}
	}
	for _, t := range snap.Tables {
		if err := s.putTable(ctx, t); err != nil {
			return err
		}
	}
	wantDB := map[string]bool{}
	for _, d := range snap.Databases {
		wantDB[d.Name] = true
	}
	wantTable := map[string]bool{}
	for _, t := range snap.Tables {
		wantTable[t.DB+"."+t.Name] = true
	}
	dbs, tables, err := s.localState(ctx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if !wantTable[t.DB+"."+t.Name] && wantDB[t.DB] {
			if err := s.dropTable(ctx, t.DB, t.Name); err != nil {
				return err
			}
		}
	}
	for _, d := range dbs {
		if !wantDB[d.Name] {
			if err := s.dropDB(ctx, d.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Syncer) applyChange(ctx context.Context, c m.SyncChange) error {
	switch {
	case c.Database != nil && c.Deleted:
		return s.dropDB(ctx, c.Database.Name)
	case c.Database != nil:
		return s.putDB(ctx, *c.Database)
	case c.Table != nil && c.Deleted:
		return s.dropTable(ctx, c.Table.DB, c.Table.Name)
	case c.Table != nil:
		return s.putTable(ctx, *c.Table)
	}
	return nil
}

// putDB creates the database locally, or renames the local one with the
// same id.
func (s *Syncer) putDB(ctx context.Context, d m.Database) error {
	dbs, err := s.local.ListDBs(ctx)
	if err != nil {
		return fmt.Errorf("list local databases: %w", err)
	}
	for _, l := range dbs {
		if l.Name == d.Name {
			return nil
		}
	}
	for _, l := range dbs {
		if d.ID != "" && l.ID == d.ID {
			s.log.Info("renaming database as the catalog says", "from", l.Name, "to", d.Name)
			if err := s.local.RenameDB(ctx, l.Name, d.Name); err != nil {
				return fmt.Errorf("rename local database %s to %s: %w", l.Name, d.Name, err)
			}
			return nil
		}
	}
	if _, err := s.local.CreateDB(ctx, reql.DBConfig{ID: d.ID, Name: d.Name}); err != nil && !errors.Is(err, reql.ErrClassOpFailed) {
		return fmt.Errorf("create local database %s: %w", d.Name, err)
	}
	return nil
}

// putTable creates, renames or reconfigures the local table.
func (s *Syncer) putTable(ctx context.Context, t m.Table) error {
	_, tables, err := s.localState(ctx)
	if err != nil {
		return err
	}
	for _, l := range tables {
		if l.ID != t.ID {
			continue
		}
		if l.DB != t.DB {
			// Moved by a database rename that has not reached us yet as a
			// database change: the database put renames it.
			return nil
		}
		if l.Name != t.Name {
			s.log.Info("renaming table as the catalog says", "db", t.DB, "from", l.Name, "to", t.Name)
			if err := s.local.RenameTable(ctx, t.DB, l.Name, t.Name); err != nil {
				return fmt.Errorf("rename local table %s.%s to %s: %w", t.DB, l.Name, t.Name, err)
			}
		}
		if l.Shards != t.Shards || l.Replicas != t.Replicas {
			if _, _, err := s.local.ReconfigureTable(ctx, t.DB, t.Name, t.Shards, t.Replicas); err != nil {
				return fmt.Errorf("reconfigure local table %s.%s: %w", t.DB, t.Name, err)
			}
		}
		return nil
	}
	for _, l := range tables {
		if l.DB == t.DB && l.Name == t.Name {
			return nil // the same name under another id: adopted, keep its data
		}
	}
	if _, err := s.local.GetDB(ctx, t.DB); err != nil {
		if err := s.putDB(ctx, m.Database{Name: t.DB, ID: t.DBID}); err != nil {
			return err
		}
	}
	_, err = s.local.CreateTable(ctx, reql.TableConfig{ID: t.ID, DB: t.DB, Name: t.Name, PrimaryKey: t.PrimaryKey,
		Durability: t.Durability, Shards: t.Shards, Replicas: t.Replicas})
	if err != nil && !errors.Is(err, reql.ErrClassOpFailed) {
		return fmt.Errorf("create local table %s.%s: %w", t.DB, t.Name, err)
	}
	return nil
}

func (s *Syncer) dropTable(ctx context.Context, db, name string) error {
	if _, err := s.local.DropTable(ctx, db, name); err != nil && !errors.Is(err, reql.ErrClassOpFailed) {
		return fmt.Errorf("drop local table %s.%s: %w", db, name, err)
	}
	return nil
}

func (s *Syncer) dropDB(ctx context.Context, name string) error {
	if _, _, err := s.local.DropDB(ctx, name); err != nil && !errors.Is(err, reql.ErrClassOpFailed) {
		return fmt.Errorf("drop local database %s: %w", name, err)
	}
	return nil
}
