package main

// The photondb CLI: clients of the control plane's REST API (db, table,
// query, export, import, admin). runCLI is the one entry point main's
// switch calls; every command parses its flags with the standard flag
// package (flags may come before and after positional arguments), talks to
// the API through shared/restclient, prints aligned tables (default) or
// JSON (--output json), and on failure prints one line,
// "photondb: <message>", and exits non-zero (1: the operation failed,
// 2: bad usage).

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/photondb-io/photondb/shared/restclient"
	"github.com/photondb-io/photondb/shared/version"
)

// cliUsage lists the REST client commands (appended to main's usage).
const cliUsage = `  photondb db create NAME                  create a database
  photondb db drop NAME [--force]          drop a database (--force: even if it has tables)
  photondb db list                         list databases
  photondb db info NAME                    show a database
  photondb table create --db D NAME [--primary-key K] [--shards N] [--replicas N]
                                           create a table
  photondb table drop --db D NAME [--force]
                                           drop a table (--force: even if it has documents)
  photondb table list --db D               list a database's tables
  photondb table info --db D NAME          show a table (NAME may be D.NAME)
  photondb query [--db D] "<ReQL text>"    run a query, e.g. "r.table('users').count()"
  photondb export --db D [--table T] [--format json|csv] [--out PATH]
                                           export a database or one table to files
  photondb import --db D --table T --file F [--format json|csv] [--primary-key K]
                  [--conflict error|replace|update] [--create]
                                           import a JSON array, JSON lines or CSV file
  photondb import --dir DIR [--db D]       import a whole exported database
  photondb admin compact                   compact the storage
  photondb admin stats                     show server counters

  Client flags (any position after the command): --api-url URL (default
  http://127.0.0.1:8080, or $PHOTONDB_API_URL), --output table|json,
  --timeout 1m; the token in $PHOTONDB_TOKEN is sent as a bearer token.
`

// exitFailure and exitUsage are the CLI's exit codes.
const (
	exitFailure = 1
	exitUsage   = 2
)

// runCLI runs a REST client command; handled is false for commands it does
// not know (main's switch handles those).
func runCLI(cmd string, args []string, stdout, stderr io.Writer) (code int, handled bool) {
	groups := map[string]map[string]cliCommand{
		"db":    dbCommands,
		"table": tableCommands,
		"admin": adminCommands,
	}
	singles := map[string]cliCommand{
		"query":  queryCommand,
		"export": exportCommand,
		"import": importCommand,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &cli{ctx: ctx, stdout: stdout, stderr: stderr}
	if sub, ok := groups[cmd]; ok {
		return c.runGroup(cmd, sub, args), true
	}
	if command, ok := singles[cmd]; ok {
		return c.runCommand(cmd, command, args), true
	}
	return 0, false
}

// cliCommand is one command: its usage line and what it does.
type cliCommand struct {
	usage string // after "photondb <group> " (for query, export, import: after "photondb ")
	help  string
	run   func(c *cli, args []string) error
}

// cli is the state one command invocation shares.
type cli struct {
	ctx            context.Context
	stdout, stderr io.Writer
	name           string // "db create"
	usage          string // the command's usage line
	help           string // what the command does

	apiURL  string
	output  string
	timeout time.Duration
	client  *restclient.Client
}

// usageError is a mistake in the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// errHelp ends a command after it printed its help (exit 0).
var errHelp = errors.New("help shown")

func (c *cli) runGroup(group string, sub map[string]cliCommand, args []string) int {
	names := make([]string, 0, len(sub))
	for n := range sub {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		w := c.stdout
		code := 0
		if len(args) == 0 {
			w, code = c.stderr, exitUsage
		}
		fmt.Fprintf(w, "Usage:\n")
		for _, n := range names {
			fmt.Fprintf(w, "  photondb %s %s\n", group, sub[n].usage)
		}
		return code
	}
	command, ok := sub[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "photondb: unknown command %q (want %s %s)\n", group+" "+args[0], group, strings.Join(names, "|"))
		return exitUsage
	}
	return c.runCommand(group+" "+args[0], command, args[1:])
}

