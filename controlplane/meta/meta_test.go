package meta

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/photondb-io/photondb/controlplane/catalog"
	"github.com/photondb-io/photondb/controlplane/catalog/boltcat"
	"github.com/photondb-io/photondb/controlplane/catalog/consulcat"
	m "github.com/photondb-io/photondb/shared/meta"
	"github.com/photondb-io/photondb/tests/consulagent"
)

func TestMain(mt *testing.M) { os.Exit(consulagent.Main(mt)) }

var prefixes atomic.Int64

// backends opens a fresh catalog of each kind: the embedded one and Consul
// KV on a real agent (a fresh prefix per test).
var backends = []struct {
	name string
	open func(t *testing.T) catalog.Catalog
}{
	{"bolt", func(t *testing.T) catalog.Catalog {
		c, err := boltcat.Open(filepath.Join(t.TempDir(), "catalog.db"), boltcat.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}},
	{"consul", func(t *testing.T) catalog.Catalog {
		a := consulagent.Shared(t)
		c, err := consulcat.New(a.Client, consulcat.Options{Prefix: fmt.Sprintf("meta-test-%d-%d/", os.Getpid(), prefixes.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}},
}

func forEachBackend(t *testing.T, f func(t *testing.T, s *Service)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, err := New(context.Background(), b.open(t))
			if err != nil {
				t.Fatal(err)
			}
			f(t, s)
		})
	}
}

// Concurrent creations never exceed a quota and never lose a usage count.
func TestQuotaUnderConcurrency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		if _, err := s.CreateTenant(ctx, "acme", m.Quotas{Databases: 5}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var ok, quota atomic.Int32
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := s.CreateDatabase(ctx, "acme", fmt.Sprintf("db%d", i), "")
				switch {
				case err == nil:
					ok.Add(1)
				case KindOf(err) == KindQuota:
					quota.Add(1)
				default:
					t.Errorf("create db%d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		if ok.Load() != 5 || quota.Load() != 11 {
			t.Errorf("%d created, %d refused by quota; want 5 and 11", ok.Load(), quota.Load())
		}
		ten, err := s.GetTenant(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		dbs, _ := s.ListDatabases(ctx, "acme")
		if ten.Usage.Databases != 5 || len(dbs) != 5 {
			t.Errorf("usage %d, %d databases; want 5", ten.Usage.Databases, len(dbs))
		}
	})
}

// Two creators of one table: exactly one wins, the other gets RethinkDB's
// message.
func TestCreateTableRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		if _, err := s.CreateDatabase(ctx, m.DefaultTenant, "shop", ""); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = s.CreateTable(ctx, "", "shop", TableSpec{Name: "users"})
			}(i)
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case err.Error() != "Table `shop.users` already exists.":
				t.Errorf("loser's error: %v", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d creators won, want 1", wins)
		}
		ten, _ := s.GetTenant(ctx, m.DefaultTenant)
		if ten.Usage.Tables != 1 {
			t.Errorf("usage.tables = %d, want 1", ten.Usage.Tables)
		}
	})
}

