// Package cli_test runs the photondb CLI (db, table, query, export,
// import, admin) as a real binary against a real `photondb serve`, or,
// with PHOTONDB_DEPLOYMENT=consul, against `photondb controlplane` and
// `photondb datanode` on a real Consul agent.
//
// The binary comes from $PHOTONDB_BIN, or TestMain builds ./cmd/photondb
// (tests/testbin). One server serves the whole package; every test works
// in databases of its own.
package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/photondb-io/photondb/shared/restclient"
	"github.com/photondb-io/photondb/tests/consulagent"
	"github.com/photondb-io/photondb/tests/testbin"
)

var (
	bin string
	srv *testbin.Server
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	path, cleanup, err := testbin.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	bin = path
	dir, err := testbin.TempDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// PHOTONDB_DEPLOYMENT=consul runs the same tests against photondb
	// controlplane + datanode on a real Consul agent (make unit does both).
	if os.Getenv("PHOTONDB_DEPLOYMENT") == "consul" {
		agent, err := consulagent.Launch()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer agent.Stop()
		srv, err = testbin.Cluster(bin, dir, agent.Addr, "cli-test/")
	} else {
		srv, err = testbin.Serve(bin, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "photondb serve: %v\n%s\n", err, srv.Out.Tail(8000))
		code = 1
	} else if code != 0 {
		fmt.Fprintf(os.Stderr, "photondb serve output (tail):\n%s\n", srv.Out.Tail(8000))
	}
	return code
}

// result is one run of the CLI.
type result struct {
	Code           int
	Stdout, Stderr string
	Elapsed        time.Duration
}

// photondb runs the CLI with PHOTONDB_API_URL pointing at the test server
// (env entries come after, so they may override it) and a time limit.
func photondb(t *testing.T, limit time.Duration, env []string, args ...string) result {
	t.Helper()
	return photondbStdin(t, limit, env, "", args...)
}

// photondbStdin is photondb with stdin.
func photondbStdin(t *testing.T, limit time.Duration, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "PHOTONDB_API_URL="+srv.URL(""), "PHOTONDB_TOKEN=", "TERM=dumb")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("photondb %s: no exit within %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), limit, res.Stdout, res.Stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("photondb %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// step is one CLI invocation and what it must do.
type step struct {
	name  string
	args  []string
	env   []string
	stdin string
	code  int
	// stdout and stderr are regular expressions the output must match
	// (empty: stderr must be empty, stdout anything).
	stdout []string
	stderr string
	// notStdout are regular expressions stdout must not match.
	notStdout []string
	// json, when set, is a value stdout (JSON) must contain: objects may
	// have more fields, arrays must contain matching elements in order.
	json any
}

// runSteps runs steps in order; a failed step fails the test but the
// following steps still run.
func runSteps(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := photondbStdin(t, 30*time.Second, s.env, s.stdin, s.args...)
			check(t, s, r)
		})
	}
}

func check(t *testing.T, s step, r result) {
	t.Helper()
	cmdline := "photondb " + strings.Join(s.args, " ")
	if r.Code != s.code {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", cmdline, r.Code, s.code, r.Stdout, r.Stderr)
		return
	}
	if s.stderr == "" && r.Stderr != "" {
		t.Errorf("%s: unexpected stderr %q", cmdline, r.Stderr)
	}
	if s.stderr != "" && !regexp.MustCompile(s.stderr).MatchString(r.Stderr) {
		t.Errorf("%s: stderr %q does not match %q", cmdline, r.Stderr, s.stderr)
	}
	if r.Code != 0 && strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("%s: failed with %d lines on stderr, want one: %q", cmdline, strings.Count(r.Stderr, "\n"), r.Stderr)
	}
	for _, re := range s.stdout {
		if !regexp.MustCompile(re).MatchString(r.Stdout) {
			t.Errorf("%s: stdout does not match %q:\n%s", cmdline, re, r.Stdout)
		}
	}
	for _, re := range s.notStdout {
		if regexp.MustCompile(re).MatchString(r.Stdout) {
			t.Errorf("%s: stdout matches %q:\n%s", cmdline, re, r.Stdout)
		}
	}
	if s.json != nil {
		var got any
		if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
			t.Errorf("%s: stdout is not JSON: %v\n%s", cmdline, err, r.Stdout)
			return
		}
		want := normalize(t, s.json)
		if !contains(got, want) {
			t.Errorf("%s: JSON output does not contain the expected value\n got: %s\nwant: %s", cmdline, r.Stdout, mustJSON(want))
		}
	}
}

// exact is a regular expression matching s exactly.
func exact(s string) string { return "^" + regexp.QuoteMeta(s) + "$" }

// problem is the stderr of a failed command: one line.
func problem(msg string) string { return exact("photondb: " + msg + "\n") }

// normalize turns a Go value into what JSON decoding would give.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// contains reports whether got contains want: every field of a wanted
// object, every wanted array element (in order, others may be between).
func contains(got, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !contains(gv, wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok {
			return false
		}
		i := 0
		for _, wv := range w {
			for i < len(g) && !contains(g[i], wv) {
				i++
			}
			if i == len(g) {
				return false
			}
			i++
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

// client is a REST client of the test server, for setup and checks.
func client() *restclient.Client {
	return restclient.New(srv.URL(""), "", &http.Client{Timeout: 30 * time.Second})
}

// testCtx is a context bounded for setup calls.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createDB creates a database for a test (dropped, with its tables, at
// cleanup).
func createDB(t *testing.T, name string) {
	t.Helper()
	c := client()
	if _, err := c.CreateDatabase(testCtx(t), name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.DropDatabase(ctx, name, restclient.DropOptions{Force: true}); err != nil && !restclient.IsNotFound(err) {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
}
