// Command photondb is PhotonDB's one binary: `photondb serve` runs the
// control plane and a data node in one process; other subcommands follow the
// architecture (controlplane, datanode, and CLI clients of the REST API).
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/photondb-io/photondb/controlplane/api"
	"github.com/photondb-io/photondb/controlplane/auth"
	"github.com/photondb-io/photondb/controlplane/catalog"
	"github.com/photondb-io/photondb/controlplane/catalog/boltcat"
	"github.com/photondb-io/photondb/controlplane/meta"
	"github.com/photondb-io/photondb/controlplane/nodeclient"
	"github.com/photondb-io/photondb/controlplane/scheduler"
	"github.com/photondb-io/photondb/controlplane/security"
	"github.com/photondb-io/photondb/datanode"
	"github.com/photondb-io/photondb/shared/config"
	"github.com/photondb-io/photondb/shared/health"
	m "github.com/photondb-io/photondb/shared/meta"
	"github.com/photondb-io/photondb/shared/telemetry"
	"github.com/photondb-io/photondb/shared/tlsconfig"
	"github.com/photondb-io/photondb/shared/version"
)

const usage = `PhotonDB: a RethinkDB-compatible document database.

Usage:
  photondb serve [flags]                   run the control plane and one data node (embedded default)
  photondb controlplane --consul ADDR      run the control plane alone (catalog in Consul)
  photondb datanode --controlplane-url URL run a data node alone (or --consul ADDR to find it)
  photondb status [--addr]                 print a short summary of a running server's health and metrics
  photondb version                         print version, commit and Go version
  photondb help                            this text
` + cliUsage + `
Run 'photondb serve --help' (or controlplane, datanode) for the server's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		cfg, err := config.ParseServe(args[1:], config.Getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "photondb serve:", err)
			return 2
		}
		if err := serve(cfg, stderr); err != nil {
			fmt.Fprintln(stderr, "photondb serve:", err)
			return 1
		}
		return 0
	case "controlplane":
		return runRole(config.RoleControlPlane, args[1:], stderr, runControlPlane)
	case "datanode":
		return runRole(config.RoleDataNode, args[1:], stderr, runDataNode)
	case "status":
		return status(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, version.String())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		if code, handled := runCLI(args[0], args[1:], stdout, stderr); handled {
			return code
		}
		fmt.Fprintf(stderr, "photondb: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// newLog builds the process logger from the serve flags.
func newLog(cfg config.Serve, stderr io.Writer) (*telemetry.Log, error) {
	level, err := telemetry.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	return telemetry.NewLog(telemetry.LogOptions{
		Format:      cfg.LogFormat,
		Level:       level,
		Dir:         cfg.LogDir,
		MaxSizeMB:   cfg.LogMaxSizeMB,
		MaxBackups:  cfg.LogMaxBackups,
		MaxAgeDays:  cfg.LogMaxAgeDays,
		Compress:    cfg.LogCompress,
		RotateEvery: cfg.LogRotate,
	}, stderr)
}

// process is what every server role shares: logs, telemetry, health and
// the signal context.
type process struct {
	cfg     config.Serve
	role    config.Role
	log     *slog.Logger
	logs    *telemetry.Log
	metrics *telemetry.Metrics
	tracing *telemetry.Tracing
	reg     *health.Registry
	ctx     context.Context
	stop    context.CancelFunc
	// stopping closes when shutdown begins (ends long polls at once).
	stopping     chan struct{}
	markStopping func()
	// httpTLS and driverTLS serve the listeners (nil: plain TCP);
	// clientTLS is for this process's connections to other PhotonDB
	// processes (trusting --tls-ca, presenting our certificate).
	httpTLS, driverTLS, clientTLS *tls.Config
	// guard is the HTTP security middleware (rate limit, blacklist, attack
	// detection, Honeytrap reports, security headers).
	guard *security.Guard
	// stderr is the process's error output (the initial token goes there).
	stderr io.Writer
	// clusterSecret authenticates the cluster's own requests (data nodes
	// to the control plane): PHOTONDB_CLUSTER_SECRET, or in serve a random
	// one shared in-process.
	clusterSecret string
}

// isCluster reports whether r carries the cluster secret.
func (p *process) isCluster(r *http.Request) bool {
	if p.clusterSecret == "" {
		return false
	}
	want := "Bearer " + p.clusterSecret
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) == 1
}

// scheme is the HTTP scheme of this process's HTTP port.
func (p *process) scheme() string {
	if p.httpTLS != nil {
		return "https"
	}
	return "http"
}

func startProcess(cfg config.Serve, role config.Role, stderr io.Writer) (*process, error) {
	logs, err := newLog(cfg, stderr)
	if err != nil {
		return nil, err
	}
	log := logs.Logger.With("role", string(role))
	slog.SetDefault(log)
	if cfg.DevMode {
		log.Warn("DEV MODE: authentication is relaxed; never expose this server")
	}
	log.Info("starting photondb", "version", version.Version, "commit", version.CommitOrVCS())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	p := &process{cfg: cfg, role: role, log: log, logs: logs, ctx: ctx, stop: stop, reg: health.NewRegistry(), stopping: make(chan struct{}), stderr: stderr}
	if cfg.DevMode {
		p.reg.Warn("dev mode: authentication is disabled; never expose this server")
	}
	p.markStopping = sync.OnceFunc(func() { close(p.stopping) })
	res, err := telemetry.Resource(ctx, version.Version, "")
	if err == nil {
		p.metrics, err = telemetry.NewMetrics(res)
	}
	if err == nil {
		p.tracing, err = telemetry.NewTracing(ctx, res, config.Getenv)
	}
	if err != nil {
		stop()
		logs.Close()
		return nil, err
	}
	log.Info("telemetry", "metrics", "/_metrics", "otlp_traces", p.tracing.Exporting(), "slow_query_ms", cfg.SlowQueryMS)
	if p.httpTLS, err = tlsconfig.Server(cfg.TLS.HTTP()); err == nil {
		p.driverTLS, err = tlsconfig.Server(cfg.TLS.Driver())
	}
	// Connections to other PhotonDB processes use TLS when this process is
	// configured for it (a cluster is configured alike).
	if err == nil && (p.httpTLS != nil || p.driverTLS != nil || cfg.TLS.Roots() != "") {
		p.clientTLS, err = tlsconfig.Client(cfg.TLS.Roots(), cfg.TLS.HTTP())
	}
	if err != nil {
		p.close()
		return nil, err
	}
	p.clusterSecret = config.Getenv("PHOTONDB_CLUSTER_SECRET")
	if p.clusterSecret == "" && role != config.RoleServe && !cfg.DevMode {
		p.close()
		return nil, errors.New("PHOTONDB_CLUSTER_SECRET is required outside dev mode: data nodes and control planes authenticate each other with it (at least 32 bytes, the same on every process)")
	}
	if p.clusterSecret == "" && role == config.RoleServe {
		var b [32]byte
		_, _ = rand.Read(b[:])
		p.clusterSecret = hex.EncodeToString(b[:])
	}
	sec := cfg.Security
	p.guard, err = security.New(security.Options{
		ExemptRequest:   p.isCluster,
		RateLimit:       security.RateLimitOptions{Disabled: sec.RateLimit <= 0, Requests: sec.RateLimit, Window: sec.RateWindow},
		Blacklist:       security.BlacklistOptions{Static: sec.Blacklist},
		Detect:          security.DetectOptions{BlockFor: sec.BlockFor},
		Honeytrap:       security.ReporterOptions{URL: config.Getenv("HONEYTRAP_URL")},
		ExemptAddresses: sec.RateLimitExempt,
		TrustProxy:      sec.TrustProxy,
		TrustedProxies:  sec.TrustedProxies,
		Log:             log,
	})
	if err == nil {
		_, err = p.guard.RegisterMetrics(p.metrics.Provider())
	}
	if err != nil {
		p.close()
		return nil, fmt.Errorf("security middleware: %w", err)
	}
	if p.httpTLS != nil || p.driverTLS != nil {
		log.Info("TLS", "http", p.httpTLS != nil, "driver", p.driverTLS != nil,
			"client_certificates", cfg.TLS.HTTP().CA != "" || cfg.TLS.Driver().CA != "")
	}
	return p, nil
}

// listenHTTP listens on the HTTP port (with TLS when configured).
func (p *process) listenHTTP() (net.Listener, int, error) {
	ln, err := net.Listen("tcp", p.cfg.Addr(p.cfg.Port))
	if err != nil {
		return nil, 0, fmt.Errorf("listen for HTTP on %s: %w", p.cfg.Addr(p.cfg.Port), err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if p.httpTLS != nil {
		ln = tls.NewListener(ln, p.httpTLS)
	}
	return ln, port, nil
}

func (p *process) close() {
	flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.guard != nil {
		if err := p.guard.Close(flushCtx); err != nil {
			p.log.Warn("security middleware shutdown", "err", err)
		}
	}
	if err := errors.Join(p.tracing.Shutdown(flushCtx), p.metrics.Shutdown(flushCtx)); err != nil {
		p.log.Warn("telemetry shutdown", "err", err)
	}
	p.stop()
	p.logs.Close()
}

func (p *process) timeout() time.Duration { return time.Duration(p.cfg.Timeout) * time.Second }

// handler builds the HTTP handler with the process's middleware.
func (p *process) handler(rest *api.REST, authn *auth.Authenticator, longLived map[string]http.Handler) (http.Handler, error) {
	return api.NewHandler(p.reg, api.Options{
		CORS: p.cfg.CORS, Timeout: p.timeout(), MaxBodyBytes: int64(p.cfg.MaxBodyMB) << 20,
		Metrics: p.metrics.Handler(), Meters: p.metrics.Provider(), Tracers: p.tracing.Provider(),
		LongLived: longLived, REST: rest, Security: p.guard.Middleware, Auth: authn,
	})
}

// nodeHTTPClient reaches data nodes' HTTP ports: in serve, this process's
// own (pinned certificate); otherwise trusting --tls-ca.
func (p *process) nodeHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = p.clientTLS
	if p.role == config.RoleServe { // the node is this process
		tr.TLSClientConfig = tlsconfig.Pinned(p.httpTLS)
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Minute}
}

// httpServer serves handler on ln until shutdown.
type httpServer struct {
	srv *http.Server
	err chan error
}

func (p *process) serveHTTP(ln net.Listener, h http.Handler) *httpServer {
	s := &httpServer{srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}, err: make(chan error, 1)}
	go func() { s.err <- s.srv.Serve(ln) }()
	return s
}

func (s *httpServer) shutdown(ctx context.Context, p *process) {
	p.markStopping()
	log := p.log
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("HTTP shutdown", "err", err)
	}
}

// controlPlane is the control plane's parts over one catalog.
type controlPlane struct {
	meta     *meta.Service
	rest     *api.REST
	auth     *auth.Authenticator
	sched    *schedulerLoop
	closeAll func()
}

// dataNodeClient is the control plane's connection to a data node.
type dataNodeClient interface {
	api.DataNode
	api.UserAdmin
	Close() error
}

// startControlPlane builds the metadata service, the data-node client and
// the scheduler over cat.
func (p *process) startControlPlane(cat catalog.Catalog, reg func(*meta.Service) meta.Registry, dn dataNodeClient, elector scheduler.Elector) (*controlPlane, error) {
	svc, err := meta.New(p.ctx, cat)
	if err != nil {
		_ = dn.Close()
		return nil, err
	}
	registry := reg(svc)
	authn, err := p.authenticator(svc)
	if err != nil {
		_ = dn.Close()
		return nil, err
	}
	cp := &controlPlane{meta: svc, auth: authn, rest: &api.REST{
		Meta: svc, Registry: registry, Node: dn, UserAdmin: dn, ParseReQL: parseReQL,
		DevMode: p.cfg.DevMode, Version: version.Version, Log: p.log, Stopping: p.stopping,
		NodeScheme: p.scheme(), NodeClient: p.nodeHTTPClient(), ClusterSecret: p.clusterSecret,
	}}
	cp.sched = startScheduler(p.ctx, svc, registry, elector, p.log)
	cp.closeAll = sync.OnceFunc(func() {
		cp.sched.stop()
		_ = dn.Close()
	})
	return cp, nil
}

// authenticator builds the control plane's authentication from the
// environment (OIDC_*, GITHUB_*, JWT_*, see controlplane/auth). Outside dev
// mode the first start of a catalog prints an owner token of the default
// tenant, once: the credential to begin with.
func (p *process) authenticator(svc *meta.Service) (*auth.Authenticator, error) {
	acfg, err := auth.FromEnv(config.Getenv)
	if err != nil {
		return nil, err
	}
	acfg.DevMode, acfg.Tokens, acfg.Log = p.cfg.DevMode, svc, p.log
	if acfg.ClusterSecret == "" {
		acfg.ClusterSecret = p.clusterSecret
	}
	acfg.TenantExists = func(ctx context.Context, tenant string) (bool, error) {
		_, err := svc.GetTenant(ctx, tenant)
		if meta.KindOf(err) == meta.KindNotFound {
			return false, nil
		}
		return err == nil, err
	}
	a, err := auth.New(acfg)
	if err != nil {
		return nil, err
	}
	if p.cfg.DevMode {
		return a, nil
	}
	if secret, created, err := svc.BootstrapToken(p.ctx); err != nil {
		return nil, err
	} else if created {
		fmt.Fprintf(p.stderr, "photondb: initial API token (owner of tenant %q; shown once, keep it safe):\n%s\n", m.DefaultTenant, secret)
		p.log.Warn("issued the initial owner API token (printed once on stderr); revoke it with DELETE /api/v1/tokens/{id} once you have others")
	}
	return a, nil
}

func serve(cfg config.Serve, stderr io.Writer) error {
	p, err := startProcess(cfg, config.RoleServe, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	log := p.log

	httpLn, httpPort, err := p.listenHTTP()
	if err != nil {
		return err
	}
	defer httpLn.Close()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	cat, err := boltcat.Open(filepath.Join(cfg.DataDir, "catalog.db"), boltcat.Options{})
	if err != nil {
		return err
	}
	defer cat.Close()

	// The data node follows the control plane over HTTP, as it would in a
	// cluster; the control plane reaches the data node over the driver
	// protocol, like any client (it never imports datanode/*).
	// Inside one process, each side trusts exactly the other's certificate.
	ncfg := p.nodeConfig(p.scheme()+"://"+httpLn.Addr().String(), httpPort)
	ncfg.ControlPlaneTLS = tlsconfig.Pinned(p.httpTLS)
	node, err := datanode.Start(ncfg)
	if err != nil {
		return err
	}
	p.reg.Register("storage", node.CheckStorage)
	p.reg.Register("catalog", node.CheckCatalog)
	user, password := p.nodeLogin()
	dn, err := nodeclient.Dial(node.DriverAddr().String(), nodeclient.DriverOptions{Username: user, Password: password, TLS: tlsconfig.Pinned(p.driverTLS)})
	if err != nil {
		_ = node.Shutdown(context.Background())
		return fmt.Errorf("connect to the data node as admin (set --admin-password if its password changed): %w", err)
	}
	cp, err := p.startControlPlane(cat, func(s *meta.Service) meta.Registry { return meta.EmbeddedRegistry{S: s} },
		dn, scheduler.AlwaysLeader{})
	if err != nil {
		_ = node.Shutdown(context.Background())
		return err
	}
	defer cp.closeAll()
	handler, err := p.handler(cp.rest, cp.auth, map[string]http.Handler{"/api/changes": cp.rest.TenantScoped(node.FeedHandler()),
		"/_node/stats": node.AdminHandler(), "/_node/compact": node.AdminHandler(), "/_node/tables": node.AdminHandler()})
	if err != nil {
		_ = node.Shutdown(context.Background())
		return err
	}
	srv := p.serveHTTP(httpLn, handler)
	p.reg.MarkStarted()
	log.Info("photondb ready", "http", httpLn.Addr().String(), "driver", node.DriverAddr().String())

	runErr := p.wait(srv, node.Err())
	shutCtx, cancel := context.WithTimeout(context.Background(), p.timeout())
	defer cancel()
	// The data node drains first, while /health/ready still answers (not
	// ready once the storage is closed); then the HTTP server stops.
	// REST calls still in flight answer 503 from here on; the pool's idle
	// connections must not hold up the node's drain.
	cp.closeAll()
	nodeErr := node.Shutdown(shutCtx)
	srv.shutdown(shutCtx, p)
	if nodeErr != nil {
		return errors.Join(runErr, fmt.Errorf("shutdown: %w", nodeErr))
	}
	log.Info("stopped cleanly")
	return runErr
}

// wait blocks until a signal asks for shutdown (nil) or a server fails
// (its error); nodeErr may be nil.
func (p *process) wait(srv *httpServer, nodeErr <-chan error) error {
	select {
	case <-p.ctx.Done():
		p.log.Info("shutting down", "reason", "signal")
		return nil
	case err := <-srv.err:
		return fmt.Errorf("HTTP server: %w", err)
	case err := <-nodeErr:
		return fmt.Errorf("driver server: %w", err)
	}
}

// nodeLogin is how the control plane logs in to data nodes: as the cluster
// user with the cluster secret (serve always has one), else as admin with
// --admin-password.
func (p *process) nodeLogin() (user, password string) {
	if p.cfg.AdminPassword == "" && p.clusterSecret != "" {
		return m.ClusterUser, p.clusterSecret
	}
	return "admin", p.cfg.AdminPassword
}

// nodeConfig is the data-node configuration of the process.
func (p *process) nodeConfig(controlPlaneURL string, httpPort int) datanode.Config {
	cfg := p.cfg
	initialPassword := cfg.InitialPassword
	switch {
	case cfg.DevMode:
		initialPassword = "" // dev mode keeps the empty admin password
	case initialPassword == "":
		// Outside dev mode the driver port needs credentials too: a new
		// data directory gets a generated admin password, printed once.
		initialPassword = "auto"
	}
	return datanode.Config{
		InitialPassword: initialPassword,
		DataDir:         cfg.DataDir,
		DriverAddr:      cfg.Addr(cfg.DriverPort),
		Log:             p.log,
		Meters:          p.metrics.Provider(),
		Tracers:         p.tracing.Provider(),
		SlowQuery:       time.Duration(cfg.SlowQueryMS) * time.Millisecond,
		CacheBytes:      int64(cfg.CacheSizeMB) << 20,
		JSDisabled:      !cfg.JS,
		HTTPAllowAll:    cfg.DevMode,
		HTTPAllow:       cfg.HTTPAllow,
		FeedRetention:   cfg.FeedRetention,
		DriverTLS:       p.driverTLS,
		ControlPlaneTLS: p.clientTLS,
		RecentLogs:      p.logs.Recent.Entries,
		ControlPlaneURL: controlPlaneURL,
		ClusterSecret:   p.clusterSecret,
		Tags:            cfg.Tags,
		HTTPPort:        httpPort,
	}
}
