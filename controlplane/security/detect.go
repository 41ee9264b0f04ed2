package security

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Categories of attack the Detector recognises.
const (
	CategoryPathTraversal    = "path-traversal"
	CategoryXSS              = "xss"
	CategorySQLInjection     = "sql-injection"
	CategoryCommandInjection = "command-injection"
)

// Detection is an attack pattern found in a request.
type Detection struct {
	// Category is one of the Category constants.
	Category string `json:"category"`
	// Rule names the signature that matched, e.g. "sqli-tautology".
	Rule string `json:"rule"`
	// Location is where it matched: "path", "query:<name>", "host" or
	// "header:<Name>".
	Location string `json:"location"`
	// Value is the decoded, lower-cased value that matched (truncated).
	Value string `json:"value"`
}

// DetectorOptions configure a Detector.
type DetectorOptions struct {
	// SkipHeaders are header names that are not inspected
	// (case-insensitive). By default every header is.
	SkipHeaders []string
}

// Detector finds attack signatures in a request's path, query string, Host
// and headers. It never reads the body. Values are URL-decoded (repeatedly,
// to see through double encoding, including %uXXXX and overlong UTF-8
// forms) and lower-cased before matching; the signatures need the
// combination of characters that makes an attack (a quote followed by OR
// and a comparison, a shell separator followed by a command name, "../"),
// not a single suspicious character, to keep false positives low.
// Safe for concurrent use.
type Detector struct {
	skip map[string]bool
}

// NewDetector returns a Detector.
func NewDetector(o DetectorOptions) *Detector {
	d := &Detector{skip: make(map[string]bool, len(o.SkipHeaders))}
	for _, h := range o.SkipHeaders {
		d.skip[http.CanonicalHeaderKey(h)] = true
	}
	return d
}

// truncate makes s valid UTF-8 (invalid bytes become U+FFFD) of at most n
// bytes, cut at a character boundary.
func truncate(s string, n int) string {
	if len(s) > 4*n {
		s = s[:4*n] // bound the work below
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// maxValue bounds Detection.Value.
const maxValue = 256

// check matches one raw value; the location is only built on a match.
func check(where int, raw string, plus bool) (*rule, string) {
	s := normalize(raw, plus)
	present := bytesOf(s)
	for i := range rules {
		ru := &rules[i]
		if ru.where&where != 0 && ru.match(s, &present) {
			return ru, s
		}
	}
	return nil, ""
}

func detection(ru *rule, location, value string) Detection {
	return Detection{Category: ru.category, Rule: ru.name, Location: location, Value: truncate(value, maxValue)}
}

// Inspect looks for attack signatures in r's path, query parameters (names
// and values, each decoded on its own), Host and headers. The body is never
// read.
func (d *Detector) Inspect(r *http.Request) (Detection, bool) {
	if ru, s := check(inPath, r.URL.EscapedPath(), false); ru != nil {
		return detection(ru, "path", s), true
	}
	// Parameters split on '&' before decoding, so an encoded "&&" stays
	// in its value.
	for q := r.URL.RawQuery; q != ""; {
		var part string
		part, q, _ = strings.Cut(q, "&")
		name, value, _ := strings.Cut(part, "=")
		for _, raw := range [2]string{name, value} {
			if ru, s := check(inQuery, raw, true); ru != nil {
				return detection(ru, "query:"+truncate(urlDecode(name, true), 64), s), true
			}
		}
	}
	if ru, s := check(inHeader, r.Host, false); ru != nil {
		return detection(ru, "host", s), true
	}
	for name, values := range r.Header {
		if d.skip[name] {
			continue
		}
		for _, v := range values {
			if ru, s := check(inHeader, v, false); ru != nil {
				return detection(ru, "header:"+name, s), true
			}
		}
	}
	return Detection{}, false
}
