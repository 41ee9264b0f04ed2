// Package datanode assembles a data node: the storage engine, the shard
// layer that implements the ReQL store on it, and the driver protocol
// server. cmd/photondb starts it; the control plane never imports it.
package datanode

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/photondb-io/photondb/datanode/catalogsync"
	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/storage"
	"github.com/photondb-io/photondb/datanode/wire"
	"github.com/photondb-io/photondb/shared/meta"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// Config configures a data node.
type Config struct {
	DataDir    string
	DriverAddr string // host:port of the driver protocol listener
	Log        *slog.Logger
	// Meters and Tracers receive the node's metrics and spans (nothing is
	// recorded when nil).
	Meters  metric.MeterProvider
	Tracers trace.TracerProvider
	// SlowQuery is the slow-query log threshold (0: off).
	SlowQuery time.Duration
	// CacheBytes is the storage cache budget (0: the engine's default).
	CacheBytes int64
	// RecentLogs returns the recent log records (rethinkdb.logs); nil: none.
	RecentLogs func() []telemetry.LogEntry
	// FeedRetention is how many recent changes each table keeps for
	// resumable changefeeds (0: the default).
	FeedRetention int
	// JSDisabled refuses r.js; HTTPAllowAll lets r.http reach any host
	// (dev mode); otherwise r.http reaches only the hosts in HTTPAllow.
	JSDisabled   bool
	HTTPAllowAll bool
	HTTPAllow    []string
	// ControlPlaneURL, when set, makes the node follow the control plane's
	// catalog and send drivers' DDL there (catalogsync); empty: the node
	// manages its own schema (standalone).
	ControlPlaneURL string
	// Tags are the node's placement tags (e.g. zone=a), as registered.
	Tags []string
	// HTTPPort is where the node's HTTP endpoints answer (health, metrics,
	// changefeeds, /_node/*), as registered.
	HTTPPort int
	// DriverTLS, when set, serves the driver port over TLS.
	DriverTLS *tls.Config
	// ControlPlaneTLS is the TLS client configuration for an https
	// control-plane URL (nil: the system roots).
	ControlPlaneTLS *tls.Config
	// ClusterSecret authenticates the node's requests to the control plane.
	ClusterSecret string
	// FindControlPlane, when set, finds a control plane's URL again after
	// the current one became unreachable (e.g. another replica in Consul).
	FindControlPlane func(ctx context.Context) (string, error)
	// InitialPassword is the admin user's password when the data directory
	// is new (RethinkDB's --initial-password): empty for none, "auto" for a
	// generated one, printed once on InitialPasswordOut. Ignored when the
	// data directory already exists.
	InitialPassword string
	// InitialPasswordOut receives the generated initial password (default
	// os.Stderr).
	InitialPasswordOut io.Writer
	// PasswordIterations is the PBKDF2 iteration count of new passwords
	// (0: 4096, RethinkDB's).
	PasswordIterations int
	// AuthLimits slow down and lock out clients whose logins keep failing
	// (zero fields: wire.DefaultAuthLimits).
	AuthLimits wire.AuthLimits
}

// Node is a running data node.
type Node struct {
	cfg       Config
	log       *slog.Logger
	engine    *storage.Engine
	store     *shard.Store
	wire      *wire.Server
	listener  net.Listener
	serveErr  chan error
	once      sync.Once
	closed    atomic.Bool         // set when Shutdown starts closing the storage
	metrics   metric.Registration // the storage and cluster gauges
	syncer    *catalogsync.Syncer // nil when standalone
	sizesMu   sync.Mutex          // table sizes, measured at most every tableSizeTTL
	sizes     []tableSize
	sizesAt   time.Time
	measuring bool // a background measurement is running
	stopSync  context.CancelFunc
	syncDone  chan struct{}
	// initialPassword is the admin password --initial-password set or
	// names (see InitialPassword).
	initialPassword string
}

// autoPassword is the --initial-password value that generates one.
const autoPassword = "auto"

