package config

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseServe(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(Serve) bool
	}{
		{"defaults", nil, nil, func(c Serve) bool {
			return c.Bind == "127.0.0.1" && c.Port == 8080 && c.DriverPort == 28015 && c.ClusterPort == 29015 &&
				c.DataDir == "./data" && c.CORS && c.Timeout == 30 && c.MaxBodyMB == 10 && !c.DevMode
		}},
		{"flags", []string{"--driver-port", "1234", "--dev-mode", "--cors=false"}, nil, func(c Serve) bool {
			return c.DriverPort == 1234 && c.DevMode && !c.CORS
		}},
		{"photondb env", nil, map[string]string{"PHOTONDB_DRIVER_PORT": "999", "PHOTONDB_MAX_BODY_SIZE": "3"}, func(c Serve) bool {
			return c.DriverPort == 999 && c.MaxBodyMB == 3
		}},
		{"legacy env", nil, map[string]string{"RETHINKDB_BIND": "0.0.0.0", "RETHINKDB_PORT": "81", "RETHINKDB_LOG_DIR": "/l", "DEV_MODE": "true"}, func(c Serve) bool {
			return c.Bind == "0.0.0.0" && c.Port == 81 && c.LogDir == "/l" && c.DevMode
		}},
		{"photondb env beats legacy", nil, map[string]string{"RETHINKDB_PORT": "81", "PHOTONDB_PORT": "82"}, func(c Serve) bool {
			return c.Port == 82
		}},
		{"flag beats env", []string{"--port", "83"}, map[string]string{"PHOTONDB_PORT": "82"}, func(c Serve) bool {
			return c.Port == 83
		}},
		{"observability defaults", nil, nil, func(c Serve) bool {
			return c.LogFormat == "json" && c.LogLevel == "info" && c.LogMaxSizeMB == 100 && c.LogMaxBackups == 10 &&
				c.LogMaxAgeDays == 30 && c.LogCompress && c.LogRotate == 24*time.Hour && c.SlowQueryMS == 1000
		}},
		{"observability flags and env", []string{"--log-format", "text", "--slow-query-ms", "0"},
			map[string]string{"PHOTONDB_LOG_ROTATE_INTERVAL": "1h", "PHOTONDB_LOG_COMPRESS": "false"}, func(c Serve) bool {
				return c.LogFormat == "text" && c.SlowQueryMS == 0 && c.LogRotate == time.Hour && !c.LogCompress
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseServe(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestParseServeErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"bad env number", nil, map[string]string{"PHOTONDB_PORT": "eighty"}},
		{"bad port", []string{"--port", "70000"}, nil},
		{"zero timeout", []string{"--timeout", "0"}, nil},
		{"unknown flag", []string{"--nope"}, nil},
		{"extra arg", []string{"x"}, nil},
		{"bad log format", []string{"--log-format", "xml"}, nil},
		{"bad log level", []string{"--log-level", "loud"}, nil},
		{"negative slow query", []string{"--slow-query-ms", "-1"}, nil},
		{"zero log size", []string{"--log-max-size", "0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseServe(tt.args, func(k string) string { return tt.env[k] }, io.Discard); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

func TestParseServeJSAndHTTPAllow(t *testing.T) {
	none := func(string) string { return "" }
	for _, tc := range []struct {
		args    []string
		env     map[string]string
		js      bool
		allowed []string
	}{
		{args: nil, js: true},
		{args: []string{"--no-js"}, js: false},
		{args: []string{"--js=false"}, js: false},
		{args: []string{"--http-allow", "api.example.com, *.example.org", "--http-allow=127.0.0.1:8080"}, js: true, allowed: []string{"api.example.com", "*.example.org", "127.0.0.1:8080"}},
		{env: map[string]string{"PHOTONDB_HTTP_ALLOW": "a.com,b.com", "PHOTONDB_JS": "false"}, js: false, allowed: []string{"a.com", "b.com"}},
	} {
		getenv := none
		if tc.env != nil {
			getenv = func(k string) string { return tc.env[k] }
		}
		c, err := ParseServe(tc.args, getenv, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if c.JS != tc.js || strings.Join(c.HTTPAllow, "|") != strings.Join(tc.allowed, "|") {
			t.Errorf("%v %v: js %v allow %q, want %v %q", tc.args, tc.env, c.JS, c.HTTPAllow, tc.js, tc.allowed)
		}
	}
}

// --initial-password is for the roles that run a data node, --admin-password
// for those that run a control plane; both also come from PHOTONDB_*.
func TestParsePasswords(t *testing.T) {
	tests := []struct {
		name          string
		role          Role
		args          []string
		env           map[string]string
		initial, user string
		wantErr       bool
	}{
		{"serve defaults", RoleServe, nil, nil, "", "", false},
		{"serve flags", RoleServe, []string{"--initial-password", "auto", "--admin-password", "pw"}, nil, "auto", "pw", false},
		{"serve env", RoleServe, nil, map[string]string{"PHOTONDB_INITIAL_PASSWORD": "s3cret", "PHOTONDB_ADMIN_PASSWORD": "s3cret"}, "s3cret", "s3cret", false},
		{"datanode initial", RoleDataNode, []string{"--controlplane-url", "http://x", "--initial-password", "p"}, nil, "p", "", false},
		{"datanode has no admin-password", RoleDataNode, []string{"--controlplane-url", "http://x", "--admin-password", "p"}, nil, "", "", true},
		{"controlplane admin password from env", RoleControlPlane, []string{"--consul", "c:8500"}, map[string]string{"PHOTONDB_ADMIN_PASSWORD": "p"}, "", "p", false},
		{"controlplane has no initial-password", RoleControlPlane, []string{"--consul", "c:8500", "--initial-password", "p"}, nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.role, tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr {
				if err == nil {
					t.Fatal("expected an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.InitialPassword != tt.initial || c.AdminPassword != tt.user {
				t.Fatalf("initial %q admin %q, want %q and %q", c.InitialPassword, c.AdminPassword, tt.initial, tt.user)
			}
		})
	}
}

func TestSecurityFlags(t *testing.T) {
	tests := []struct {
		args   []string
		exempt []string
		limit  int
	}{
		{nil, []string{"127.0.0.0/8", "::1/128"}, 100},
		{[]string{"--rate-limit-exempt", "10.0.0.0/8", "--rate-limit-exempt", "10.1.2.3"}, []string{"10.0.0.0/8", "10.1.2.3"}, 100},
		{[]string{"--rate-limit-exempt", "", "--rate-limit", "5"}, nil, 5},
	}
	for _, tt := range tests {
		c, err := ParseServe(tt.args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if !reflect.DeepEqual(c.Security.RateLimitExempt, tt.exempt) || c.Security.RateLimit != tt.limit {
			t.Errorf("%v: exempt %q limit %d, want %q %d", tt.args, c.Security.RateLimitExempt, c.Security.RateLimit, tt.exempt, tt.limit)
		}
	}
}
