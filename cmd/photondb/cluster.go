package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/photondb-io/photondb/controlplane/auth"
	"github.com/photondb-io/photondb/controlplane/catalog/consulcat"
	"github.com/photondb-io/photondb/controlplane/meta"
	"github.com/photondb-io/photondb/controlplane/nodeclient"
	"github.com/photondb-io/photondb/controlplane/registry"
	"github.com/photondb-io/photondb/controlplane/scheduler"
	"github.com/photondb-io/photondb/datanode"
	"github.com/photondb-io/photondb/shared/config"
	"github.com/photondb-io/photondb/shared/consulreg"
	"github.com/photondb-io/photondb/shared/reqltext"
)

type consulClient = *api.Client

// parseReQL turns ReQL text into the wire JSON the data node runs.
func parseReQL(src string) (json.RawMessage, error) {
	t, err := reqltext.Parse(src)
	if err != nil {
		return nil, err
	}
	return t.MarshalJSON()
}

// schedulerLoop runs the scheduler while this process leads.
type schedulerLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (l *schedulerLoop) stop() {
	l.cancel()
	<-l.done
}

// startScheduler runs scheduler rounds while this replica is the leader:
// at once, on every metadata change made through svc, and every 5 s (node
// health changes are seen by polling the registry).
func startScheduler(parent context.Context, svc *meta.Service, reg meta.Registry, elector scheduler.Elector, log *slog.Logger) *schedulerLoop {
	ctx, cancel := context.WithCancel(parent)
	l := &schedulerLoop{cancel: cancel, done: make(chan struct{})}
	trigger := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-svc.Changed():
				select {
				case trigger <- struct{}{}:
				default:
				}
			}
		}
	}()
	loop := &scheduler.Loop{
		Elector:   elector,
		Reconcile: func(ctx context.Context) error { return svc.Reconcile(ctx, reg, log) },
		Trigger:   trigger,
		Interval:  5 * time.Second,
		OnError:   func(err error) { log.Warn("scheduler round failed", "err", err) },
	}
	go func() {
		defer close(l.done)
		for ctx.Err() == nil {
			err := loop.Run(ctx)
			if ctx.Err() != nil {
				return
			}
			log.Info("scheduler leadership ended; campaigning again", "reason", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return l
}

// runRole parses a role's flags and runs it.
func runRole(role config.Role, args []string, stderr io.Writer, run func(config.Serve, io.Writer) error) int {
	cfg, err := config.Parse(role, args, config.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "photondb %s: %v\n", role, err)
		return 2
	}
	if err := run(cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "photondb %s: %v\n", role, err)
		return 1
	}
	return 0
}

// runControlPlane is `photondb controlplane`: the REST API over a catalog
// in Consul KV, the scheduler under a Consul lock, the data nodes from
// Consul's catalog. It keeps no local state.
func runControlPlane(cfg config.Serve, stderr io.Writer) error {
	p, err := startProcess(cfg, config.RoleControlPlane, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	log := p.log
	client, err := consulreg.Client(cfg.Consul)
	if err != nil {
		return err
	}
	cat, err := consulcat.New(client, consulcat.Options{Prefix: cfg.ConsulPrefix})
	if err != nil {
		return err
	}
	defer cat.Close()
	httpLn, port, err := p.listenHTTP()
	if err != nil {
		return err
	}
	defer httpLn.Close()
	// Documents and queries go to a data node, found lazily so the control
	// plane starts (and serves its API) before any node exists.
	user, password := p.nodeLogin()
	node := &lazyNode{resolve: consulNode(client, cfg.ConsulPrefix), tls: p.clientTLS, user: user, password: password}
	if cfg.DataNode != "" {
		node.resolve = func(context.Context) (string, error) { return cfg.DataNode, nil }
	}
	cp, err := p.startControlPlane(cat, func(*meta.Service) meta.Registry { return registry.Consul{Client: client, Cluster: cfg.ConsulPrefix} },
		node, &registry.Elector{Client: client, Key: cfg.ConsulPrefix + "scheduler/leader"})
	if err != nil {
		return err
	}
	defer cp.closeAll()
	p.reg.Register("catalog", func(ctx context.Context) error { _, err := cp.meta.Seq(ctx); return err })
	handler, err := p.handler(cp.rest, cp.auth, nil)
	if err != nil {
		return err
	}
	srv := p.serveHTTP(httpLn, handler)
	deregister, err := consulreg.Register(p.ctx, client, consulreg.Service{
		Name: consulreg.ControlPlaneService, ID: consulreg.ControlPlaneService + "-" + net.JoinHostPort(cfg.Advertise, strconv.Itoa(port)),
		Address: cfg.Advertise, Port: port, HTTPPort: port, Cluster: cfg.ConsulPrefix,
		HTTPS: p.httpTLS != nil, ClientCerts: cfg.TLS.HTTP().CA != "",
	})
	if err != nil {
		srv.shutdown(context.Background(), p)
		return err
	}
	defer deregister()
	p.reg.MarkStarted()
	log.Info("photondb control plane ready", "http", httpLn.Addr().String(), "consul", cfg.Consul)
	runErr := p.wait(srv, nil)
	shutCtx, cancel := context.WithTimeout(context.Background(), p.timeout())
	defer cancel()
	cp.closeAll()
	srv.shutdown(shutCtx, p)
	log.Info("stopped cleanly")
	return runErr
}

// lazyNode is the control plane's data-node client when the node is found
// in Consul (or named by flag): it connects on first use and reconnects to
// a healthy instance after a connection failure, so the control plane
// starts and serves its API before any data node exists.
type lazyNode struct {
	resolve  func(ctx context.Context) (string, error)
	tls      *tls.Config
	user     string // the cluster user (or admin with --admin-password)
	password string
	mu       sync.Mutex
	drv      *nodeclient.Driver
}

func (l *lazyNode) get(ctx context.Context) (*nodeclient.Driver, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drv != nil {
		return l.drv, nil
	}
	addr, err := l.resolve(ctx)
	if err != nil {
		return nil, &nodeclient.Error{Kind: nodeclient.KindUnavailable, Message: "No data node is available: " + err.Error(), Err: err}
	}
	drv, err := nodeclient.Dial(addr, nodeclient.DriverOptions{Username: l.user, Password: l.password, TLS: l.tls})
	if err != nil {
		return nil, &nodeclient.Error{Kind: nodeclient.KindUnavailable, Message: "Cannot reach data node " + addr + ": " + err.Error(), Err: err}
	}
	l.drv = drv
	return drv, nil
}

// done forgets the connection after an unavailability error.
func (l *lazyNode) done(drv *nodeclient.Driver, err error) error {
	var ce *nodeclient.Error
	if errors.As(nodeclient.Classify(err), &ce) && ce.Kind == nodeclient.KindUnavailable {
		l.mu.Lock()
		if l.drv == drv {
			l.drv = nil
			_ = drv.Close()
		}
		l.mu.Unlock()
	}
	return err
}

func (l *lazyNode) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drv != nil {
		return l.drv.Close()
	}
	return nil
}

