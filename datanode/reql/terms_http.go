package reql

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTP (r.http), as RethinkDB's src/rdb_protocol/terms/http.cc and
// src/extproc/http_job.cc, on net/http instead of libcurl worker processes.
// Transport errors therefore read as Go's, not curl's. Which hosts a query
// may reach is the server's choice (ExtOptions: all in dev mode, otherwise
// only the --http-allow list), checked on every request, redirect and page.

const (
	httpMaxTimeout   = 30 * 24 * time.Hour // RethinkDB's MAX_TIMEOUT_MS
	httpMaxBodyBytes = 64 << 20
)

func init() {
	register(TermHttp, spec{minArgs: 1, maxArgs: 1, optargs: []string{
		"data", "timeout", "method", "params", "header", "attempts", "redirects",
		"verify", "page", "page_limit", "auth", "result_format"}, eval: evalHTTP})
}

type httpOpts struct {
	method       string
	url          string
	params       map[string]any
	header       []string
	body         []byte
	form         map[string]string
	timeout      time.Duration
	attempts     int64
	redirects    int64
	verify       bool
	resultFormat string
	authType     string
	user, pass   string
	allow        ExtOptions
}

func evalHTTP(c *evalCtx, t *Term) (any, error) {
	// r.http reaches the network: it needs the global connect permission.
	if err := c.require(permConnect, "", ""); err != nil {
		return nil, err
	}
	rawURL, err := c.evalString(t.Args[0])
	if err != nil {
		return nil, err
	}
	o := &httpOpts{method: "GET", url: rawURL, timeout: 30 * time.Second, attempts: 5, redirects: 1, verify: true, resultFormat: "auto", allow: c.env.ExtOptions()}
	if err := c.httpOptargs(t, o); err != nil {
		return nil, err
	}
	pt, hasPage := t.Optargs["page"]
	if !hasPage {
		body, _, err := c.httpDo(o)
		return body, err
	}
	lt, ok := t.Optargs["page_limit"]
	if !ok {
		return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot use `page` without specifying `page_limit` (a positive number performs that many requests, -1 is unlimited)."), pt.bt)
	}
	f, d, err := c.evalFunc(pt, true)
	if err != nil {
		return nil, err
	}
	var page func(info map[string]any) (any, error)
	switch {
	case f != nil:
		page = func(info map[string]any) (any, error) { return c.call(f, info) }
	case d == nil:
	default:
		name, ok := d.(string)
		if !ok {
			return nil, typeErr("FUNCTION", d, pt)
		}
		if name != "link-next" {
			return nil, withBacktrace(newErr(ErrQueryLogic, "`page` method '%s' not recognized, only 'link-next' is available.", name), pt.bt)
		}
		page = func(info map[string]any) (any, error) {
			h, _ := info["header"].(map[string]any)
			l, _ := h["link"].(map[string]any)
			return l[`rel="next"`], nil
		}
	}
	limit, err := c.evalInt(lt)
	if err != nil {
		return nil, err
	}
	if limit < -1 {
		return nil, withBacktrace(newErr(ErrQueryLogic, "`page_limit` should be greater than or equal to -1."), lt.bt)
	}
	if page == nil {
		body, _, err := c.httpDo(o)
		return body, err
	}
	return &httpStream{c: c, o: o, page: page, limit: limit, more: limit != 0}, nil
}

