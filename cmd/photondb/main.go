// Command photondb is PhotonDB's one binary: `photondb serve` runs the
// control plane and a data node in one process; other subcommands follow the
// architecture (controlplane, datanode, and CLI clients of the REST API).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/photondb-io/photondb/controlplane/api"
	"github.com/photondb-io/photondb/controlplane/nodeclient"
	"github.com/photondb-io/photondb/datanode"
	"github.com/photondb-io/photondb/shared/config"
	"github.com/photondb-io/photondb/shared/health"
	"github.com/photondb-io/photondb/shared/telemetry"
	"github.com/photondb-io/photondb/shared/version"
)

const usage = `PhotonDB: a RethinkDB-compatible document database.

Usage:
  photondb serve [flags]   run the control plane and one data node (embedded default)
  photondb status [--addr] print a short summary of a running server's health and metrics
  photondb version         print version, commit and Go version
  photondb help            this text

Run 'photondb serve --help' for the server's flags.
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
	case "status":
		return status(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, version.String())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
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

func serve(cfg config.Serve, stderr io.Writer) error {
	logs, err := newLog(cfg, stderr)
	if err != nil {
		return err
	}
	defer logs.Close()
	log := logs.Logger
	slog.SetDefault(log)
	if cfg.DevMode {
		log.Warn("DEV MODE: authentication is relaxed; never expose this server")
	}
	log.Info("starting photondb", "version", version.Version, "commit", version.CommitOrVCS())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	res, err := telemetry.Resource(ctx, version.Version, "")
	if err != nil {
		return err
	}
	metrics, err := telemetry.NewMetrics(res)
	if err != nil {
		return err
	}
	tracing, err := telemetry.NewTracing(ctx, res, config.Getenv)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := errors.Join(tracing.Shutdown(flushCtx), metrics.Shutdown(flushCtx)); err != nil {
			log.Warn("telemetry shutdown", "err", err)
		}
	}()
	log.Info("telemetry", "metrics", "/_metrics", "otlp_traces", tracing.Exporting(), "slow_query_ms", cfg.SlowQueryMS)

	reg := health.NewRegistry()
	node, err := datanode.Start(datanode.Config{
		DataDir:       cfg.DataDir,
		DriverAddr:    cfg.Addr(cfg.DriverPort),
		Log:           log,
		Meters:        metrics.Provider(),
		Tracers:       tracing.Provider(),
		SlowQuery:     time.Duration(cfg.SlowQueryMS) * time.Millisecond,
		CacheBytes:    int64(cfg.CacheSizeMB) << 20,
		JSDisabled:    !cfg.JS,
		HTTPAllowAll:  cfg.DevMode,
		HTTPAllow:     cfg.HTTPAllow,
		FeedRetention: cfg.FeedRetention,
		RecentLogs:    logs.Recent.Entries,
	})
	if err != nil {
		return err
	}
	reg.Register("storage", node.CheckStorage)
	reg.Register("catalog", node.CheckStorage) // the embedded catalog lives in the node's storage

	// The control plane reaches the data node over the driver protocol,
	// like any client (it never imports datanode/*).
	dataNode, err := nodeclient.Dial(node.DriverAddr().String(), nodeclient.DriverOptions{})
	if err != nil {
		_ = node.Shutdown(context.Background())
		return err
	}
	closeCatalog := sync.OnceFunc(func() { _ = dataNode.Close() })
	defer closeCatalog()

	timeout := time.Duration(cfg.Timeout) * time.Second
	handler, err := api.NewHandler(reg, api.Options{
		CORS: cfg.CORS, Timeout: timeout, MaxBodyBytes: int64(cfg.MaxBodyMB) << 20,
		Metrics: metrics.Handler(), Meters: metrics.Provider(), Tracers: tracing.Provider(),
		LongLived: map[string]http.Handler{"/api/changes": node.FeedHandler()},
		Catalog:   dataNode, Version: version.Version,
	})
	if err != nil {
		_ = node.Shutdown(context.Background())
		return err
	}
	httpLn, err := net.Listen("tcp", cfg.Addr(cfg.Port))
	if err != nil {
		_ = node.Shutdown(context.Background())
		return fmt.Errorf("listen for HTTP on %s: %w", cfg.Addr(cfg.Port), err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(httpLn) }()
	reg.MarkStarted()
	log.Info("photondb ready", "http", httpLn.Addr().String(), "driver", node.DriverAddr().String())

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", "signal")
	case err := <-httpErr:
		runErr = fmt.Errorf("HTTP server: %w", err)
	case err := <-node.Err():
		runErr = fmt.Errorf("driver server: %w", err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// The data node drains first, while /health/ready still answers (not
	// ready once the storage is closed); then the HTTP server stops.
	// REST calls still in flight answer 503 from here on; the pool's idle
	// connections must not hold up the node's drain.
	closeCatalog()
	nodeErr := node.Shutdown(shutCtx)
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("HTTP shutdown", "err", err)
	}
	if nodeErr != nil {
		return errors.Join(runErr, fmt.Errorf("shutdown: %w", nodeErr))
	}
	log.Info("stopped cleanly")
	return runErr
}
