package meta

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/photondb-io/photondb/controlplane/catalog"
	m "github.com/photondb-io/photondb/shared/meta"
)

// NodeStatus is a node with what the control plane knows of its health.
type NodeStatus struct {
	m.Node
	Healthy bool
	// Applied is the catalog position the node last reported having
	// applied (through its sync requests); LastSeen is when.
	Applied  uint64
	LastSeen time.Time
}

// Registry lists the data nodes: the embedded registry (nodes heartbeat
// into the catalog) or Consul's service catalog with its health checks.
type Registry interface {
	Nodes(ctx context.Context) ([]m.Node, map[string]bool, error) // nodes and health by id
	Kind() string                                                 // "embedded" or "consul"
}

// NodeTTL is how long the embedded registry counts a node healthy after
// its last heartbeat or sync request.
const NodeTTL = 30 * time.Second

// RegisterNode records (or refreshes) a node in the catalog, keeping the
// draining flag the control plane set.
func (s *Service) RegisterNode(ctx context.Context, n m.Node) error {
	if n.ID == "" {
		return errorf(KindInvalid, "A node needs an id.")
	}
	return retry(ctx, func() error {
		cur, v, found, err := get[m.Node](ctx, s.cat, m.NodeKey(n.ID))
		if err != nil {
			return err
		}
		expect := catalog.Absent
		if found {
			n.Draining = cur.Draining
			expect = int64(v)
		}
		n.UpdatedAt = s.now().UTC()
		if _, err := s.cat.Put(ctx, m.NodeKey(n.ID), marshal(n), expect); errors.Is(err, catalog.ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
		if !found {
			s.notify()
		}
		s.touch(n.ID, 0)
		return nil
	})
}

// touch records that node id is alive and (when seq > 0) has applied the
// catalog up to seq.
func (s *Service) touch(id string, seq uint64) {
	s.mu.Lock()
	p := s.applied[id]
	p.seen = s.now()
	if seq > p.seq {
		p.seq = seq
	}
	s.applied[id] = p
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// Nodes lists the nodes the registry knows, with the catalog's draining
// flags and the sync progress this replica has seen, sorted by id.
func (s *Service) Nodes(ctx context.Context, reg Registry) ([]NodeStatus, error) {
	nodes, health, err := reg.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	stored, _, err := list[m.Node](ctx, s.cat, m.NodesPrefix)
	if err != nil {
		return nil, err
	}
	draining := map[string]bool{}
	for _, n := range stored {
		draining[n.ID] = n.Draining
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]NodeStatus, 0, len(nodes))
	for _, n := range nodes {
		n.Draining = n.Draining || draining[n.ID]
		p := s.applied[n.ID]
		out = append(out, NodeStatus{Node: n, Healthy: health[n.ID], Applied: p.seq, LastSeen: p.seen})
	}
	sortByName(out, func(n NodeStatus) string { return n.ID })
	return out, nil
}

// SetDraining marks a node as draining (the scheduler moves its replicas
// away) or not.
func (s *Service) SetDraining(ctx context.Context, id string, draining bool) (m.Node, error) {
	var out m.Node
	err := retry(ctx, func() error {
		n, v, found, err := get[m.Node](ctx, s.cat, m.NodeKey(id))
		if err != nil {
			return err
		}
		if !found {
			return errorf(KindNotFound, "Node `%s` does not exist.", id)
		}
		n.Draining = draining
		if _, err := s.cat.Put(ctx, m.NodeKey(id), marshal(n), int64(v)); errors.Is(err, catalog.ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
		out = n
		s.notify()
		return nil
	})
	return out, err
}

// RemoveNode forgets a node. A node still holding replicas must be drained
// first (its shard maps no longer name it).
func (s *Service) RemoveNode(ctx context.Context, id string) error {
	e, err := s.cat.Get(ctx, m.NodeKey(id))
	if errors.Is(err, catalog.ErrNotFound) {
		return errorf(KindNotFound, "Node `%s` does not exist.", id)
	} else if err != nil {
		return err
	}
	maps, _, err := list[m.ShardMap](ctx, s.cat, m.ShardMapsPrefix)
	if err != nil {
		return err
	}
	held := 0
	for _, sm := range maps {
		for _, sh := range sm.Shards {
			for _, r := range sh.Replicas {
				if r == id {
					held++
				}
			}
		}
	}
	if held > 0 {
		return errorf(KindConflict, "Node `%s` still holds %d shard replicas; drain it first.", id, held)
	}
	if err := s.cat.Delete(ctx, m.NodeKey(id), int64(e.ModifyIndex)); errors.Is(err, catalog.ErrConflict) {
		return errorf(KindConflict, "Node `%s` changed while being removed; try again.", id)
	} else if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.applied, id)
	s.mu.Unlock()
	s.notify()
	return nil
}

// ShardMap returns a table's placement (an empty map before the scheduler
// has placed it).
func (s *Service) ShardMap(ctx context.Context, tenant, db, table string) (m.ShardMap, error) {
	t, err := s.GetTable(ctx, tenant, db, table)
	if err != nil {
		return m.ShardMap{}, err
	}
	sm, _, found, err := get[m.ShardMap](ctx, s.cat, m.ShardMapKey(t.ID))
	if err != nil || !found {
		return m.ShardMap{TableID: t.ID, Shards: []m.Shard{}}, err
	}
	return sm, nil
}

// ShardMaps returns every stored shard map by table id.
func (s *Service) ShardMaps(ctx context.Context) (map[string]m.ShardMap, map[string]uint64, error) {
	entries, _, err := s.cat.List(ctx, m.ShardMapsPrefix)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]m.ShardMap{}
	versions := map[string]uint64{}
	for _, e := range entries {
		sm, err := m.Decode[m.ShardMap](e.Key, e.Value)
		if err != nil {
			return nil, nil, err
		}
		out[sm.TableID] = sm
		versions[sm.TableID] = e.ModifyIndex
	}
	return out, versions, nil
}