// generatePassword returns a random password of 24 URL-safe characters
// (144 bits).
func generatePassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the initial password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Start opens the storage under cfg.DataDir and starts serving drivers.
func Start(cfg Config) (*Node, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	eng, err := storage.Open(cfg.DataDir, storage.Options{Logger: log, CacheBytes: cfg.CacheBytes})
	if err != nil {
		return nil, fmt.Errorf("open storage in %s: %w", cfg.DataDir, err)
	}
	initial := cfg.InitialPassword
	if initial == autoPassword {
		if initial, err = generatePassword(); err != nil {
			eng.Close()
			return nil, err
		}
	}
	st, err := shard.Open(eng, log, shard.Options{FeedRetain: cfg.FeedRetention, InitialPassword: initial,
		PasswordIterations: cfg.PasswordIterations})
	if err != nil {
		eng.Close()
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	switch {
	case st.FirstStart() && cfg.InitialPassword == autoPassword:
		out := cfg.InitialPasswordOut
		if out == nil {
			out = os.Stderr
		}
		// Shown once, never logged (logs may be shipped elsewhere).
		fmt.Fprintf(out, "photondb: the initial password of the admin user is: %s\n(generated by --initial-password auto; it is not shown again)\n", initial)
		log.Info("admin password generated (--initial-password auto) and printed on stderr")
	case st.FirstStart() && initial != "":
		log.Info("admin password set from --initial-password")
	case !st.FirstStart() && cfg.InitialPassword != "":
		log.Info("--initial-password ignored: the data directory already exists")
		if cfg.InitialPassword == autoPassword {
			initial = "" // the generated one was shown at first start only
		}
	}
	mp, tp := cfg.Meters, cfg.Tracers
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	store, err := shard.Instrument(st, mp, tp)
	if err != nil {
		eng.Close()
		return nil, err
	}
	id := st.Identity()
	l, err := net.Listen("tcp", cfg.DriverAddr)
	if err != nil {
		eng.Close()
		return nil, fmt.Errorf("listen for drivers on %s: %w", cfg.DriverAddr, err)
	}
	tcpAddr := l.Addr().(*net.TCPAddr)
	if cfg.DriverTLS != nil {
		l = tls.NewListener(l, cfg.DriverTLS)
	}
	local := reql.WithCatalogFeed(store)
	env := &reql.Env{Store: local, ServerName: id.Name, ServerID: id.ID, Users: st}
	var syncer *catalogsync.Syncer
	if cfg.ControlPlaneURL != "" {
		addr := tcpAddr
		client := catalogsync.NewClient(cfg.ControlPlaneURL, id.ID, cfg.ControlPlaneTLS)
		if cfg.FindControlPlane != nil {
			client.SetResolver(cfg.FindControlPlane)
		}
		client.SetSecret(cfg.ClusterSecret)
		syncer, err = catalogsync.New(catalogsync.Options{
			Client:  client,
			Local:   local,
			Node:    meta.Node{ID: id.ID, Name: id.Name, Address: addr.IP.String(), DriverPort: addr.Port, HTTPPort: cfg.HTTPPort, Tags: cfg.Tags},
			DataDir: cfg.DataDir,
			Log:     log,
		})
		if err != nil {
			l.Close()
			eng.Close()
			return nil, err
		}
		env.Store = syncer.Route(local)
	}
	env.SetExtOptions(reql.ExtOptions{JSDisabled: cfg.JSDisabled, HTTPAllowAll: cfg.HTTPAllowAll, HTTPAllow: cfg.HTTPAllow})
	var users wire.Users = st
	if cfg.ClusterSecret != "" {
		cu, err := newClusterUsers(st, cfg.ClusterSecret)
		if err != nil {
			l.Close()
			eng.Close()
			return nil, err
		}
		users = cu
	}
	ws := wire.NewServer(env, users, log)
	if cfg.PasswordIterations > 0 {
		ws.Iterations = cfg.PasswordIterations
	}
	ws.SetAuthLimits(cfg.AuthLimits)
	env.Live = &live{ws: ws, store: store, logs: cfg.RecentLogs}
	if err := ws.Instrument(wire.Instrumentation{Meters: mp, Tracers: tp, SlowQuery: cfg.SlowQuery}); err != nil {
		l.Close()
		eng.Close()
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, engine: eng, store: st, wire: ws, serveErr: make(chan error, 1), syncer: syncer,
		initialPassword: initial}
	if n.metrics, err = n.registerMetrics(mp); err != nil {
		l.Close()
		eng.Close()
		return nil, err
	}
	n.listener = l
	go func() { n.serveErr <- ws.Serve(l) }()
	if syncer != nil {
		ctx, cancel := context.WithCancel(context.Background())
		n.stopSync, n.syncDone = cancel, make(chan struct{})
		go func() {
			defer close(n.syncDone)
			syncer.Run(ctx)
		}()
	}
	log.Info("data node serving drivers", "addr", l.Addr().String(), "data_dir", cfg.DataDir, "server", id.Name)
	return n, nil
}

// InitialPassword is the admin password that --initial-password stands
// for: the one generated at this (first) start for "auto", the configured
// value otherwise (the password it set when the data directory was new),
// empty when none was configured or the generated one was shown at an
// earlier start. `photondb serve` connects its control plane with it.
func (n *Node) InitialPassword() string { return n.initialPassword }

// DriverAddr is the address the driver listener is bound to.
func (n *Node) DriverAddr() net.Addr { return n.listener.Addr() }

// Identity is the node's server id and name (as rethinkdb.server_status
// shows them).
func (n *Node) Identity() (id, name string) {
	i := n.store.Identity()
	return i.ID, i.Name
}

// Err returns a channel that yields an error if serving fails.
func (n *Node) Err() <-chan error { return n.serveErr }

// CheckStorage is the storage component's health check: it fails once
// Shutdown has begun closing the storage, and when a read fails.
func (n *Node) CheckStorage(context.Context) error {
	if n.closed.Load() {
		return errStorageClosed
	}
	if _, err := n.engine.Has([]byte("c/init")); err != nil {
		return fmt.Errorf("datanode: storage read: %w", err)
	}
	return nil
}

// CheckCatalog is the catalog-sync health check: it fails until the node
// has applied the control plane's catalog since start (always passes when
// the node is standalone).
func (n *Node) CheckCatalog(ctx context.Context) error {
	if n.syncer == nil {
		return nil
	}
	return n.syncer.Ready(ctx)
}

// Shutdown stops accepting queries, lets in-flight ones finish until ctx is
// done, then flushes and closes the storage.
func (n *Node) Shutdown(ctx context.Context) error {
	var err error
	n.once.Do(func() {
		werr := n.wire.Shutdown(ctx)
		if errors.Is(werr, context.DeadlineExceeded) {
			n.log.Warn("queries still running at shutdown deadline were interrupted")
			werr = nil
		}
		if n.stopSync != nil {
			n.stopSync()
			<-n.syncDone
		}
		n.closed.Store(true)
		if n.metrics != nil {
			_ = n.metrics.Unregister()
		}
		err = errors.Join(werr, n.engine.Close())
	})
	return err
}
