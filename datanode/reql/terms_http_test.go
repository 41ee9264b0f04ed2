package reql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func newHTTPTestServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var flaky atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"a":[1,2],"q":"`+r.URL.RawQuery+`"}`)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "héllo")
	})
	mux.HandleFunc("/jsonp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, `cb({"x":1});`)
	})
	mux.HandleFunc("/bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write([]byte{0, 1, 2})
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "body": string(b), "ct": r.Header.Get("Content-Type"), "x": r.Header.Get("X-Test")})
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(404)
		fmt.Fprint(w, "nope")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/text", http.StatusFound)
	})
	mux.HandleFunc("/redirect2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect", http.StatusFound)
	})
	mux.HandleFunc("/basic", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "u" || p != "p" {
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/digest", func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		if !strings.HasPrefix(a, "Digest ") || !strings.Contains(a, `username="u"`) || !strings.Contains(a, `nonce="n1"`) || !strings.Contains(a, `response="`) {
			w.Header().Set("WWW-Authenticate", `Digest realm="r", nonce="n1", qop="auth"`)
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, "digest ok")
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1)%3 != 0 {
			w.WriteHeader(503)
			return
		}
		fmt.Fprint(w, "finally")
	})
	mux.HandleFunc("/pages", func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("page")
		if p == "" {
			p = "1"
		}
		if p != "3" {
			next := map[string]string{"1": "2", "2": "3"}[p]
			w.Header().Set("Link", `<http://`+r.Host+`/pages?page=`+next+`>; rel="next"`)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[%s0, %s1]`, p, p)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &flaky
}

func runHTTPTerm(t *testing.T, opts ExtOptions, term string) (any, error) {
	t.Helper()
	q, err := Compile([]byte(term), nil)
	if err != nil {
		return nil, err
	}
	env := &Env{ServerName: "test"}
	env.SetExtOptions(opts)
	res, err := q.Run(context.Background(), env)
	if err != nil {
		return nil, err
	}
	if res.Stream == nil {
		return res.Datum, nil
	}
	defer res.Stream.Close()
	out := []any{}
	for {
		v, ok, err := res.Stream.Next(context.Background())
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, v)
	}
}

func TestHTTP(t *testing.T) {
	srv, _ := newHTTPTestServer(t)
	u := func(path string) string { return `"` + srv.URL + path + `"` }
	allow := ExtOptions{HTTPAllow: []string{"127.0.0.1"}}
	cases := []struct {
		name, term, want string
		errType          ErrorType
		errMsg           string
		opts             *ExtOptions
	}{
		{name: "json auto", term: `[153,[` + u("/json") + `]]`, want: `{"a":[1,2],"q":""}`},
		{name: "params", term: `[153,[` + u("/json") + `],{"params":{"a":1,"b":"x y","c":null}}]`, want: `{"a":[1,2],"q":"a=1&b=x+y&c="}`},
		{name: "text auto", term: `[153,[` + u("/text") + `]]`, want: `"héllo"`},
		{name: "json as text", term: `[153,[` + u("/json") + `],{"result_format":"text"}]`, want: `"{\"a\":[1,2],\"q\":\"\"}"`},
		{name: "jsonp", term: `[153,[` + u("/jsonp") + `]]`, want: `{"x":1}`},
		{name: "binary auto", term: `[153,[` + u("/bin") + `]]`, want: `{"$reql_type$":"BINARY","data":"AAEC"}`},
		{name: "text as binary", term: `[153,[` + u("/text") + `],{"result_format":"binary"}]`, want: `{"$reql_type$":"BINARY","data":"aMOpbGxv"}`},
		{name: "text as json fails", term: `[153,[` + u("/text") + `],{"result_format":"json"}]`, errType: ErrNonExistence, errMsg: "__prefix__Error in HTTP GET of `" + srv.URL + "/text`: failed to parse JSON response.\nheader:\n"},
		{name: "post form", term: `[153,[` + u("/echo") + `],{"method":"POST","data":{"a":1,"b":"x"}}]`, want: `{"method":"POST","body":"a=1&b=x","ct":"application/x-www-form-urlencoded","x":""}`},
		{name: "post string", term: `[153,[` + u("/echo") + `],{"method":"POST","data":"raw"}]`, want: `{"method":"POST","body":"raw","ct":"","x":""}`},
		{name: "put json", term: `[153,[` + u("/echo") + `],{"method":"PUT","data":{"a":[2,[1]]}}]`, want: `{"method":"PUT","body":"{\"a\":[1]}","ct":"application/json","x":""}`},
		{name: "patch header overrides", term: `[153,[` + u("/echo") + `],{"method":"PATCH","data":1,"header":{"Content-Type":"text/x","X-Test":"t"}}]`, want: `{"method":"PATCH","body":"1","ct":"text/x","x":"t"}`},
		{name: "delete", term: `[153,[` + u("/echo") + `],{"method":"DELETE","header":[2,["X-Test: arr"]]}]`, want: `{"method":"DELETE","body":"","ct":"","x":"arr"}`},
		{name: "head", term: `[153,[` + u("/text") + `],{"method":"HEAD"}]`, want: `null`},
		{name: "404", term: `[153,[` + u("/missing") + `]]`, errType: ErrNonExistence, errMsg: "__prefix__Error in HTTP GET of `" + srv.URL + "/missing`: status code 404.\nheader:\n"},
		{name: "404 default", term: `[92,[[153,[` + u("/missing") + `]],"dflt"]]`, want: `"dflt"`},
		{name: "redirect", term: `[153,[` + u("/redirect") + `]]`, want: `"héllo"`},
		{name: "too many redirects", term: `[153,[` + u("/redirect2") + `]]`, errType: ErrNonExistence, errMsg: "Error in HTTP GET of `" + srv.URL + "/redirect2`: Number of redirects hit maximum amount (1)."},
		{name: "redirects 2", term: `[153,[` + u("/redirect2") + `],{"redirects":2}]`, want: `"héllo"`},
		{name: "basic auth", term: `[153,[` + u("/basic") + `],{"auth":{"user":"u","pass":"p"}}]`, want: `"ok"`},
		{name: "basic auth wrong", term: `[153,[` + u("/basic") + `],{"auth":{"user":"u","pass":"x"}}]`, errType: ErrNonExistence, errMsg: "__prefix__Error in HTTP GET of `" + srv.URL + "/basic`: status code 401."},
		{name: "digest auth", term: `[153,[` + u("/digest") + `],{"auth":{"type":"digest","user":"u","pass":"p"}}]`, want: `"digest ok"`},
		{name: "attempts", term: `[153,[` + u("/flaky") + `],{"attempts":3}]`, want: `"finally"`},
		{name: "link-next pagination", term: `[153,[` + u("/pages") + `],{"page":"link-next","page_limit":-1}]`, want: `[10,11,20,21,30,31]`},
		{name: "page limit", term: `[153,[` + u("/pages") + `],{"page":"link-next","page_limit":2}]`, want: `[10,11,20,21]`},
		{name: "page function", term: `[153,[` + u("/pages") + `],{"page":` + fn1(`[65,[[17,[[31,[[31,[`+x1+`,"params"]],"page"]],3]],null,{"params":{"page":[24,[[31,[[31,[`+x1+`,"params"]],"page"]],1]]}}]]`) + `,"page_limit":5,"params":{"page":1}}]`, want: `[10,11,20,21,30,31]`},
		{name: "lazy pagination", term: `[71,[[153,[` + u("/pages") + `],{"page":"link-next","page_limit":-1}],1]]`, want: `[10]`},
		{name: "page without limit", term: `[153,[` + u("/pages") + `],{"page":"link-next"}]`, errType: ErrQueryLogic, errMsg: "Cannot use `page` without specifying `page_limit` (a positive number performs that many requests, -1 is unlimited)."},
		{name: "bad page method", term: `[153,[` + u("/pages") + `],{"page":"x","page_limit":1}]`, errType: ErrQueryLogic, errMsg: "`page` method 'x' not recognized, only 'link-next' is available."},
		{name: "bad page_limit", term: `[153,[` + u("/pages") + `],{"page":"link-next","page_limit":-2}]`, errType: ErrQueryLogic, errMsg: "`page_limit` should be greater than or equal to -1."},
		{name: "bad page result", term: `[153,[` + u("/pages") + `],{"page":` + fn1(`1`) + `,"page_limit":3}]`, errType: ErrQueryLogic, errMsg: "Expected `page` to return an OBJECT, but found NUMBER."},
		{name: "bad method", term: `[153,[` + u("/json") + `],{"method":"GETS"}]`, errType: ErrQueryLogic, errMsg: "`method` (GETS) is not recognized (GET, HEAD, POST, PUT, PATCH and DELETE are allowed)."},
		{name: "data on GET", term: `[153,[` + u("/json") + `],{"data":"x"}]`, errType: ErrQueryLogic, errMsg: "`data` should only be specified on a PUT, POST, PATCH, or DELETE request.  If you want URL parameters, use `params` instead."},
		{name: "post data array", term: `[153,[` + u("/echo") + `],{"method":"POST","data":[2,[1]]}]`, errType: ErrQueryLogic, errMsg: "Expected `data` to be a STRING or OBJECT, but found ARRAY."},
		{name: "bad result_format", term: `[153,[` + u("/json") + `],{"result_format":"xml"}]`, errType: ErrQueryLogic, errMsg: "`result_format` (xml) is not recognized, ('auto', 'json', 'jsonp', 'text', and 'binary' are allowed)."},
		{name: "bad params", term: `[153,[` + u("/json") + `],{"params":{"a":[2,[1]]}}]`, errType: ErrQueryLogic, errMsg: "Expected `params.a` to be a NUMBER, STRING or NULL, but found ARRAY:\n[\n\t1\n]"},
		{name: "bad header", term: `[153,[` + u("/json") + `],{"header":{"a":1}}]`, errType: ErrQueryLogic, errMsg: "Expected `header.a` to be a STRING or NULL, but found NUMBER."},
		{name: "header newline", term: `[153,[` + u("/json") + `],{"header":[2,["a: b\nc"]]}]`, errType: ErrQueryLogic, errMsg: "A `header` item contains newline characters."},
		{name: "negative timeout", term: `[153,[` + u("/json") + `],{"timeout":-1}]`, errType: ErrQueryLogic, errMsg: "`timeout` may not be negative."},
		{name: "bad auth", term: `[153,[` + u("/json") + `],{"auth":{"user":"u"}}]`, errType: ErrQueryLogic, errMsg: "`auth.pass` not found in the auth object."},
		{name: "bad auth type", term: `[153,[` + u("/json") + `],{"auth":{"type":"x","user":"u","pass":"p"}}]`, errType: ErrQueryLogic, errMsg: "`auth.type` is not recognized ('basic', and 'digest' are allowed)."},
		{name: "bad verify", term: `[153,[` + u("/json") + `],{"verify":"no"}]`, errType: ErrQueryLogic, errMsg: "Expected `verify` to be a BOOL, but found STRING."},
		{name: "bad url", term: `[153,["ftp://x"]]`, errType: ErrNonExistence, errMsg: "Error in HTTP GET of `ftp://x`: URL using bad/illegal format or missing URL."},
		{name: "url not string", term: `[153,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "arity", term: `[153,[]]`, errMsg: "Expected 1 argument but found 0."},
		{name: "unknown optarg", term: `[153,["x"],{"foo":1}]`, errMsg: "Unrecognized optional argument `foo`."},
		{name: "not allowlisted", term: `[153,[` + u("/json") + `]]`, opts: &ExtOptions{HTTPAllow: []string{"example.com"}}, errType: ErrPermission, errMsg: "r.http may not reach `" + strings.TrimPrefix(srv.URL, "http://") + "` on this server (allowed hosts are set with photondb serve --http-allow; all hosts in --dev-mode)."},
		{name: "off by default", term: `[153,[` + u("/json") + `]]`, opts: &ExtOptions{}, errType: ErrPermission, errMsg: "r.http may not reach `" + strings.TrimPrefix(srv.URL, "http://") + "` on this server (allowed hosts are set with photondb serve --http-allow; all hosts in --dev-mode)."},
		{name: "dev mode allows all", term: `[153,[` + u("/text") + `]]`, opts: &ExtOptions{HTTPAllowAll: true}, want: `"héllo"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := allow
			if tc.opts != nil {
				o = *tc.opts
			}
			got, err := runHTTPTerm(t, o, tc.term)
			if tc.errMsg != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("want error %q, got %v (%v)", tc.errMsg, got, err)
				}
				ok := e.Msg == tc.errMsg
				if p, isPrefix := strings.CutPrefix(tc.errMsg, "__prefix__"); isPrefix {
					ok = strings.HasPrefix(e.Msg, p)
				}
				if !ok || (tc.errType != 0 && e.Type != tc.errType) {
					t.Fatalf("error %d %q, want %d %q", e.Type, e.Msg, tc.errType, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantJSON(t, got, tc.want)
		})
	}
}

func TestHTTPAllowList(t *testing.T) {
	for _, tc := range []struct {
		allow      []string
		host, port string
		want       bool
	}{
		{[]string{"api.example.com"}, "api.example.com", "443", true},
		{[]string{"api.example.com"}, "x.example.com", "443", false},
		{[]string{"*.example.com"}, "x.example.com", "80", true},
		{[]string{"*.example.com"}, "example.org", "80", false},
		{[]string{"127.0.0.1:8080"}, "127.0.0.1", "8080", true},
		{[]string{"127.0.0.1:8080"}, "127.0.0.1", "8081", false},
		{[]string{"API.Example.com"}, "api.example.com", "80", true},
		{nil, "127.0.0.1", "80", false},
	} {
		if got := (ExtOptions{HTTPAllow: tc.allow}).httpAllowed(tc.host, tc.port); got != tc.want {
			t.Errorf("%v %s:%s = %v, want %v", tc.allow, tc.host, tc.port, got, tc.want)
		}
	}
}