func (c *evalCtx) httpOptargs(t *Term, o *httpOpts) error {
	if at, ok := t.Optargs["auth"]; ok {
		d, err := c.evalDatum(at)
		if err != nil {
			return err
		}
		m, ok := d.(map[string]any)
		if !ok || isPtypeAny(m) {
			return withBacktrace(newErr(ErrQueryLogic, "Expected `auth` to be an OBJECT, but found %s.", typeName(d)), at.bt)
		}
		o.authType = "basic"
		if tv, ok := m["type"]; ok {
			s, ok := tv.(string)
			if !ok {
				return withBacktrace(newErr(ErrQueryLogic, "Expected `auth.type` to be a STRING, but found %s.", typeName(tv)), at.bt)
			}
			o.authType = s
		}
		for _, name := range []string{"user", "pass"} {
			v, ok := m[name]
			if !ok {
				return withBacktrace(newErr(ErrQueryLogic, "`auth.%s` not found in the auth object.", name), at.bt)
			}
			s, ok := v.(string)
			if !ok {
				return withBacktrace(newErr(ErrQueryLogic, "Expected `auth.%s` to be a STRING, but found %s.", name, typeName(v)), at.bt)
			}
			if name == "user" {
				o.user = s
			} else {
				o.pass = s
			}
		}
		if o.authType != "basic" && o.authType != "digest" {
			return withBacktrace(newErr(ErrQueryLogic, "`auth.type` is not recognized ('basic', and 'digest' are allowed)."), at.bt)
		}
	}
	if mt, ok := t.Optargs["method"]; ok {
		m, err := c.evalString(mt)
		if err != nil {
			return err
		}
		switch m {
		case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
			o.method = m
		default:
			return withBacktrace(newErr(ErrQueryLogic, "`method` (%s) is not recognized (GET, HEAD, POST, PUT, PATCH and DELETE are allowed).", m), mt.bt)
		}
	}
	if dt, ok := t.Optargs["data"]; ok {
		d, err := c.evalDatum(dt)
		if err != nil {
			return err
		}
		switch o.method {
		case "PUT", "PATCH", "DELETE":
			if s, ok := d.(string); ok {
				o.body = []byte(s)
			} else {
				o.header = append(o.header, "Content-Type: application/json")
				b, err := json.Marshal(datumToJSONValue(d))
				if err != nil {
					return err
				}
				o.body = b
			}
		case "POST":
			switch x := d.(type) {
			case string:
				o.body = []byte(x)
			case map[string]any:
				if isPtypeAny(x) {
					return withBacktrace(newErr(ErrQueryLogic, "Expected `data` to be a STRING or OBJECT, but found %s.", typeName(d)), dt.bt)
				}
				o.form = map[string]string{}
				for k, v := range x {
					s, err := httpParam(v, "data", k, dt)
					if err != nil {
						return err
					}
					o.form[k] = s
				}
			default:
				return withBacktrace(newErr(ErrQueryLogic, "Expected `data` to be a STRING or OBJECT, but found %s.", typeName(d)), dt.bt)
			}
		default:
			return newErr(ErrQueryLogic, "`data` should only be specified on a PUT, POST, PATCH, or DELETE request.  If you want URL parameters, use `params` instead.")
		}
	}
	if rt, ok := t.Optargs["result_format"]; ok {
		s, err := c.evalString(rt)
		if err != nil {
			return err
		}
		switch s {
		case "auto", "json", "jsonp", "text", "binary":
			o.resultFormat = s
		default:
			return withBacktrace(newErr(ErrQueryLogic, "`result_format` (%s) is not recognized, ('auto', 'json', 'jsonp', 'text', and 'binary' are allowed).", s), rt.bt)
		}
	}
	if pt, ok := t.Optargs["params"]; ok {
		d, err := c.evalDatum(pt)
		if err != nil {
			return err
		}
		if err := checkURLParams(d, pt); err != nil {
			return err
		}
		o.params = d.(map[string]any)
	}
	if ht, ok := t.Optargs["header"]; ok {
		d, err := c.evalDatum(ht)
		if err != nil {
			return err
		}
		switch x := d.(type) {
		case map[string]any:
			keys := sortedKeys(x)
			for _, k := range keys {
				var line string
				switch v := x[k].(type) {
				case string:
					line = k + ": " + v
				case nil:
				default:
					return withBacktrace(newErr(ErrQueryLogic, "Expected `header.%s` to be a STRING or NULL, but found %s.", k, typeName(v)), ht.bt)
				}
				if strings.ContainsAny(line, "\r\n") {
					return withBacktrace(newErr(ErrQueryLogic, "A `header` item contains newline characters."), ht.bt)
				}
				o.header = append(o.header, line)
			}
		case []any:
			for i, v := range x {
				s, ok := v.(string)
				if !ok {
					return withBacktrace(newErr(ErrQueryLogic, "Expected `header[%d]` to be a STRING, but found %s.", i, typeName(v)), ht.bt)
				}
				if strings.ContainsAny(s, "\r\n") {
					return withBacktrace(newErr(ErrQueryLogic, "A `header` item contains newline characters."), ht.bt)
				}
				o.header = append(o.header, s)
			}
		default:
			return withBacktrace(newErr(ErrQueryLogic, "Expected `header` to be an ARRAY or OBJECT, but found %s.", typeName(d)), ht.bt)
		}
	}
	if tt, ok := t.Optargs["timeout"]; ok {
		n, err := c.evalNumber(tt)
		if err != nil {
			return err
		}
		if n < 0 {
			return withBacktrace(newErr(ErrQueryLogic, "`timeout` may not be negative."), tt.bt)
		}
		ms := math.Min(n*1000, float64(httpMaxTimeout/time.Millisecond))
		o.timeout = time.Duration(ms) * time.Millisecond
	}
	if at, ok := t.Optargs["attempts"]; ok {
		n, err := c.evalInt(at)
		if err != nil {
			return err
		}
		if n < 0 {
			return withBacktrace(newErr(ErrQueryLogic, "Expected a non-negative integer for `attempts` but found %d.", n), at.bt)
		}
		o.attempts = n
	}
	if rt, ok := t.Optargs["redirects"]; ok {
		n, err := c.evalInt(rt)
		if err != nil {
			return err
		}
		if n < 0 || n > math.MaxUint32 {
			return withBacktrace(newErr(ErrQueryLogic, "Expected a non-negative integer for `redirects` but found %d.", n), rt.bt)
		}
		o.redirects = n
	}
	if vt, ok := t.Optargs["verify"]; ok {
		d, err := c.evalDatum(vt)
		if err != nil {
			return err
		}
		b, ok := d.(bool)
		if !ok {
			return withBacktrace(newErr(ErrQueryLogic, "Expected `verify` to be a BOOL, but found %s.", typeName(d)), vt.bt)
		}
		o.verify = b
	}
	return nil
}

