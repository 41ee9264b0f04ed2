// Package config defines the settings of `photondb serve` and reads them
// from command-line flags and the environment: every flag --x-y can also be
// set as PHOTONDB_X_Y, and the variable names of RethinkDB-era deployments
// (RETHINKDB_BIND, RETHINKDB_PORT, RETHINKDB_LOG_DIR, DEV_MODE) are honoured
// too. Precedence: flag, then PHOTONDB_*, then the legacy name, then the
// default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Serve is the configuration of `photondb serve`.
type Serve struct {
	Bind        string
	Port        int // HTTP (control plane API, health)
	DriverPort  int // RethinkDB driver protocol
	ClusterPort int // raft and node-to-node RPC
	DataDir     string
	LogDir      string
	DevMode     bool
	CORS        bool
	Timeout     int // HTTP request timeout, seconds
	MaxBodyMB   int // HTTP request body limit, MB

	LogFormat     string        // json or text
	LogLevel      string        // debug, info, warn or error
	LogMaxSizeMB  int           // rotate the log file past this size
	LogMaxBackups int           // rotated files kept (0: all)
	LogMaxAgeDays int           // days rotated files are kept (0: forever)
	LogCompress   bool          // gzip rotated files
	LogRotate     time.Duration // also rotate on this period (0: by size only)
	SlowQueryMS   int           // log queries slower than this, in ms (0: off)
	CacheSizeMB   int           // storage cache budget, MB (RethinkDB's --cache-size)
	FeedRetention int           // recent changes kept per table for changes({since})
	JS            bool          // r.js allowed (--js; --no-js disables it)
	HTTPAllow     []string      // hosts r.http may reach outside dev mode (--http-allow)

	// Cluster settings of `photondb controlplane` and `photondb datanode`.
	Consul          string   // Consul agent HTTP address (catalog, registry)
	ConsulPrefix    string   // Consul KV folder of the catalog
	ControlPlaneURL string   // where a data node finds the control plane
	DataNode        string   // a data node's driver address for the control plane (else from Consul)
	Tags            []string // a data node's placement tags (zone=a, ...)
	Advertise       string   // the address other processes reach this one at

	TLS      TLS      // TLS for the listeners and outgoing connections (tls.go)
	Security Security // the HTTP security middleware (security.go)

	// InitialPassword is the admin user's password on a new data directory
	// (serve, datanode): empty for none, "auto" to generate and print one.
	InitialPassword string
	// AdminPassword is the password the control plane connects to data
	// nodes with, as admin (serve, controlplane; serve defaults to the
	// initial password it set).
	AdminPassword string
}

// Role is what a process runs.
type Role string

// The roles of the photondb binary.
const (
	RoleServe        Role = "serve"
	RoleControlPlane Role = "controlplane"
	RoleDataNode     Role = "datanode"
)

// listFlag is a comma-separated, repeatable string list flag.
type listFlag struct{ list *[]string }

func (l listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l listFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l.list = append(*l.list, item)
		}
	}
	return nil
}

// noFlag is --no-js: a boolean flag that clears another.
type noFlag struct{ target *bool }

func (n noFlag) String() string   { return "false" }
func (n noFlag) IsBoolFlag() bool { return true }
func (n noFlag) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	if b {
		*n.target = false
	}
	return nil
}

// legacyEnv maps flag names to the environment variables of the original
// design.
var legacyEnv = map[string]string{
	"bind":     "RETHINKDB_BIND",
	"port":     "RETHINKDB_PORT",
	"log-dir":  "RETHINKDB_LOG_DIR",
	"dev-mode": "DEV_MODE",
}

