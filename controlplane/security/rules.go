package security

import (
	"regexp"
	"strings"
)

// Where a rule applies.
const (
	inPath = 1 << iota
	inQuery
	inHeader
	everywhere = inPath | inQuery | inHeader
)

// rule is one signature, checked cheaply first: a value can only match if
// it contains one of the bytes in any (when set) and one of lits (when
// set); a rule without a pattern matches on that alone.
//
// The pattern is then tried anchored at candidate starts only: the bytes in
// at, or the occurrences of starts not preceded by a word character. A
// candidate must first pass gate, a hand-written check of the few bytes
// after it that accepts everything the pattern could match (so it only
// saves time), which keeps the regular expressions off ordinary headers.
// After maxAttempts candidates, one unanchored linear search decides, so a
// value costs O(len) in the worst case.
type rule struct {
	category string
	name     string
	where    int
	any      string
	lits     []string
	at       string
	starts   []string
	gate     func(rest string) bool
	anchored *regexp.Regexp // ^(?:pattern)
	search   *regexp.Regexp // pattern, unanchored (after \b for starts)

	// Byte sets of any, of each literal, and of at.
	anySet  byteSet
	litSets []byteSet
	atSet   byteSet
}

// byteSet is a set of bytes.
type byteSet [4]uint64

func bytesOf(s string) byteSet {
	var b byteSet
	for i := 0; i < len(s); i++ {
		b[s[i]>>6] |= 1 << (s[i] & 63)
	}
	return b
}

func (b *byteSet) has(c byte) bool { return b[c>>6]&(1<<(c&63)) != 0 }

func (b *byteSet) intersects(o *byteSet) bool {
	return b[0]&o[0] != 0 || b[1]&o[1] != 0 || b[2]&o[2] != 0 || b[3]&o[3] != 0
}

func (b *byteSet) containsAll(o *byteSet) bool {
	return b[0]&o[0] == o[0] && b[1]&o[1] == o[1] && b[2]&o[2] == o[2] && b[3]&o[3] == o[3]
}

// maxAttempts bounds the candidates of one rule in one value.
const maxAttempts = 256

// sig builds a rule.
func sig(category, name string, where int, pattern string, opts ...func(*rule)) rule {
	ru := rule{category: category, name: name, where: where}
	for _, o := range opts {
		o(&ru)
	}
	ru.anySet, ru.atSet = bytesOf(ru.any), bytesOf(ru.at)
	for _, l := range ru.lits {
		ru.litSets = append(ru.litSets, bytesOf(l))
	}
	if pattern != "" {
		ru.anchored = regexp.MustCompile(`^(?:` + pattern + `)`)
		if len(ru.starts) > 0 {
			pattern = `\b(?:` + pattern + `)`
		}
		ru.search = regexp.MustCompile(pattern)
	}
	return ru
}

func anyOf(b string) func(*rule)                { return func(ru *rule) { ru.any = b } }
func lits(l ...string) func(*rule)              { return func(ru *rule) { ru.lits = l } }
func at(b string) func(*rule)                   { return func(ru *rule) { ru.at, ru.any = b, b } }
func wordAt(w ...string) func(*rule)            { return func(ru *rule) { ru.starts = w } }
func gate(g func(rest string) bool) func(*rule) { return func(ru *rule) { ru.gate = g } }