func isPtypeAny(m map[string]any) bool { return m[reqlTypeField] != nil }

// datumToJSONValue is a datum as encoding/json writes it.
func datumToJSONValue(d any) any { return d }

func checkURLParams(d any, t *Term) error {
	m, ok := d.(map[string]any)
	if !ok || isPtypeAny(m) {
		return withBacktrace(newErr(ErrQueryLogic, "Expected `params` to be an OBJECT, but found %s:\n%s", typeName(d), printDatum(d)), t.bt)
	}
	for _, k := range sortedKeys(m) {
		switch m[k].(type) {
		case float64, string, nil:
		default:
			return withBacktrace(newErr(ErrQueryLogic, "Expected `params.%s` to be a NUMBER, STRING or NULL, but found %s:\n%s", k, typeName(m[k]), printDatum(m[k])), t.bt)
		}
	}
	return nil
}

func httpParam(v any, valName, key string, t *Term) (string, error) {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', 17, 64), nil
	case string:
		return x, nil
	case nil:
		return "", nil
	}
	return "", withBacktrace(newErr(ErrQueryLogic, "Expected `%s.%s` to be a NUMBER, STRING or NULL, but found %s.", valName, key, typeName(v)), t.bt)
}

// httpFailure is RethinkDB's check_error_result: a NON_EXISTENCE error (so
// that r.default can catch it) naming the request, with the response's
// header and body when there was a response.
func httpFailure(o *httpOpts, msg string, header, body any) error {
	s := fmt.Sprintf("Error in HTTP %s of `%s`: %s.", o.method, o.url, msg)
	if header != nil {
		s += "\nheader:\n" + printDatum(header)
	}
	if body != nil {
		s += "\nbody:\n" + printDatum(body)
	}
	return newErr(ErrNonExistence, "%s", s)
}

// httpCheckHost refuses URLs whose host this server does not let r.http
// reach.
func (o *httpOpts) checkHost(u *url.URL) error {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if !o.allow.httpAllowed(u.Hostname(), port) {
		return newErr(ErrPermission, "r.http may not reach `%s` on this server (allowed hosts are set with photondb serve --http-allow; all hosts in --dev-mode).", u.Host)
	}
	return nil
}