func (c *cli) runCommand(name string, command cliCommand, args []string) int {
	c.name, c.help = name, command.help
	if group, _, ok := strings.Cut(name, " "); ok {
		c.usage = "photondb " + group + " " + command.usage
	} else {
		c.usage = "photondb " + command.usage
	}
	err := command.run(c, args)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "photondb %s: %s (usage: %s)\n", name, ue.msg, c.usage)
		return exitUsage
	default:
		fmt.Fprintf(c.stderr, "photondb: %s\n", oneLine(c.errorMessage(err)))
		return exitFailure
	}
}

// errorMessage is what the user sees for err: an API problem's message
// alone (it already names the resource), a friendlier sentence when the
// API cannot be reached, or the error's text.
func (c *cli) errorMessage(err error) string {
	var apiErr *restclient.Error
	if errors.As(err, &apiErr) {
		return apiErr.Error()
	}
	var te *restclient.TransportError
	if errors.As(err, &te) {
		base := c.apiURL
		if c.client != nil {
			base = c.client.BaseURL()
		}
		if errors.Is(te.Err, context.Canceled) {
			return "interrupted"
		}
		var ne net.Error
		if errors.Is(te.Err, context.DeadlineExceeded) || (errors.As(te.Err, &ne) && ne.Timeout()) {
			return fmt.Sprintf("the PhotonDB API at %s did not answer %s %s within %s (--timeout)", base, te.Method, strings.TrimPrefix(te.URL, base), c.timeout)
		}
		return fmt.Sprintf("cannot reach the PhotonDB API at %s: %v (is the server running? set --api-url or PHOTONDB_API_URL)", base, te.Err)
	}
	return err.Error()
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// flags returns a flag set with the client flags every command takes.
func (c *cli) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("photondb "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	apiURL := os.Getenv("PHOTONDB_API_URL")
	if apiURL == "" {
		apiURL = restclient.DefaultBaseURL
	}
	fs.StringVar(&c.apiURL, "api-url", apiURL, "base URL of the PhotonDB REST API (env PHOTONDB_API_URL)")
	fs.StringVar(&c.output, "output", "table", "output format: table (for people) or json (for scripts)")
	fs.DurationVar(&c.timeout, "timeout", time.Minute, "time allowed for each API request")
	fs.Usage = func() {} // parse errors are reported in one line; -h prints help
	return fs
}

// parse parses flags anywhere among the arguments and returns the
// positional ones; it checks their count is within [minArgs, maxArgs]
// (maxArgs < 0: no limit) and sets up the API client.
func (c *cli) parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(c.stdout, "Usage: %s\n\n%s\n\nFlags:\n", c.usage, c.help)
				fs.SetOutput(c.stdout)
				fs.PrintDefaults()
				return nil, errHelp
			}
			return nil, usagef("%s", err.Error())
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is positional
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < minArgs:
		return nil, usagef("missing arguments")
	case maxArgs >= 0 && len(pos) > maxArgs:
		return nil, usagef("unexpected argument %q", pos[maxArgs])
	}
	switch c.output {
	case "table", "human", "text":
		c.output = "table"
	case "json":
	default:
		return nil, usagef("--output must be table or json, not %q", c.output)
	}
	raw := c.apiURL
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw // host:port
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--api-url %q is not an http(s) URL", c.apiURL)
	}
	hc := &http.Client{Timeout: c.timeout}
	c.client = restclient.New(c.apiURL, os.Getenv("PHOTONDB_TOKEN"), hc)
	c.client.UserAgent = "photondb-cli/" + version.Version
	return pos, nil
}

// json reports whether the output is for scripts.
func (c *cli) json() bool { return c.output == "json" }

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printTable writes rows under a header, columns aligned.
func (c *cli) printTable(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printFields writes "key:  value" lines, values aligned.
func (c *cli) printFields(kv [][2]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, f := range kv {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printf writes human output.
func (c *cli) printf(format string, a ...any) {
	fmt.Fprintf(c.stdout, format, a...)
}

// timeString formats a creation time ("" when unknown).
func timeString(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// countString formats an optional count.
func countString(n *int64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

// dbTable resolves a table named NAME with --db D, or D.NAME.
func dbTable(db, name string) (string, string, error) {
	if db == "" {
		if d, t, ok := strings.Cut(name, "."); ok && d != "" && t != "" {
			return d, t, nil
		}
		return "", "", usagef("--db is required (or name the table as DB.TABLE)")
	}
	return db, name, nil
}