func isWord(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// match reports whether the rule matches s, whose bytes are present.
func (ru *rule) match(s string, present *byteSet) bool {
	if ru.any != "" && !present.intersects(&ru.anySet) {
		return false
	}
	if len(ru.lits) > 0 {
		found := false
		for i, l := range ru.lits {
			if present.containsAll(&ru.litSets[i]) && strings.Contains(s, l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if ru.anchored == nil {
		return true
	}
	try := func(rest string) bool {
		return (ru.gate == nil || ru.gate(rest)) && ru.anchored.MatchString(rest)
	}
	attempts := 0
	switch {
	case ru.at != "":
		for i := 0; i < len(s); i++ {
			if !ru.atSet.has(s[i]) {
				continue
			}
			if attempts++; attempts > maxAttempts {
				return ru.search.MatchString(s)
			}
			if try(s[i:]) {
				return true
			}
		}
		return false
	case len(ru.starts) > 0:
		for _, w := range ru.starts {
			for off := 0; off < len(s); {
				i := strings.Index(s[off:], w)
				if i < 0 {
					break
				}
				if attempts++; attempts > maxAttempts {
					return ru.search.MatchString(s)
				}
				i += off
				if (i == 0 || !isWord(s[i-1])) && try(s[i:]) {
					return true
				}
				off = i + 1
			}
		}
		return false
	}
	return ru.search.MatchString(s)
}

// Gates. Each reads the bytes after a candidate start the way the rule's
// pattern does, but only far enough to rule the candidate out.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipSpace skips white space (\s).
func skipSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

// skipSQLSpace skips white space and /* inline comments */ (sqlSpace*).
func skipSQLSpace(s string) string {
	for {
		s = skipSpace(s)
		if !strings.HasPrefix(s, "/*") {
			return s
		}
		end := strings.IndexByte(s[2:], '*')
		if end < 0 || !strings.HasPrefix(s[2+end:], "*/") {
			return s
		}
		s = s[2+end+2:]
	}
}

// word is the leading run of letters, digits and dots.
func word(s string) string {
	i := 0
	for i < len(s) && (s[i] == '.' || 'a' <= s[i] && s[i] <= 'z' || '0' <= s[i] && s[i] <= '9') {
		i++
	}
	return s[:i]
}

// letters is the leading run of letters.
func letters(s string) string {
	i := 0
	for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
		i++
	}
	return s[:i]
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// shellNames are the commands of shellCommands, spelled out.
var shellNames = set("cat", "ls", "id", "whoami", "uname", "wget", "curl", "nc", "ncat", "netcat", "bash", "sh", "zsh", "ksh",
	"dash", "python", "python2", "python3", "perl", "ruby", "php", "powershell", "pwsh", "cmd", "cmd.exe", "chmod", "chown", "rm",
	"ping", "nslookup", "dig", "echo", "sleep", "busybox", "tftp", "ftp", "telnet", "sudo", "printenv", "base64", "certutil",
	"bitsadmin", "mkfifo", "socat", "nohup", "crontab", "useradd", "passwd", "ifconfig", "hostname", "xterm")

// commandGate: after the separator, a command name (shellCommand).
func commandGate(rest string) bool {
	switch {
	case strings.HasPrefix(rest, "&&"), strings.HasPrefix(rest, "$("):
		rest = rest[2:]
	case rest != "" && strings.IndexByte(";|\n\r`&", rest[0]) >= 0:
		rest = rest[1:]
	default:
		return false
	}
	rest = skipSpace(rest)
	if strings.HasPrefix(rest, "{") {
		rest = skipSpace(rest[1:])
	}
	for _, p := range []string{"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"} {
		if strings.HasPrefix(rest, p) {
			rest = rest[len(p):]
			break
		}
	}
	return shellNames[word(rest)]
}

// sqlOperatorGate: after a closing quote, OR/AND/XOR, || or &&.
func sqlOperatorGate(rest string) bool {
	rest = skipSQLSpace(rest[1:])
	for _, p := range []string{"or", "and", "xor", "||", "&&"} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

// sqlCommentGate: after a closing quote, -- or #.
func sqlCommentGate(rest string) bool {
	rest = skipSQLSpace(rest[1:])
	return strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "#")
}

var sqlStatements = set("drop", "truncate", "alter", "create", "delete", "insert", "update", "exec", "execute", "shutdown", "declare", "select")

// sqlStatementGate: after ';', a statement keyword.
func sqlStatementGate(rest string) bool {
	return sqlStatements[letters(skipSQLSpace(rest[1:]))]
}

// sqlNumberGate: after OR/AND/..., white space and a digit.
func sqlNumberGate(rest string) bool {
	w := letters(rest)
	after := rest[len(w):]
	rest = skipSQLSpace(after)
	return len(rest) < len(after) && rest != "" && '0' <= rest[0] && rest[0] <= '9'
}

var htmlTags = set("script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "img", "image", "body", "meta",
	"link", "style", "base", "form", "input", "details", "video", "audio", "math", "marquee", "isindex", "xss", "template", "animate")

// tagGate: after '<', an optional '/' and a dangerous tag name.
func tagGate(rest string) bool {
	rest = skipSpace(rest[1:])
	if strings.HasPrefix(rest, "/") {
		rest = skipSpace(rest[1:])
	}
	return htmlTags[letters(rest)]
}

var eventHandlers = set("onerror", "onload", "onunload", "onbeforeunload", "onmouseover", "onmouseout", "onmouseenter", "onmouseleave",
	"onmousedown", "onmouseup", "onmousemove", "onclick", "ondblclick", "oncontextmenu", "onauxclick", "onfocus", "onfocusin",
	"onfocusout", "onblur", "onkeydown", "onkeyup", "onkeypress", "onsubmit", "oninvalid", "ontoggle", "onbegin", "onanimationstart",
	"onanimationend", "onanimationiteration", "ontransitionend", "ontransitionstart", "ontransitionrun", "onpointerover",
	"onpointerenter", "onpointerdown", "onpointerup", "onpointermove", "onwheel", "onscroll", "onresize", "onhashchange",
	"onpopstate", "onmessage", "onpageshow", "onpagehide", "oncopy", "onpaste", "oncut", "ondrag", "ondragstart", "ondragend",
	"ondragenter", "ondragleave", "ondragover", "ondrop", "onplay", "onplaying", "onended", "oncanplay", "onloadstart",
	"onloadeddata", "onreadystatechange", "onafterprint", "onbeforeprint")

// handlerGate: an event handler attribute name.
func handlerGate(rest string) bool { return eventHandlers[letters(rest)] }

// Building blocks of the signatures (values are lower-cased first).
const (
	// sqlSpace is white space or an inline comment, as SQL sees it.
	sqlSpace = `(?:\s|/\*[^*]*\*/)`
	// shellCommands are commands an injected shell line typically runs
	// (shellNames spells them out for the gate).
	shellCommands = `(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|dash|python[23]?|perl|ruby|php|` +
		`powershell|pwsh|cmd(?:\.exe)?|chmod|chown|rm|ping|nslookup|dig|echo|sleep|busybox|tftp|ftp|telnet|sudo|` +
		`printenv|base64|certutil|bitsadmin|mkfifo|socat|nohup|crontab|useradd|passwd|ifconfig|hostname|xterm)`
	// shellCommand is an optional {, an optional /bin/ or /usr/bin/
	// prefix, a command and what may follow a command name.
	shellCommand = `\{?\s*(?:(?:/usr)?/s?bin/)?` + shellCommands + `(?:[\s;|&<>'"` + "`" + `)$]|$)`
	// closing is what ends a string or expression before injected SQL.
	closing = `'"` + "`" + `)`
)

// rules are checked in order; the first match wins.
var rules = []rule{
	// Command injection: a shell separator or substitution followed by a
	// command, e.g. "; cat /etc/passwd", "| id", "$(wget ...)", "`id`".
	sig(CategoryCommandInjection, "cmdi-chain", everywhere,
		`(?:[;|\n\r`+"`"+`]|&&|\$\()\s*`+shellCommand, at(";|\n\r`$&"), gate(commandGate)),
	// A single & (backgrounding) only in the path and query: in headers
	// (Referer) it separates parameters.
	sig(CategoryCommandInjection, "cmdi-background", inPath|inQuery, `&\s*`+shellCommand, at("&"), gate(commandGate)),
	sig(CategoryCommandInjection, "cmdi-ifs", everywhere, "", anyOf("$"), lits("${ifs", "$ifs")),
	// Shellshock: a function definition in a header or parameter.
	sig(CategoryCommandInjection, "cmdi-shellshock", everywhere, `\(\s*\)\s*\{`, at("(")),

	// SQL injection.
	// Tautologies after a closing quote: ' OR '1'='1, " or ""=", ') or 1=1.
	sig(CategorySQLInjection, "sqli-tautology", everywhere,
		`[`+closing+`]`+sqlSpace+`*(?:(?:or|and|xor)\b|\|\||&&)`+sqlSpace+`*[('"`+"`"+`]?\s*\w*\s*[`+closing+`]?`+
			sqlSpace+`*(?:=|<>|!=|<|>|like\b|is\b|between\b|in\s*\()`, at(closing), gate(sqlOperatorGate)),
	// Numeric tautologies: or 1=1, and 2>1.
	sig(CategorySQLInjection, "sqli-numeric-tautology", everywhere,
		`(?:or|and|xor|having|where)`+sqlSpace+`+\d+`+sqlSpace+`*(?:=|<>|!=|<|>)`+sqlSpace+`*\d+`,
		anyOf("=<>"), wordAt("or", "and", "xor", "having", "where"), gate(sqlNumberGate)),
	sig(CategorySQLInjection, "sqli-union", everywhere,
		`(?:^|[^a-z_])union[\s(/*!0-9+]+(?:(?:all|distinct)[\s(/*!0-9+]+)?select\b`, lits("union")),
	// Stacked statements: '; DROP TABLE users, ; DELETE FROM ...
	sig(CategorySQLInjection, "sqli-stacked", everywhere,
		`;`+sqlSpace+`*(?:(?:drop|truncate|alter|create)`+sqlSpace+`+(?:table|database|schema|user|index|view|procedure|function)\b|`+
			`delete`+sqlSpace+`+from\b|insert`+sqlSpace+`+into\b|update`+sqlSpace+`+[\w."`+"`"+`\[\]]+`+sqlSpace+`+set\b|`+
			`exec(?:ute)?\b|shutdown\b|declare`+sqlSpace+`+@|select`+sqlSpace+`+[\w*@(])`, at(";"), gate(sqlStatementGate)),
	// A comment right after a closing quote: admin'--, ' #.
	sig(CategorySQLInjection, "sqli-comment", everywhere,
		`[`+closing+`]`+sqlSpace+`*(?:--(?:\s|$)|#(?:\s|$))`, at(closing), gate(sqlCommentGate)),
	sig(CategorySQLInjection, "sqli-function", everywhere,
		`\b(?:sleep|pg_sleep|benchmark|load_file|extractvalue|updatexml|dbms_pipe\.receive_message|utl_http\.request)`+sqlSpace+`*\(|`+
			`\bwaitfor`+sqlSpace+`+delay\b|\binformation_schema\b|\bxp_cmdshell\b|\binto`+sqlSpace+`+(?:out|dump)file\b|@@version\b|`+
			`\bpg_catalog\b|\bsysobjects\b`,
		lits("sleep", "benchmark", "load_file", "extractvalue", "updatexml", "waitfor", "information_schema", "xp_cmdshell",
			"outfile", "dumpfile", "@@version", "pg_catalog", "sysobjects", "utl_http", "dbms_pipe")),

	// XSS.
	sig(CategoryXSS, "xss-tag", everywhere,
		`<\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|svg|img|image|body|meta|link|style|base|form|input|`+
			`details|video|audio|math|marquee|isindex|xss|template|animate)\b`, at("<"), gate(tagGate)),
	sig(CategoryXSS, "xss-protocol", everywhere, `\b(?:java|vb|live|ecma)\s*script\s*:`, anyOf(":"), lits("script")),
	sig(CategoryXSS, "xss-data-uri", everywhere, "", lits("data:text/html")),
	sig(CategoryXSS, "xss-handler", everywhere,
		`on(?:error|load|unload|beforeunload|mouseover|mouseout|mouseenter|mouseleave|mousedown|mouseup|mousemove|`+
			`click|dblclick|contextmenu|auxclick|focus|focusin|focusout|blur|keydown|keyup|keypress|submit|invalid|toggle|begin|`+
			`animationstart|animationend|animationiteration|transitionend|transitionstart|transitionrun|pointerover|pointerenter|`+
			`pointerdown|pointerup|pointermove|wheel|scroll|resize|hashchange|popstate|message|pageshow|pagehide|copy|paste|cut|`+
			`drag|dragstart|dragend|dragenter|dragleave|dragover|drop|play|playing|ended|canplay|loadstart|loadeddata|`+
			`readystatechange|afterprint|beforeprint)\s*=`, anyOf("="), wordAt("on"), gate(handlerGate)),
	sig(CategoryXSS, "xss-dom", everywhere, "", lits("document.cookie", "document.domain", "document.write", "fromcharcode", "srcdoc")),

	// Path traversal: a ".." segment (after decoding, / or \ as separator,
	// and Tomcat's "..;"), well-known target files, NUL bytes.
	sig(CategoryPathTraversal, "traversal-dotdot", everywhere, `\.\.[/\\;]|(?:^|[/\\])\.\.$`, lits("..")),
	sig(CategoryPathTraversal, "traversal-target", everywhere, "",
		lits("etc/passwd", "etc/shadow", "proc/self/", "win.ini", "boot.ini", "system32/config")),
	sig(CategoryPathTraversal, "traversal-nul", inPath|inQuery, "", lits("\x00")),
}