// httpDo performs the request (with its attempts, redirects and auth) and
// returns the decoded body and the header datum.
func (c *evalCtx) httpDo(o *httpOpts) (any, map[string]any, error) {
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, httpFailure(o, "URL using bad/illegal format or missing URL", nil, nil)
	}
	if err := o.checkHost(u); err != nil {
		return nil, nil, err
	}
	if len(o.params) > 0 {
		q := u.Query()
		for _, k := range sortedKeys(o.params) {
			s, _ := httpParam(o.params[k], "params", k, &Term{})
			q.Set(k, s)
		}
		u.RawQuery = q.Encode()
	}
	redirects := 0
	client := &http.Client{
		Transport: &http.Transport{
			Proxy:             http.ProxyFromEnvironment,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: !o.verify}, //nolint:gosec // the `verify` optarg
			DisableKeepAlives: true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			redirects++
			if int64(redirects) > o.redirects {
				return errHTTPRedirects
			}
			return o.checkHost(req.URL)
		},
	}
	ctx, cancel := context.WithTimeout(c.ctx, o.timeout)
	defer cancel()
	attempts := o.attempts
	if attempts < 1 {
		attempts = 1
	}
	var lastErr error
	for i := int64(0); i < attempts; i++ {
		redirects = 0
		resp, err := c.httpOnce(ctx, client, o, u, "")
		if err == nil && resp.StatusCode == http.StatusUnauthorized && o.authType == "digest" {
			challenge := resp.Header.Get("WWW-Authenticate")
			resp.Body.Close()
			resp, err = c.httpOnce(ctx, client, o, u, digestAuth(challenge, o, u))
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return nil, nil, err
			}
			if errors.Is(err, errHTTPRedirects) {
				return nil, nil, httpFailure(o, fmt.Sprintf("Number of redirects hit maximum amount (%d)", o.redirects), nil, nil)
			}
			if c.ctx.Err() != nil {
				return nil, nil, httpFailure(o, "interrupted", nil, nil)
			}
			if ctx.Err() != nil {
				return nil, nil, httpFailure(o, fmt.Sprintf("timed out after %s seconds", formatNumber(o.timeout.Seconds())), nil, nil)
			}
			lastErr = err
			continue
		}
		body, header, ferr := o.decode(resp)
		resp.Body.Close()
		if ferr != "" {
			return nil, nil, httpFailure(o, ferr, header, nil)
		}
		if resp.StatusCode >= 300 {
			if resp.StatusCode >= 500 && i+1 < attempts {
				continue
			}
			return nil, nil, httpFailure(o, fmt.Sprintf("status code %d", resp.StatusCode), header, body)
		}
		return body, header, nil
	}
	msg := "request failed"
	if lastErr != nil {
		var ue *url.Error
		if errors.As(lastErr, &ue) {
			lastErr = ue.Err
		}
		msg = lastErr.Error()
	}
	return nil, nil, httpFailure(o, msg, nil, nil)
}

var errHTTPRedirects = errors.New("too many redirects")

func (c *evalCtx) httpOnce(ctx context.Context, client *http.Client, o *httpOpts, u *url.URL, authz string) (*http.Response, error) {
	var body io.Reader
	if o.form != nil {
		vals := url.Values{}
		for k, v := range o.form {
			vals.Set(k, v)
		}
		body = strings.NewReader(vals.Encode())
	} else if o.body != nil {
		body = bytes.NewReader(o.body)
	}
	req, err := http.NewRequestWithContext(ctx, o.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "RethinkDB/2.4 (PhotonDB)")
	req.Header.Set("Accept-Encoding", "deflate;q=1, gzip;q=0.5")
	if o.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, line := range o.header {
		k, v, _ := strings.Cut(line, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	switch {
	case authz != "":
		req.Header.Set("Authorization", authz)
	case o.authType == "basic":
		req.SetBasicAuth(o.user, o.pass)
	}
	return client.Do(req)
}

// digestAuth answers an HTTP Digest challenge (RFC 2617, MD5, qop=auth).
func digestAuth(challenge string, o *httpOpts, u *url.URL) string {
	params := map[string]string{}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(challenge), "Digest"))
	for _, part := range splitAuthParams(rest) {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	uri := u.RequestURI()
	ha1 := h(o.user + ":" + params["realm"] + ":" + o.pass)
	ha2 := h(o.method + ":" + uri)
	var cn [8]byte
	_, _ = rand.Read(cn[:])
	cnonce := hex.EncodeToString(cn[:])
	var resp, qopPart string
	if strings.Contains(params["qop"], "auth") {
		resp = h(ha1 + ":" + params["nonce"] + ":00000001:" + cnonce + ":auth:" + ha2)
		qopPart = fmt.Sprintf(`, qop=auth, nc=00000001, cnonce="%s"`, cnonce)
	} else {
		resp = h(ha1 + ":" + params["nonce"] + ":" + ha2)
	}
	s := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"%s`, o.user, params["realm"], params["nonce"], uri, resp, qopPart)
	if op := params["opaque"]; op != "" {
		s += fmt.Sprintf(`, opaque="%s"`, op)
	}
	return s
}

func splitAuthParams(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}

// decode reads a response into its body datum (by result_format) and its
// header datum (lower-case names; `link` parsed into {rel="...": url}).
func (o *httpOpts) decode(resp *http.Response) (any, map[string]any, string) {
	header := map[string]any{}
	for k, vs := range resp.Header {
		header[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	if links := resp.Header.Values("Link"); len(links) > 0 {
		header["link"] = parseLinkHeader(strings.Join(links, ","))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, httpMaxBodyBytes+1))
	if err != nil {
		return nil, header, err.Error()
	}
	if len(data) > httpMaxBodyBytes {
		return nil, header, fmt.Sprintf("response body over the size limit (%d MiB)", httpMaxBodyBytes>>20)
	}
	if o.method == "HEAD" {
		return nil, header, ""
	}
	format := o.resultFormat
	if format == "auto" {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		switch {
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			format = "json"
		case mt == "text/javascript" || mt == "application/javascript" || mt == "application/x-javascript":
			format = "jsonp"
		case strings.HasPrefix(mt, "text/") || mt == "" || mt == "application/xml" || strings.HasSuffix(mt, "+xml"):
			format = "text"
		default:
			format = "binary"
		}
	}
	switch format {
	case "json":
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, header, "failed to parse JSON response"
		}
		d, err := tmSanitizeDatum(v)
		if err != nil {
			return nil, header, "failed to parse JSON response"
		}
		return d, header, ""
	case "jsonp":
		s := strings.TrimSpace(string(data))
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			return nil, header, "failed to parse JSONP response"
		}
		var v any
		if err := json.Unmarshal([]byte(s[open+1:close]), &v); err != nil {
			return nil, header, "failed to parse JSONP response"
		}
		return v, header, ""
	case "binary":
		return binaryDatum(data), header, ""
	}
	return string(data), header, ""
}