func (l *lazyNode) Indexes(ctx context.Context, db, table string) ([]nodeclient.Index, error) {
	return with(ctx, l, func(d *nodeclient.Driver) ([]nodeclient.Index, error) { return d.Indexes(ctx, db, table) })
}

func (l *lazyNode) Count(ctx context.Context, db, table string) (int64, error) {
	return with(ctx, l, func(d *nodeclient.Driver) (int64, error) { return d.Count(ctx, db, table) })
}

func (l *lazyNode) Documents(ctx context.Context, db, table, pk string, after any, limit int) ([]json.RawMessage, error) {
	return with(ctx, l, func(d *nodeclient.Driver) ([]json.RawMessage, error) {
		return d.Documents(ctx, db, table, pk, after, limit)
	})
}

func (l *lazyNode) Insert(ctx context.Context, db, table string, docs []json.RawMessage, conflict string) (nodeclient.WriteResult, error) {
	return with(ctx, l, func(d *nodeclient.Driver) (nodeclient.WriteResult, error) {
		return d.Insert(ctx, db, table, docs, conflict)
	})
}

func (l *lazyNode) Query(ctx context.Context, term json.RawMessage, db string) (any, error) {
	return with(ctx, l, func(d *nodeclient.Driver) (any, error) { return d.Query(ctx, term, db) })
}

func (l *lazyNode) QueryAs(ctx context.Context, user, password string, term json.RawMessage, db string) (any, error) {
	return with(ctx, l, func(d *nodeclient.Driver) (any, error) { return d.QueryAs(ctx, user, password, term, db) })
}

func (l *lazyNode) EnsureUser(ctx context.Context, user, password string, dbs []string) error {
	_, err := with(ctx, l, func(d *nodeclient.Driver) (any, error) { return nil, d.EnsureUser(ctx, user, password, dbs) })
	return err
}

// with runs f on the current connection, forgetting it when unavailable.
func with[T any](ctx context.Context, l *lazyNode, f func(*nodeclient.Driver) (T, error)) (T, error) {
	d, err := l.get(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	out, err := f(d)
	return out, l.done(d, err)
}

func (l *lazyNode) Users(ctx context.Context) ([]nodeclient.User, error) {
	return with(ctx, l, func(d *nodeclient.Driver) ([]nodeclient.User, error) { return d.Users(ctx) })
}

func (l *lazyNode) SetUser(ctx context.Context, name, password string) error {
	_, err := with(ctx, l, func(d *nodeclient.Driver) (any, error) { return nil, d.SetUser(ctx, name, password) })
	return err
}

func (l *lazyNode) DeleteUser(ctx context.Context, name string) error {
	_, err := with(ctx, l, func(d *nodeclient.Driver) (any, error) { return nil, d.DeleteUser(ctx, name) })
	return err
}

func (l *lazyNode) Grant(ctx context.Context, user, db, table string, perms map[string]any) (any, error) {
	return with(ctx, l, func(d *nodeclient.Driver) (any, error) { return d.Grant(ctx, user, db, table, perms) })
}

func (l *lazyNode) Permissions(ctx context.Context, user string) ([]map[string]any, error) {
	return with(ctx, l, func(d *nodeclient.Driver) ([]map[string]any, error) { return d.Permissions(ctx, user) })
}

// consulNode resolves a healthy photondb-datanode's driver address.
func consulNode(c consulClient, cluster string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		ins, err := consulreg.Instances(ctx, c, consulreg.DataNodeService, cluster)
		if err != nil {
			return "", err
		}
		for _, in := range ins {
			if in.Healthy {
				return net.JoinHostPort(in.Address, strconv.Itoa(in.Port)), nil
			}
		}
		return "", errors.New("no healthy " + consulreg.DataNodeService + " is registered in Consul")
	}
}

