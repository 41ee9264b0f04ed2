// Package meta is the control plane's metadata service: tenants, databases,
// tables, nodes, shard maps and API tokens, kept in a catalog.Catalog with
// check-and-set writes, so every control-plane replica can serve any
// request and concurrent requests never lose an update or break a quota.
//
// It validates names and options with RethinkDB's messages, enforces
// tenant quotas, and serves data nodes the catalog-sync stream they follow
// (Sync) while tracking how far each node has applied it (WaitApplied).
package meta

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/photondb-io/photondb/controlplane/catalog"
	m "github.com/photondb-io/photondb/shared/meta"
)

// Kind classifies a service error for the REST layer.
type Kind int

const (
	// KindInternal is a failure of the catalog or a bug.
	KindInternal Kind = iota
	// KindExists: the resource already exists.
	KindExists
	// KindNotFound: the resource does not exist.
	KindNotFound
	// KindInvalid: a bad name or option.
	KindInvalid
	// KindConflict: the request conflicts with the current state.
	KindConflict
	// KindPrecondition: If-Match named a version that is no longer current.
	KindPrecondition
	// KindQuota: a tenant quota would be exceeded.
	KindQuota
)

// Error is a classified error whose message is meant for users
// (RethinkDB's wording where RethinkDB has one).
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns err's kind (KindInternal for unclassified errors).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// RethinkDB's messages.
func dbNotFound(name string) error {
	return errorf(KindNotFound, "Database `%s` does not exist.", name)
}
func dbExists(name string) error { return errorf(KindExists, "Database `%s` already exists.", name) }
func tableNotFound(db, name string) error {
	return errorf(KindNotFound, "Table `%s.%s` does not exist.", db, name)
}
func tableExists(db, name string) error {
	return errorf(KindExists, "Table `%s.%s` already exists.", db, name)
}
func stale(what string) error {
	return errorf(KindPrecondition, "%s was changed by someone else; read it again and retry (If-Match is stale).", what)
}

// Service is the metadata service over one catalog.
type Service struct {
	cat catalog.Catalog
	now func() time.Time

	mu      sync.Mutex
	applied map[string]nodeProgress // node id -> sync position
	wake    chan struct{}           // closed and replaced when a node reports progress
	changed chan struct{}           // closed and replaced on every metadata write (scheduler trigger)
}

type nodeProgress struct {
	seq  uint64
	seen time.Time
}

// New returns a service over cat, creating the catalog's identity and the
// default tenant on first use.
func New(ctx context.Context, cat catalog.Catalog) (*Service, error) {
	s := &Service{cat: cat, now: time.Now, applied: map[string]nodeProgress{},
		wake: make(chan struct{}), changed: make(chan struct{})}
	if _, err := cat.Put(ctx, m.ClusterIDKey, []byte(`"`+newID()+`"`), catalog.Absent); err != nil && !errors.Is(err, catalog.ErrConflict) {
		return nil, fmt.Errorf("meta: create cluster id: %w", err)
	}
	t := m.Tenant{Name: m.DefaultTenant, CreatedAt: s.now().UTC()}
	if _, err := s.putNew(ctx, m.TenantKey(t.Name), t); err != nil && !errors.Is(err, catalog.ErrConflict) {
		return nil, fmt.Errorf("meta: create default tenant: %w", err)
	}
	return s, nil
}

// Catalog is the underlying catalog.
func (s *Service) Catalog() catalog.Catalog { return s.cat }

// Changed returns a channel closed at the next metadata write made through
// this service (the scheduler's trigger).
func (s *Service) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Service) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// newID is a random UUID (version 4), the form RethinkDB uses for ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("meta: marshal %T: %v", v, err)) // only our own plain structs
	}
	return b
}

func (s *Service) putNew(ctx context.Context, key string, v any) (uint64, error) {
	return s.cat.Put(ctx, key, marshal(v), catalog.Absent)
}

// get reads and decodes key; found is false when it is missing.
func get[T any](ctx context.Context, cat catalog.Catalog, key string) (v T, version uint64, found bool, err error) {
	e, err := cat.Get(ctx, key)
	if errors.Is(err, catalog.ErrNotFound) {
		return v, 0, false, nil
	}
	if err != nil {
		return v, 0, false, err
	}
	v, err = m.Decode[T](key, e.Value)
	return v, e.ModifyIndex, err == nil, err
}

// list reads and decodes every value under prefix.
func list[T any](ctx context.Context, cat catalog.Catalog, prefix string) ([]T, []uint64, error) {
	entries, _, err := cat.List(ctx, prefix)
	if err != nil {
		return nil, nil, err
	}
	out := make([]T, 0, len(entries))
	versions := make([]uint64, 0, len(entries))
	for _, e := range entries {
		v, err := m.Decode[T](e.Key, e.Value)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
		versions = append(versions, e.ModifyIndex)
	}
	return out, versions, nil
}

// expectVersion is the catalog expectation for an optional If-Match
// version (0: any).
func expectVersion(ifMatch uint64) int64 {
	if ifMatch == 0 {
		return catalog.Any
	}
	return int64(ifMatch)
}

// retry runs op until it does not fail with catalog.ErrConflict caused by
// a concurrent change the op re-reads (bounded).
func retry(ctx context.Context, op func() error) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = op(); !errors.Is(err, errRetry) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Millisecond):
		}
	}
	return fmt.Errorf("meta: too much contention, try again: %w", err)
}

var errRetry = errors.New("meta: concurrent change, retry")

// Seq is the catalog's current change sequence.
func (s *Service) Seq(ctx context.Context) (uint64, error) {
	_, seq, err := s.cat.List(ctx, m.ClusterIDKey)
	return seq, err
}

// ClusterID is the catalog's identity.
func (s *Service) ClusterID(ctx context.Context) (string, error) {
	id, _, found, err := get[string](ctx, s.cat, m.ClusterIDKey)
	if err == nil && !found {
		err = errors.New("meta: catalog has no cluster id")
	}
	return id, err
}

// sortByName sorts any slice by a name function.
func sortByName[T any](v []T, name func(T) string) {
	sort.Slice(v, func(i, j int) bool { return name(v[i]) < name(v[j]) })
}

func validName(kind, name string) error {
	if !m.ValidName(name) {
		return errorf(KindInvalid, "%s name `%s` invalid (Use A-Z, a-z, 0-9, _ and - only).", kind, name)
	}
	return nil
}

func reserved(db string) bool { return strings.EqualFold(db, "rethinkdb") }