// A data node following Sync sees a snapshot, then every change in order;
// a rename arrives as one sequence number holding the delete and the put
// (so the node can move the table instead of dropping it).
func TestSyncStream(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		id, err := s.ClusterID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateDatabase(ctx, m.DefaultTenant, "shop", ""); err != nil {
			t.Fatal(err)
		}
		snap, err := s.Sync(ctx, "n1", "", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Snapshot == nil || len(snap.Snapshot.Databases) != 1 || snap.ClusterID != id {
			t.Fatalf("first sync is not a snapshot of one database: %+v", snap)
		}
		if _, err := s.CreateTable(ctx, "", "shop", TableSpec{Name: "users"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RenameTable(ctx, "", "shop", "users", "people"); err != nil {
			t.Fatal(err)
		}
		var changes []m.SyncChange
		after := snap.Seq
		for deadline := time.Now().Add(5 * time.Second); len(changes) < 3 && time.Now().Before(deadline); {
			st, err := s.Sync(ctx, "n1", id, after, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if st.Snapshot != nil {
				t.Fatalf("got a snapshot while following")
			}
			changes = append(changes, st.Changes...)
			after = st.Seq
		}
		var got []string
		for _, c := range changes {
			got = append(got, fmt.Sprintf("%v:%s.%s", c.Deleted, c.Table.DB, c.Table.Name))
		}
		if len(changes) != 3 || changes[1].Seq != changes[2].Seq || changes[0].Seq >= changes[1].Seq {
			t.Fatalf("changes %v (seqs %+v)", got, changes)
		}
		put := changes[1]
		if put.Deleted {
			put = changes[2]
		}
		if put.Deleted || put.Table.Name != "people" || put.Table.ID != changes[0].Table.ID || changes[0].Table.ID == "" {
			t.Errorf("the rename's put %+v does not carry the table's id %q", put.Table, changes[0].Table.ID)
		}
		// A node reports its position with its next request; then
		// WaitApplied sees it.
		if s.WaitApplied(ctx, after, 50*time.Millisecond) {
			t.Errorf("WaitApplied(%d) before the node reported it", after)
		}
		if _, err := s.Sync(ctx, "n1", id, after, 0); err != nil {
			t.Fatal(err)
		}
		if !s.WaitApplied(ctx, after, time.Second) {
			t.Errorf("WaitApplied(%d) after the node reported it", after)
		}
		if s.WaitApplied(ctx, after+1000, 50*time.Millisecond) {
			t.Errorf("WaitApplied for a position no node reached returned true")
		}
		// A node following another catalog gets a snapshot.
		st, err := s.Sync(ctx, "n2", "other-cluster", after, 0)
		if err != nil || st.Snapshot == nil {
			t.Errorf("foreign cluster id: %+v, %v", st, err)
		}
	})
}

// The scheduler places every table on the healthy nodes and moves
// replicas off a drained node.
func TestReconcile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		reg := EmbeddedRegistry{S: s}
		for _, id := range []string{"n1", "n2", "n3"} {
			if err := s.RegisterNode(ctx, m.Node{ID: id, Tags: []string{"zone=" + id}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateDatabase(ctx, m.DefaultTenant, "shop", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTable(ctx, "", "shop", TableSpec{Name: "users", Shards: 2, Replicas: 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.Reconcile(ctx, reg, log); err != nil {
			t.Fatal(err)
		}
		sm, err := s.ShardMap(ctx, "", "shop", "users")
		if err != nil {
			t.Fatal(err)
		}
		if len(sm.Shards) != 2 {
			t.Fatalf("shard map %+v", sm)
		}
		for _, sh := range sm.Shards {
			if len(sh.Replicas) != 2 || sh.Replicas[0] == sh.Replicas[1] || sh.Primary != sh.Replicas[0] {
				t.Errorf("shard %+v", sh)
			}
		}
		if _, err := s.SetDraining(ctx, "n1", true); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if err := s.Reconcile(ctx, reg, log); err != nil {
				t.Fatal(err)
			}
		}
		sm, _ = s.ShardMap(ctx, "", "shop", "users")
		for _, sh := range sm.Shards {
			if strings.Contains(strings.Join(sh.Replicas, ","), "n1") {
				t.Errorf("drained node still holds %+v", sh)
			}
		}
		if err := s.RemoveNode(ctx, "n1"); err != nil {
			t.Errorf("remove drained node: %v", err)
		}
		if err := s.RemoveNode(ctx, "n2"); KindOf(err) != KindConflict {
			t.Errorf("removing a node with replicas: %v, want a conflict", err)
		}
	})
}

func TestTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		tok, secret, err := s.CreateToken(ctx, m.DefaultTenant, "ci", "developer")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.VerifyToken(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Role != "developer" {
			t.Fatalf("verify: %+v, %v", got, err)
		}
		for _, bad := range []string{"", "pdb_", secret + "x", strings.Replace(secret, "_", "-", 1), "pdb_00000000000000000000000000000000_x"} {
			if _, err := s.VerifyToken(ctx, bad); KindOf(err) != KindNotFound {
				t.Errorf("verify %q: %v", bad, err)
			}
		}
		if err := s.DeleteToken(ctx, m.DefaultTenant, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyToken(ctx, secret); KindOf(err) != KindNotFound {
			t.Errorf("revoked token still verifies: %v", err)
		}
	})
}

// The initial owner token is issued once per catalog and works.
func TestBootstrapToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		secret, created, err := s.BootstrapToken(ctx)
		if err != nil || !created || secret == "" {
			t.Fatalf("first bootstrap: %q %v %v", secret, created, err)
		}
		tok, err := s.VerifyToken(ctx, secret)
		if err != nil || tok.Role != "owner" || tok.Tenant != m.DefaultTenant {
			t.Fatalf("bootstrap token %+v, %v", tok, err)
		}
		if again, created, err := s.BootstrapToken(ctx); err != nil || created || again != "" {
			t.Errorf("second bootstrap: %q %v %v", again, created, err)
		}
	})
}