// runDataNode is `photondb datanode`: a data node that follows the control
// plane (found by flag or in Consul), serves drivers, and serves its
// health, metrics and WebSocket changefeeds on its own HTTP port.
func runDataNode(cfg config.Serve, stderr io.Writer) error {
	p, err := startProcess(cfg, config.RoleDataNode, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	log := p.log
	var client consulClient
	if cfg.Consul != "" {
		if client, err = consulreg.Client(cfg.Consul); err != nil {
			return err
		}
	}
	cpURL := cfg.ControlPlaneURL
	var findCP func(ctx context.Context) (string, error)
	if cpURL == "" {
		// Any healthy control-plane replica will do; after one goes away
		// the node looks again.
		findCP = func(ctx context.Context) (string, error) {
			in, err := consulreg.WaitHealthy(ctx, client, consulreg.ControlPlaneService, cfg.ConsulPrefix)
			if err != nil {
				return "", err
			}
			scheme := in.Meta[consulreg.SchemeMeta]
			if scheme == "" {
				scheme = "http"
			}
			return scheme + "://" + net.JoinHostPort(in.Address, strconv.Itoa(in.Port)), nil
		}
		wctx, cancel := context.WithTimeout(p.ctx, time.Minute)
		cpURL, err = findCP(wctx)
		cancel()
		if err != nil {
			return err
		}
	}
	httpLn, httpPort, err := p.listenHTTP()
	if err != nil {
		return err
	}
	defer httpLn.Close()
	ncfg := p.nodeConfig(cpURL, httpPort)
	if findCP != nil {
		ncfg.FindControlPlane = func(ctx context.Context) (string, error) {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return findCP(wctx)
		}
	}
	node, err := datanode.Start(ncfg)
	if err != nil {
		return err
	}
	p.reg.Register("storage", node.CheckStorage)
	p.reg.Register("catalog", node.CheckCatalog)
	handler, err := p.handler(nil, p.nodeAuth(), map[string]http.Handler{"/api/changes": node.FeedHandler(),
		"/_node/stats": node.AdminHandler(), "/_node/compact": node.AdminHandler(), "/_node/tables": node.AdminHandler()})
	if err != nil {
		_ = node.Shutdown(context.Background())
		return err
	}
	srv := p.serveHTTP(httpLn, handler)
	if client != nil {
		id, name := node.Identity()
		driverPort := node.DriverAddr().(*net.TCPAddr).Port
		deregister, err := consulreg.Register(p.ctx, client, consulreg.Service{
			HTTPS: p.httpTLS != nil, ClientCerts: cfg.TLS.HTTP().CA != "",
			Name: consulreg.DataNodeService, ID: consulreg.DataNodeService + "-" + id,
			Address: cfg.Advertise, Port: driverPort, HTTPPort: httpPort, Tags: cfg.Tags, Cluster: cfg.ConsulPrefix,
			Meta: map[string]string{"node_id": id, "name": name, "http_port": strconv.Itoa(httpPort),
				"cluster_port": strconv.Itoa(cfg.ClusterPort)},
		})
		if err != nil {
			_ = node.Shutdown(context.Background())
			return err
		}
		defer deregister()
	}
	p.reg.MarkStarted()
	log.Info("photondb data node ready", "http", httpLn.Addr().String(), "driver", node.DriverAddr().String(), "controlplane", cpURL)
	runErr := p.wait(srv, node.Err())
	shutCtx, cancel := context.WithTimeout(context.Background(), p.timeout())
	defer cancel()
	nodeErr := node.Shutdown(shutCtx)
	srv.shutdown(shutCtx, p)
	if nodeErr != nil {
		return errors.Join(runErr, fmt.Errorf("shutdown: %w", nodeErr))
	}
	log.Info("stopped cleanly")
	return runErr
}

// nodeAuth protects a data node's own HTTP port (/api/changes, /_node/*):
// it accepts the cluster secret (the control plane's calls); health and
// metrics stay public. A data node has no catalog, so user tokens are
// checked by the control plane, not here.
func (p *process) nodeAuth() *auth.Authenticator {
	a, err := auth.New(auth.Config{DevMode: p.cfg.DevMode, ClusterSecret: p.clusterSecret, Log: p.log})
	if err != nil {
		p.log.Error("data node HTTP authentication", "err", err)
		a, _ = auth.New(auth.Config{Log: p.log}) // refuse everything protected
	}
	return a
}
