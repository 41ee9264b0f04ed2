package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains string
		stream   string
	}{
		{[]string{"version"}, 0, runtime.Version(), "stdout"},
		{[]string{"help"}, 0, "photondb serve", "stdout"},
		{nil, 2, "Usage:", "stderr"},
		{[]string{"nope"}, 2, `unknown command "nope"`, "stderr"},
		{[]string{"serve", "--help"}, 0, "PHOTONDB_<FLAG>", "stderr"},
		{[]string{"serve", "--port", "x"}, 2, "invalid value", "stderr"},
		{[]string{"serve", "--log-format", "xml"}, 2, "--log-format", "stderr"},
		{[]string{"status", "--help"}, 0, "/health and /_metrics", "stderr"},
		{[]string{"status", "--nope"}, 2, "flag provided but not defined", "stderr"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			got := out.String()
			if tt.stream == "stderr" {
				got = errOut.String()
			}
			if !strings.Contains(got, tt.contains) {
				t.Fatalf("%s %q does not contain %q", tt.stream, got, tt.contains)
			}
		})
	}
}
