package security

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDetector: no panics; decoding terminates and never lengthens a value
// (each round shrinks it or leaves it alone, at most maxDecodeRounds
// rounds); detections are well-formed (bounded, valid UTF-8); inspecting
// arbitrary paths, queries and headers returns promptly.
func FuzzDetector(f *testing.F) {
	for _, a := range attacks {
		path, query, _ := strings.Cut(a.target, "?")
		f.Add(path, query, a.header["User-Agent"])
	}
	for _, b := range benigns {
		path, query, _ := strings.Cut(b.target, "?")
		f.Add(path, query, b.header["User-Agent"])
	}
	f.Add("%", "%u", "%%25%")
	f.Add("%25252525252525252525", "a=%2525252525%2B+", "\xc0\xae\xc0")
	f.Add(strings.Repeat("%25", 200), strings.Repeat("&", 100), strings.Repeat("'or'1'='1", 50))
	d := NewDetector(DetectorOptions{})
	f.Fuzz(func(t *testing.T, path, query, header string) {
		for _, s := range []string{path, query, header} {
			for _, plus := range []bool{false, true} {
				n := normalize(s, plus)
				if len(n) > len(s) {
					t.Fatalf("normalize(%q) grew to %q", s, n)
				}
				if d, _ := decodeOnce(s, plus); len(d) > len(s) {
					t.Fatalf("a decoding round lengthened %q to %q", s, d)
				}
				if again := normalize(n, plus); len(again) > len(n) {
					t.Fatalf("normalize(%q) grew to %q", n, again)
				}
				check(everywhere, s, plus)
			}
		}
		r := &http.Request{Method: http.MethodGet, Host: header, Header: http.Header{"X-Fuzz": {header}, "User-Agent": {header}},
			URL: &url.URL{Path: path, RawPath: path, RawQuery: query}}
		start := time.Now()
		det, ok := d.Inspect(r)
		if took := time.Since(start); took > time.Second {
			t.Fatalf("Inspect took %s", took)
		}
		if ok && (det.Category == "" || det.Rule == "" || det.Location == "" || len(det.Value) > maxValue || !utf8.ValidString(det.Value) || !utf8.ValidString(det.Location)) {
			t.Fatalf("bad detection %+v", det)
		}
	})
}