// EnvName is the PHOTONDB_* variable for a flag name.
func EnvName(flagName string) string {
	return "PHOTONDB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseServe reads the serve configuration from args and the environment
// (getenv, usually os.Getenv). Usage and errors are written to out.
func ParseServe(args []string, getenv func(string) string, out io.Writer) (Serve, error) {
	return Parse(RoleServe, args, getenv, out)
}

var usageText = map[Role]string{
	RoleServe:        "Usage: photondb serve [flags]\n\nRuns the control plane and one data node in one process.",
	RoleControlPlane: "Usage: photondb controlplane --consul ADDR [flags]\n\nRuns the control plane alone: REST API, catalog in Consul KV, scheduler (one leader at a time).\nIt keeps no local state.",
	RoleDataNode:     "Usage: photondb datanode --controlplane-url URL | --consul ADDR [flags]\n\nRuns a data node alone: it serves drivers, follows the control plane's catalog\nand registers itself in Consul when --consul is set.",
}

// Parse reads the configuration of a role from args and the environment.
func Parse(role Role, args []string, getenv func(string) string, out io.Writer) (Serve, error) {
	var c Serve
	fs := flag.NewFlagSet(string(role), flag.ContinueOnError)
	fs.SetOutput(out)
	node := role != RoleControlPlane
	fs.StringVar(&c.Bind, "bind", "127.0.0.1", "address to listen on (all ports)")
	httpPort := 8080
	if role == RoleDataNode {
		httpPort = 8081
	}
	fs.IntVar(&c.Port, "port", httpPort, "HTTP port (REST API or node endpoints, health, metrics)")
	if node {
		fs.IntVar(&c.DriverPort, "driver-port", 28015, "RethinkDB driver port")
		fs.IntVar(&c.ClusterPort, "cluster-port", 29015, "cluster port (raft, node-to-node RPC)")
		fs.StringVar(&c.DataDir, "data-dir", "./data", "directory for data")
	} else {
		c.DataDir = "-"
	}
	if role != RoleServe {
		consulDefault := getenv("CONSUL_HTTP_ADDR")
		fs.StringVar(&c.Consul, "consul", consulDefault, "Consul agent HTTP address, host:port (default $CONSUL_HTTP_ADDR)")
		fs.StringVar(&c.ConsulPrefix, "consul-prefix", "photondb/", "Consul KV folder of the catalog")
		fs.StringVar(&c.Advertise, "advertise", "", "address other processes reach this one at (default: --bind)")
	}
	if role == RoleControlPlane {
		fs.StringVar(&c.DataNode, "datanode", "", "a data node's driver address host:port (default: a healthy photondb-datanode from Consul)")
	}
	if role == RoleDataNode {
		fs.StringVar(&c.ControlPlaneURL, "controlplane-url", "", "control plane URL (default: a healthy photondb-controlplane from Consul)")
		fs.Var(listFlag{&c.Tags}, "tags", "placement tags, comma-separated (e.g. zone=a,rack=r1)")
	}
	c.TLS.register(fs)
	c.Security.register(fs)
	if node {
		fs.StringVar(&c.InitialPassword, "initial-password", "", "password of the admin user when the data directory is new (ignored afterwards and in --dev-mode): a password, or auto to generate one and print it on stderr once (the default outside dev mode)")
	}
	if role != RoleDataNode {
		fs.StringVar(&c.AdminPassword, "admin-password", "", "password of the admin user, for the control plane's connections to data nodes (default: the internal cluster user, authenticated by PHOTONDB_CLUSTER_SECRET)")
	}
	fs.StringVar(&c.LogDir, "log-dir", "", "directory for log files (stderr only when empty)")
	fs.BoolVar(&c.DevMode, "dev-mode", false, "development mode: authentication relaxed, loudly")
	fs.BoolVar(&c.CORS, "cors", true, "allow cross-origin HTTP requests")
	fs.IntVar(&c.Timeout, "timeout", 30, "HTTP request timeout in seconds")
	fs.IntVar(&c.MaxBodyMB, "max-body-size", 10, "HTTP request body limit in MB")
	fs.StringVar(&c.LogFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.LogLevel, "log-level", "info", "lowest log level: debug, info, warn or error")
	fs.IntVar(&c.LogMaxSizeMB, "log-max-size", 100, "rotate the log file in --log-dir when it would grow past this many MB")
	fs.IntVar(&c.LogMaxBackups, "log-max-backups", 10, "rotated log files to keep (0: keep all)")
	fs.IntVar(&c.LogMaxAgeDays, "log-max-age", 30, "days to keep rotated log files (0: no age limit)")
	fs.BoolVar(&c.LogCompress, "log-compress", true, "gzip rotated log files")
	fs.DurationVar(&c.LogRotate, "log-rotate-interval", 24*time.Hour, "also rotate the log file on this period (0: by size only)")
	c.SlowQueryMS, c.CacheSizeMB, c.FeedRetention, c.JS = 1000, 256, 10000, true
	if node {
		fs.IntVar(&c.SlowQueryMS, "slow-query-ms", 1000, "log queries whose first response takes at least this many ms (0: off)")
		fs.IntVar(&c.CacheSizeMB, "cache-size", 256, "storage cache size in MB (documents read from disk are cached up to this budget)")
		fs.IntVar(&c.FeedRetention, "feed-retention", 10000, "recent changes each table keeps so that changefeeds can resume with changes({since})")
		fs.BoolVar(&c.JS, "js", true, "allow r.js (server-side JavaScript); --js=false or --no-js disables it")
		fs.Var(noFlag{&c.JS}, "no-js", "disable r.js (same as --js=false)")
		fs.Var(listFlag{&c.HTTPAllow}, "http-allow", "hosts r.http may reach, comma-separated (host, *.domain or host:port); r.http reaches every host in --dev-mode and none otherwise unless listed")
	}
	fs.Usage = func() {
		fmt.Fprintln(out, usageText[role]+"\nEvery flag can also be set as PHOTONDB_<FLAG> (e.g. PHOTONDB_PORT).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Serve{}, err
	}
	if fs.NArg() > 0 {
		return Serve{}, fmt.Errorf("%s: unexpected argument %q", role, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name, val := EnvName(f.Name), getenv(EnvName(f.Name))
		if val == "" && legacyEnv[f.Name] != "" {
			name, val = legacyEnv[f.Name], getenv(legacyEnv[f.Name])
		}
		if val == "" {
			return
		}
		if err := f.Value.Set(val); err != nil {
			errs = append(errs, fmt.Errorf("environment %s=%q: %w", name, val, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return Serve{}, err
	}
	if err := c.validate(); err != nil {
		return Serve{}, err
	}
	switch {
	case role == RoleControlPlane && c.Consul == "":
		return Serve{}, errors.New("--consul (or CONSUL_HTTP_ADDR) is required: the control plane keeps its catalog in Consul")
	case role == RoleDataNode && c.Consul == "" && c.ControlPlaneURL == "":
		return Serve{}, errors.New("--controlplane-url or --consul is required: a data node follows a control plane")
	}
	if c.Advertise == "" {
		c.Advertise = c.Bind
	}
	return c, nil
}

func (c Serve) validate() error {
	for name, p := range map[string]int{"port": c.Port, "driver-port": c.DriverPort, "cluster-port": c.ClusterPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("--%s %d: not a TCP port", name, p)
		}
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout %d: must be a positive number of seconds", c.Timeout)
	}
	if c.MaxBodyMB <= 0 {
		return fmt.Errorf("--max-body-size %d: must be a positive number of MB", c.MaxBodyMB)
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	if f := strings.ToLower(c.LogFormat); f != "json" && f != "text" {
		return fmt.Errorf("--log-format %q: want json or text", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.CacheSizeMB < 1 {
		return fmt.Errorf("--cache-size %d: must be at least 1 MB", c.CacheSizeMB)
	}
	if c.FeedRetention < 0 {
		return fmt.Errorf("--feed-retention %d: must not be negative", c.FeedRetention)
	}
	for name, v := range map[string]int{"log-max-size": c.LogMaxSizeMB, "log-max-backups": c.LogMaxBackups, "log-max-age": c.LogMaxAgeDays, "slow-query-ms": c.SlowQueryMS} {
		if v < 0 {
			return fmt.Errorf("--%s %d: must not be negative", name, v)
		}
	}
	if c.LogMaxSizeMB == 0 {
		return errors.New("--log-max-size must be at least 1 MB")
	}
	if c.LogRotate < 0 {
		return fmt.Errorf("--log-rotate-interval %v: must not be negative", c.LogRotate)
	}
	return nil
}

// Addr joins the bind address and a port.
func (c Serve) Addr(port int) string {
	return strings.TrimSuffix(c.Bind, ":") + ":" + strconv.Itoa(port)
}

// Getenv is os.Getenv, for callers of ParseServe.
var Getenv = os.Getenv
