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
	var c Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Bind, "bind", "127.0.0.1", "address to listen on (all ports)")
	fs.IntVar(&c.Port, "port", 8080, "HTTP port (REST API, health)")
	fs.IntVar(&c.DriverPort, "driver-port", 28015, "RethinkDB driver port")
	fs.IntVar(&c.ClusterPort, "cluster-port", 29015, "cluster port (raft, node-to-node RPC)")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory for data")
	fs.StringVar(&c.LogDir, "log-dir", "", "directory for log files (stderr only when empty)")
	fs.BoolVar(&c.DevMode, "dev-mode", false, "development mode: authentication relaxed, loudly")
	fs.BoolVar(&c.CORS, "cors", true, "allow cross-origin HTTP requests")
	fs.IntVar(&c.Timeout, "timeout", 30, "HTTP request timeout in seconds")
	fs.IntVar(&c.MaxBodyMB, "max-body-size", 10, "HTTP request body limit in MB")
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: photondb serve [flags]\n\nRuns the control plane and one data node in one process.\nEvery flag can also be set as PHOTONDB_<FLAG> (e.g. PHOTONDB_DRIVER_PORT).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Serve{}, err
	}
	if fs.NArg() > 0 {
		return Serve{}, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
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
	return c, c.validate()
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
	return nil
}

// Addr joins the bind address and a port.
func (c Serve) Addr(port int) string {
	return strings.TrimSuffix(c.Bind, ":") + ":" + strconv.Itoa(port)
}

// Getenv is os.Getenv, for callers of ParseServe.
var Getenv = os.Getenv