// parseLinkHeader parses `<url>; rel="next", <url2>; rel="last"` into
// {`rel="next"`: url, ...}, as RethinkDB's http_job does.
func parseLinkHeader(s string) map[string]any {
	out := map[string]any{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lt, gt := strings.IndexByte(part, '<'), strings.IndexByte(part, '>')
		if lt != 0 || gt < 0 {
			continue
		}
		target := part[1:gt]
		for _, p := range strings.Split(part[gt+1:], ";") {
			p = strings.TrimSpace(p)
			if p != "" {
				out[p] = target
			}
		}
	}
	return out
}

// httpStream is r.http with `page`: one request per page, made when the
// stream needs more elements; an array body contributes its elements.
type httpStream struct {
	c     *evalCtx
	o     *httpOpts
	page  func(info map[string]any) (any, error)
	limit int64
	more  bool
	buf   []any
}

func (s *httpStream) Next(context.Context) (any, bool, error) {
	for len(s.buf) == 0 {
		if !s.more {
			return nil, false, nil
		}
		if err := s.fetch(); err != nil {
			return nil, false, err
		}
	}
	v := s.buf[0]
	s.buf = s.buf[1:]
	return v, true, nil
}

func (s *httpStream) Close() error { return nil }

func (s *httpStream) fetch() error {
	body, header, err := s.c.httpDo(s.o)
	if err != nil {
		return err
	}
	if arr, ok := body.([]any); ok {
		s.buf = append(s.buf, arr...)
	} else {
		s.buf = append(s.buf, body)
	}
	if s.limit > 0 {
		s.limit--
	}
	if s.limit == 0 {
		s.more = false
		return nil
	}
	params := s.o.params
	if params == nil {
		params = map[string]any{}
	}
	info := map[string]any{"params": params, "header": header, "body": body}
	next, err := s.page(info)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return &Error{Kind: e.Kind, Type: e.Type, Backtrace: e.Backtrace,
				Msg: fmt.Sprintf("Error in HTTP %s of `%s`: %s.\nError occurred during `page` called with:\n%s\n", s.o.method, s.o.url, e.Msg, printDatum(info))}
		}
		return err
	}
	s.more, err = s.applyPage(next)
	return err
}

func (s *httpStream) applyPage(next any) (bool, error) {
	setURL := func(v any) (bool, error) {
		switch x := v.(type) {
		case nil:
			return false, nil
		case string:
			s.o.url = x
			return true, nil
		}
		return false, newErr(ErrQueryLogic, "Expected `url` in OBJECT returned by `page` to be a STRING or NULL, but found %s.", typeName(v))
	}
	switch x := next.(type) {
	case nil, string:
		return setURL(x)
	case map[string]any:
		u, hasURL := x["url"]
		p, hasParams := x["params"]
		if !hasURL && !hasParams {
			return false, newErr(ErrQueryLogic, "OBJECT returned by `page` must contain `url` and/or `params` fields.")
		}
		if hasParams {
			if err := checkURLParams(p, &Term{}); err != nil {
				return false, err
			}
			merged := map[string]any{}
			for k, v := range s.o.params {
				merged[k] = v
			}
			for k, v := range p.(map[string]any) {
				merged[k] = v
			}
			s.o.params = merged
		}
		if hasURL {
			return setURL(u)
		}
		return true, nil
	}
	return false, newErr(ErrQueryLogic, "Expected `page` to return an OBJECT, but found %s.", typeName(next))
}
