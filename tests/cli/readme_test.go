package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shellWords splits a command line as sh would for the quoting the README
// uses: single quotes, double quotes with \" escapes, and backslash-newline
// continuations (joined before).
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unclosed ' in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				t.Fatalf("unclosed \" in %q", line)
			}
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// readmeBlocks returns the sh code blocks of the README's "Manage it"
// section, as command lines (comments dropped, continuations joined).
func readmeCommands(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "## Manage it")
	if start < 0 {
		t.Fatal(`README has no "## Manage it" section`)
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var cmds []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		block := strings.ReplaceAll(m[1], "\\\n", " ")
		for _, line := range strings.Split(block, "\n") {
			if i := strings.Index(line, "  #"); i >= 0 {
				line = line[:i]
			}
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// The README's "Manage it" commands work as written: the CLI lines run the
// real binary, the curl lines are sent as curl would send them.
func TestReadmeManageIt(t *testing.T) {
	cmds := readmeCommands(t)
	dir := t.TempDir()
	// The README's curl lines leave a database behind; the server is shared.
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, srv.URL("/api/v1/databases/shop?force=true"), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	ran := map[string]int{}
	for _, line := range cmds {
		words := shellWords(t, line)
		switch words[0] {
		case "bin/photondb":
			ran["cli"]++
			r := photondbIn(t, dir, 30*time.Second, words[1:]...)
			if r.Code != 0 {
				t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", line, r.Code, r.Stdout, r.Stderr)
			}
		case "curl":
			ran["curl"]++
			curl(t, line, words[1:])
		case "photondb":
			ran["cluster"]++ // the cluster example needs Consul; tests/rest runs that deployment
		default:
			t.Fatalf("README command %q is neither the CLI nor curl", line)
		}
	}
	if ran["cli"] < 5 || ran["curl"] < 3 {
		t.Fatalf("README commands found: %v", ran)
	}
}

func curl(t *testing.T, line string, args []string) {
	t.Helper()
	method, url, body := "GET", "", ""
	header := http.Header{}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-d":
			i++
			body = args[i]
			if method == "GET" {
				method = "POST"
			}
		default:
			url = args[i]
		}
	}
	url = strings.Replace(url, "localhost:8080", strings.TrimPrefix(srv.URL(""), "http://"), 1)
	if !strings.HasPrefix(url, "http") {
		url = "http://" + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s: %s", line, resp.Status)
	}
}

// photondbIn runs the CLI in dir against the test server.
func photondbIn(t *testing.T, dir string, limit time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PHOTONDB_API_URL="+srv.URL(""), "PHOTONDB_TOKEN=", "TERM=dumb")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("photondb %s: %v", strings.Join(args, " "), err)
	}
	return res
}
