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
	"path/filepath"
	"syscall"
	"time"

	"github.com/photondb-io/photondb/controlplane/api"
	"github.com/photondb-io/photondb/datanode"
	"github.com/photondb-io/photondb/shared/config"
	"github.com/photondb-io/photondb/shared/health"
	"github.com/photondb-io/photondb/shared/version"
)

const usage = `PhotonDB: a RethinkDB-compatible document database.

Usage:
  photondb serve [flags]   run the control plane and one data node (embedded default)
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

// newLogger logs JSON to stderr and, with a log dir, to photondb.log in it.
func newLogger(cfg config.Serve, stderr io.Writer) (*slog.Logger, func(), error) {
	var out io.Writer = stderr
	closeFn := func() {}
	if cfg.LogDir != "" {
		if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("create log dir: %w", err)
		}
		f, err := os.OpenFile(filepath.Join(cfg.LogDir, "photondb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		out = io.MultiWriter(stderr, f)
		closeFn = func() { f.Close() }
	}
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo})), closeFn, nil
}

func serve(cfg config.Serve, stderr io.Writer) error {
	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	if cfg.DevMode {
		log.Warn("DEV MODE: authentication is relaxed; never expose this server")
	}
	log.Info("starting photondb", "version", version.Version, "commit", version.CommitOrVCS())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	reg := health.NewRegistry()
	node, err := datanode.Start(datanode.Config{DataDir: cfg.DataDir, DriverAddr: cfg.Addr(cfg.DriverPort), Log: log})
	if err != nil {
		return err
	}
	reg.Register("storage", node.CheckStorage)
	reg.Register("catalog", node.CheckStorage) // the embedded catalog lives in the node's storage

	httpLn, err := net.Listen("tcp", cfg.Addr(cfg.Port))
	if err != nil {
		_ = node.Shutdown(context.Background())
		return fmt.Errorf("listen for HTTP on %s: %w", cfg.Addr(cfg.Port), err)
	}
	timeout := time.Duration(cfg.Timeout) * time.Second
	srv := &http.Server{
		Handler:           api.NewHandler(reg, api.Options{CORS: cfg.CORS, Timeout: timeout, MaxBodyBytes: int64(cfg.MaxBodyMB) << 20}),
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
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("HTTP shutdown", "err", err)
	}
	if err := node.Shutdown(shutCtx); err != nil {
		return errors.Join(runErr, fmt.Errorf("shutdown: %w", err))
	}
	log.Info("stopped cleanly")
	return runErr
}