// PutShardMap stores a table's placement if the stored one is still at
// version expect (catalog.Absent for a first placement).
func (s *Service) PutShardMap(ctx context.Context, sm m.ShardMap, expect int64) error {
	_, err := s.cat.Put(ctx, m.ShardMapKey(sm.TableID), marshal(sm), expect)
	return err
}

// Sync answers a data node's catalog-sync request: the changes to
// databases and tables after position `after` (waiting up to wait for one),
// or a full snapshot when the node starts (after == 0), follows another
// catalog (clusterID differs) or has fallen behind the retained changes.
// It also records the node's progress for WaitApplied.
func (s *Service) Sync(ctx context.Context, nodeID, clusterID string, after uint64, wait time.Duration) (m.SyncState, error) {
	ours, err := s.ClusterID(ctx)
	if err != nil {
		return m.SyncState{}, err
	}
	if clusterID == ours && after > 0 {
		if nodeID != "" {
			s.touch(nodeID, after)
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		changes, next, err := s.cat.Changes(wctx, "", after)
		switch {
		case err == nil:
			return m.SyncState{ClusterID: ours, Seq: next, Changes: syncChanges(changes)}, nil
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			return m.SyncState{ClusterID: ours, Seq: after}, nil
		case !errors.Is(err, catalog.ErrCompacted):
			return m.SyncState{}, err
		}
	}
	seq, err := s.Seq(ctx)
	if err != nil {
		return m.SyncState{}, err
	}
	dbs, _, err := list[m.Database](ctx, s.cat, m.DatabasesPrefix)
	if err != nil {
		return m.SyncState{}, err
	}
	tables, _, err := list[m.Table](ctx, s.cat, m.TablesPrefix)
	if err != nil {
		return m.SyncState{}, err
	}
	return m.SyncState{ClusterID: ours, Seq: seq, Snapshot: &m.Snapshot{Databases: dbs, Tables: tables}}, nil
}

// syncChanges keeps the database and table changes a data node applies.
func syncChanges(changes []catalog.Change) []m.SyncChange {
	var out []m.SyncChange
	for _, c := range changes {
		sc := m.SyncChange{Seq: c.Seq, Deleted: c.Deleted}
		switch {
		case strings.HasPrefix(c.Key, m.DatabasesPrefix):
			d := m.Database{Name: strings.TrimPrefix(c.Key, m.DatabasesPrefix)}
			if !c.Deleted {
				var err error
				if d, err = m.Decode[m.Database](c.Key, c.Value); err != nil {
					continue
				}
			}
			sc.Database = &d
		case strings.HasPrefix(c.Key, m.TablesPrefix):
			db, name, ok := m.ParseTableKey(c.Key)
			if !ok {
				continue
			}
			t := m.Table{DB: db, Name: name}
			if !c.Deleted {
				var err error
				if t, err = m.Decode[m.Table](c.Key, c.Value); err != nil {
					continue
				}
			}
			sc.Table = &t
		default:
			continue
		}
		out = append(out, sc)
	}
	return out
}

// WaitApplied waits until every node seen within NodeTTL has applied the
// catalog up to seq, or timeout passes; it reports whether they all did.
func (s *Service) WaitApplied(ctx context.Context, seq uint64, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		behind := false
		for _, p := range s.applied {
			if s.now().Sub(p.seen) < NodeTTL && p.seq < seq {
				behind = true
			}
		}
		wake := s.wake
		s.mu.Unlock()
		if !behind {
			return true
		}
		select {
		case <-wake:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// EmbeddedRegistry is the registry of `photondb serve`: nodes registered in
// the catalog, healthy while they heartbeat or sync within NodeTTL.
type EmbeddedRegistry struct{ S *Service }

// Kind is "embedded".
func (EmbeddedRegistry) Kind() string { return "embedded" }

// Nodes lists the catalog's nodes.
func (r EmbeddedRegistry) Nodes(ctx context.Context) ([]m.Node, map[string]bool, error) {
	nodes, _, err := list[m.Node](ctx, r.S.cat, m.NodesPrefix)
	if err != nil {
		return nil, nil, err
	}
	health := map[string]bool{}
	r.S.mu.Lock()
	defer r.S.mu.Unlock()
	for _, n := range nodes {
		seen := n.UpdatedAt
		if p, ok := r.S.applied[n.ID]; ok && p.seen.After(seen) {
			seen = p.seen
		}
		health[n.ID] = r.S.now().Sub(seen) < NodeTTL
	}
	return nodes, health, nil
}
