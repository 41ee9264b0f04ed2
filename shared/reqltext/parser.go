package reqltext

import (
	"strings"
)

// Limits that keep Parse safe on untrusted input.
const (
	// MaxInputSize is the largest source Parse accepts, in bytes.
	MaxInputSize = 1 << 20
	// MaxDepth bounds the nesting of expressions (each call, including
	// every method call of a chain, and each array, object, parenthesis and
	// function counts one level) and the nesting of terms decoded from
	// JSON.
	MaxDepth = 512
)

type nodeKind uint8

const (
	nNum nodeKind = iota
	nStr
	nBool
	nNull
	nArray
	nObject
	nFunc
	nIdent
	nMember
	nCall
)

// node is an expression of the accepted JavaScript subset.
type node struct {
	kind nodeKind
	pos  pos
	num  float64
	str  string // string value, identifier or member name
	b    bool
	// elems holds array elements and call arguments.
	elems []*node
	props []prop
	// obj is the object of a member access or the callee of a call.
	obj *node
	// Functions: parameter names and the returned expression; body is nil
	// when the function returns undefined.
	params []string
	body   *node
	arrow  bool
}

type prop struct {
	key   string
	pos   pos
	value *node
	// proto marks `__proto__: v`, which sets the prototype instead of
	// creating a property.
	proto bool
}

type parser struct {
	lx    lexer
	tok   token
	depth int
}

func (p *parser) next() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) enter(at pos) error {
	p.depth++
	if p.depth > MaxDepth {
		return errAt(at, "expression nested too deeply (more than %d levels)", MaxDepth)
	}
	return nil
}

// parseProgram parses the whole input: one expression, optionally
// followed by .run(...) and semicolons.
func (p *parser) parseProgram() (*node, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, errAt(p.tok.pos, "empty input: expected a ReQL expression such as r.table('users')")
	}
	n, err := p.parseExpr(true)
	if err != nil {
		return nil, err
	}
	for p.tok.is(";") {
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if p.tok.kind != tEOF {
		if p.tok.is(".") {
			return nil, errAt(p.tok.pos, "unexpected '.' after .run(...): .run(...) must end the query")
		}
		return nil, p.unexpected("after the end of the expression")
	}
	return n, nil
}

// operatorHints explain why a JavaScript operator is rejected.
var operatorHints = map[string]string{
	"+":   "use .add(...)",
	"-":   "use .sub(...)",
	"*":   "use .mul(...)",
	"/":   "use .div(...)",
	"%":   "use .mod(...)",
	"==":  "use .eq(...)",
	"===": "use .eq(...)",
	"!=":  "use .ne(...)",
	"!==": "use .ne(...)",
	"<":   "use .lt(...)",
	"<=":  "use .le(...)",
	">":   "use .gt(...)",
	">=":  "use .ge(...)",
	"&&":  "use .and(...)",
	"||":  "use .or(...)",
	"!":   "use .not() or r.not(...)",
	"?":   "use r.branch(test, then, else)",
	"&":   "use .bitAnd(...)",
	"|":   "use .bitOr(...)",
	"^":   "use .bitXor(...)",
	"~":   "use .bitNot()",
	"<<":  "use .bitSal(...)",
	">>":  "use .bitSar(...)",
	"**":  "there is no power operator in ReQL",
	"??":  "use .default(...)",
	"?.":  "optional chaining is not supported; use .default(...)",
	"...": "spread is not supported; use r.args([...])",
}

// unexpected builds the error for the current token, explaining
// operators and statements.
func (p *parser) unexpected(context string) error {
	t := p.tok
	if t.kind == tPunct {
		if hint, ok := operatorHints[t.text]; ok {
			return errAt(t.pos, "unexpected '%s' %s: JavaScript operators are not supported; %s", t.text, context, hint)
		}
		if strings.HasSuffix(t.text, "=") && t.text != "=>" {
			return errAt(t.pos, "unexpected '%s' %s: assignments are not supported", t.text, context)
		}
		if t.text == "[" {
			return errAt(t.pos, "unexpected '[' %s: use x('field') or x.nth(i) instead of x[...]", context)
		}
	}
	return errAt(t.pos, "unexpected %s %s", t.describe(), context)
}

// statementWords start statements, which are not accepted.
var statementWords = map[string]bool{
	"var": true, "let": true, "const": true, "if": true, "for": true, "while": true,
	"do": true, "return": true, "throw": true, "try": true, "switch": true, "class": true,
	"import": true, "export": true, "await": true, "async": true, "yield": true,
	"delete": true, "typeof": true, "void": true, "break": true, "continue": true,
	"this": true, "super": true, "in": true, "instanceof": true, "with": true,
	"debugger": true, "else": true, "case": true, "default": true, "catch": true,
	"finally": true, "extends": true, "enum": true,
}

func (p *parser) parseExpr(top bool) (*node, error) {
	if err := p.enter(p.tok.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	return p.parsePostfix(n, top)
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.tok
	switch t.kind {
	case tNum:
		return &node{kind: nNum, pos: t.pos, num: t.num}, p.next()
	case tStr:
		return &node{kind: nStr, pos: t.pos, str: t.str}, p.next()
	case tEOF:
		return nil, errAt(t.pos, "unexpected end of input: expected an expression")
	case tIdent:
		switch t.text {
		case "true", "false":
			return &node{kind: nBool, pos: t.pos, b: t.text == "true"}, p.next()
		case "null":
			return &node{kind: nNull, pos: t.pos}, p.next()
		case "function":
			return p.parseFunction()
		case "undefined":
			return nil, errAt(t.pos, "undefined is not a ReQL value; use null")
		case "new":
			return nil, errAt(t.pos, "'new' is not supported; use r.now(), r.time(...) or r.ISO8601(...) for dates")
		}
		if statementWords[t.text] {
			return nil, errAt(t.pos, "unexpected '%s': only a single ReQL expression is accepted, not JavaScript statements", t.text)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.is("=>") {
			return p.parseArrowBody(t.pos, []string{t.text})
		}
		return &node{kind: nIdent, pos: t.pos, str: t.text}, nil
	case tPunct:
		switch t.text {
		case "[":
			return p.parseArray()
		case "{":
			return p.parseObject()
		case "(":
			return p.parseParen()
		case "-", "+":
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tNum {
				return nil, errAt(t.pos, "unary '%s' is only supported before a number literal; use r.sub(0, x) or x.mul(-1)", t.text)
			}
			v := p.tok.num
			if t.text == "-" {
				v = -v
			}
			return &node{kind: nNum, pos: t.pos, num: v}, p.next()
		}
	}
	if hint, ok := operatorHints[t.text]; ok && t.kind == tPunct {
		return nil, errAt(t.pos, "unexpected '%s': expected an expression (JavaScript operators are not supported; %s)", t.text, hint)
	}
	return nil, errAt(t.pos, "unexpected %s: expected an expression", t.describe())
}

// parsePostfix parses method links .name, calls (...), and at the top
// level a final .run(...), which is dropped.
func (p *parser) parsePostfix(n *node, top bool) (*node, error) {
	links := 0
	defer func() { p.depth -= links }()
	for {
		switch {
		case p.tok.is("."):
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tIdent {
				return nil, errAt(p.tok.pos, "expected a method name after '.', found %s", p.tok.describe())
			}
			name := p.tok
			if err := p.next(); err != nil {
				return nil, err
			}
			if name.text == "run" && p.tok.is("(") {
				if !top {
					return nil, errAt(name.pos, ".run(...) is only allowed at the end of the whole query")
				}
				if err := p.skipBalanced(); err != nil {
					return nil, err
				}
				return n, nil
			}
			n = &node{kind: nMember, pos: name.pos, obj: n, str: name.text}
		case p.tok.is("("):
			links++
			if err := p.enter(p.tok.pos); err != nil {
				return nil, err
			}
			call := &node{kind: nCall, pos: p.tok.pos, obj: n}
			args, err := p.parseList(")", "arguments", "argument")
			if err != nil {
				return nil, err
			}
			call.elems = args
			n = call
		case p.tok.is("["):
			return nil, errAt(p.tok.pos, "x[...] indexing is not supported: use x('field') for a field or x.nth(i) for an element")
		case p.tok.is("?."):
			return nil, errAt(p.tok.pos, "optional chaining '?.' is not supported; use .default(...)")
		default:
			return n, nil
		}
	}
}

// parseList parses comma-separated expressions after the current opening
// token up to close; a trailing comma is allowed.
func (p *parser) parseList(close, what, one string) ([]*node, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	var items []*node
	for !p.tok.is(close) {
		if p.tok.is(",") {
			if close == "]" {
				return nil, errAt(p.tok.pos, "array holes ([1,,2]) are not supported")
			}
			return nil, errAt(p.tok.pos, "unexpected ',': expected an %s or '%s'", one, close)
		}
		if p.tok.is("...") {
			return nil, errAt(p.tok.pos, "spread '...' is not supported; use r.args([...])")
		}
		item, err := p.parseExpr(false)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
		if p.tok.is(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.tok.is(close) {
			if p.tok.kind == tEOF {
				return nil, errAt(p.tok.pos, "expected '%s' after %s", close, what)
			}
			if _, op := operatorHints[p.tok.text]; op && p.tok.kind == tPunct {
				return nil, p.unexpected("in " + what)
			}
			return nil, errAt(p.tok.pos, "expected ',' or '%s' after %s, found %s", close, one, p.tok.describe())
		}
	}
	return items, p.next()
}

func (p *parser) parseArray() (*node, error) {
	n := &node{kind: nArray, pos: p.tok.pos}
	elems, err := p.parseList("]", "array elements", "array element")
	n.elems = elems
	return n, err
}

func (p *parser) parseObject() (*node, error) {
	n := &node{kind: nObject, pos: p.tok.pos}
	if err := p.next(); err != nil {
		return nil, err
	}
	sawProto := false
	for !p.tok.is("}") {
		kt := p.tok
		var key string
		isName := false
		switch kt.kind {
		case tIdent:
			key, isName = kt.text, true
		case tStr:
			key = kt.str
		case tNum:
			s, err := jsNumberString(kt.num)
			if err != nil {
				s = "Infinity"
			}
			key = s
		case tEOF:
			return nil, errAt(kt.pos, "expected '}' after object properties")
		default:
			switch kt.text {
			case "[":
				return nil, errAt(kt.pos, "computed property keys [..] are not supported")
			case "...":
				return nil, errAt(kt.pos, "spread '...' is not supported in object literals")
			}
			return nil, errAt(kt.pos, "expected a property name, found %s", kt.describe())
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		pr := prop{key: key, pos: kt.pos}
		switch {
		case p.tok.is(":"):
			if err := p.next(); err != nil {
				return nil, err
			}
			v, err := p.parseExpr(false)
			if err != nil {
				return nil, err
			}
			pr.value = v
			if key == "__proto__" && kt.kind != tNum {
				if sawProto {
					return nil, errAt(kt.pos, "duplicate __proto__ fields are not allowed in object literals")
				}
				sawProto, pr.proto = true, true
			}
		case isName && (p.tok.is(",") || p.tok.is("}")):
			if statementWords[key] || key == "true" || key == "false" || key == "null" || key == "function" {
				return nil, errAt(kt.pos, "'%s' cannot be used as a shorthand property", key)
			}
			pr.value = &node{kind: nIdent, pos: kt.pos, str: key}
		case p.tok.is("("):
			return nil, errAt(p.tok.pos, "method definitions in object literals are not supported; use key: function(...) {...}")
		default:
			return nil, errAt(p.tok.pos, "expected ':' after property name, found %s", p.tok.describe())
		}
		n.props = append(n.props, pr)
		if p.tok.is(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.tok.is("}") {
			if p.tok.kind == tEOF {
				return nil, errAt(p.tok.pos, "expected '}' after object properties")
			}
			if _, op := operatorHints[p.tok.text]; op && p.tok.kind == tPunct {
				return nil, p.unexpected("in object literal")
			}
			return nil, errAt(p.tok.pos, "expected ',' or '}' after object property, found %s", p.tok.describe())
		}
	}
	return n, p.next()
}

// parseParen parses "(" which starts either arrow function parameters or
// a parenthesised expression.
func (p *parser) parseParen() (*node, error) {
	open := p.tok.pos
	if params, ok := p.arrowParams(); ok {
		return p.parseArrowBody(open, params)
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	inner, err := p.parseExpr(false)
	if err != nil {
		return nil, err
	}
	if !p.tok.is(")") {
		if p.tok.is(",") {
			return nil, errAt(p.tok.pos, "comma expressions are not supported")
		}
		if p.tok.kind == tEOF {
			return nil, errAt(p.tok.pos, "expected ')' to close the '(' at %d:%d", open.line, open.col)
		}
		return nil, p.unexpected("in parentheses")
	}
	return inner, p.next()
}

// arrowParams looks ahead from "(" for "(a, b) =>". On success it leaves
// the parser on "=>"; otherwise it restores the state.
func (p *parser) arrowParams() ([]string, bool) {
	savedLx, savedTok := p.lx, p.tok
	restore := func() ([]string, bool) {
		p.lx, p.tok = savedLx, savedTok
		return nil, false
	}
	var params []string
	if p.next() != nil {
		return restore()
	}
	for !p.tok.is(")") {
		if p.tok.kind != tIdent {
			return restore()
		}
		params = append(params, p.tok.text)
		if p.next() != nil {
			return restore()
		}
		if p.tok.is(",") {
			if p.next() != nil {
				return restore()
			}
		} else if !p.tok.is(")") {
			return restore()
		}
	}
	if p.next() != nil || !p.tok.is("=>") {
		return restore()
	}
	return params, true
}

// parseArrowBody parses "=> body" with the parser on "=>".
func (p *parser) parseArrowBody(at pos, params []string) (*node, error) {
	if err := p.checkParams(at, params, true); err != nil {
		return nil, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	fn := &node{kind: nFunc, pos: at, params: params, arrow: true}
	if p.tok.is("{") {
		body, err := p.parseBlock()
		if err != nil {
			return nil, err
		}
		fn.body = body
		return fn, nil
	}
	body, err := p.parseExpr(false)
	if err != nil {
		return nil, err
	}
	fn.body = body
	return fn, nil
}

// reservedParams may not name a parameter.
var reservedParams = map[string]bool{"true": true, "false": true, "null": true, "function": true, "new": true}

func (p *parser) checkParams(at pos, params []string, arrow bool) error {
	seen := map[string]bool{}
	for _, name := range params {
		if reservedParams[name] || statementWords[name] {
			return errAt(at, "'%s' cannot be used as a parameter name", name)
		}
		if seen[name] && arrow {
			return errAt(at, "duplicate parameter name '%s'", name)
		}
		seen[name] = true
	}
	return nil
}

// parseFunction parses function [name](params) { return expr; }.
func (p *parser) parseFunction() (*node, error) {
	fn := &node{kind: nFunc, pos: p.tok.pos}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tIdent { // optional name, ignored
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if !p.tok.is("(") {
		return nil, errAt(p.tok.pos, "expected '(' after 'function', found %s", p.tok.describe())
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	for !p.tok.is(")") {
		switch {
		case p.tok.kind == tIdent:
			fn.params = append(fn.params, p.tok.text)
		case p.tok.is("..."):
			return nil, errAt(p.tok.pos, "rest parameters are not supported")
		case p.tok.is("{") || p.tok.is("["):
			return nil, errAt(p.tok.pos, "destructuring parameters are not supported")
		default:
			return nil, errAt(p.tok.pos, "expected a parameter name, found %s", p.tok.describe())
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.is("=") {
			return nil, errAt(p.tok.pos, "default parameter values are not supported")
		}
		if p.tok.is(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
		} else if !p.tok.is(")") {
			return nil, errAt(p.tok.pos, "expected ',' or ')' after parameter, found %s", p.tok.describe())
		}
	}
	if err := p.checkParams(fn.pos, fn.params, false); err != nil {
		return nil, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	if !p.tok.is("{") {
		return nil, errAt(p.tok.pos, "expected '{' to start the function body, found %s", p.tok.describe())
	}
	body, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	fn.body = body
	return fn, nil
}

// parseBlock parses "{ return expr; }" (or an empty body, which returns
// undefined) with the parser on "{". It returns the returned expression.
func (p *parser) parseBlock() (*node, error) {
	open := p.tok.pos
	if err := p.next(); err != nil {
		return nil, err
	}
	skipSemis := func() error {
		for p.tok.is(";") {
			if err := p.next(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := skipSemis(); err != nil {
		return nil, err
	}
	var body *node
	switch {
	case p.tok.is("}"):
		// An empty body returns undefined.
	case p.tok.isIdent("return"):
		ret := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.nl && !p.tok.is("}") && !p.tok.is(";") && p.tok.kind != tEOF {
			return nil, errAt(ret.pos, "'return' followed by a line break returns undefined in JavaScript; start the expression on the same line as 'return'")
		}
		if !p.tok.is(";") && !p.tok.is("}") {
			var err error
			if body, err = p.parseExpr(false); err != nil {
				return nil, err
			}
		}
		if err := skipSemis(); err != nil {
			return nil, err
		}
	case p.tok.kind == tIdent && statementWords[p.tok.text]:
		return nil, errAt(p.tok.pos, "a function body must be a single 'return <expression>;' statement; JavaScript statements ('%s') are not supported", p.tok.text)
	case p.tok.kind == tIdent || p.tok.kind == tStr || p.tok.kind == tNum:
		// { a: 1 } after => is a block with a label, not an object.
		look := p.lx
		if nt, err := look.next(); err == nil && nt.is(":") {
			return nil, errAt(open, "a function body in braces is a block, not an object literal: to return an object write ({...}), e.g. x => ({a: 1})")
		}
		return nil, errAt(p.tok.pos, "a function body must be a single 'return <expression>;' statement (did you forget 'return'?)")
	case p.tok.is("(") || p.tok.is("["):
		return nil, errAt(p.tok.pos, "a function body must be a single 'return <expression>;' statement (did you forget 'return'?)")
	default:
		return nil, errAt(p.tok.pos, "a function body must be a single 'return <expression>;' statement, found %s", p.tok.describe())
	}
	if !p.tok.is("}") {
		if p.tok.kind == tEOF {
			return nil, errAt(p.tok.pos, "expected '}' to close the function body opened at %d:%d", open.line, open.col)
		}
		if _, op := operatorHints[p.tok.text]; op && p.tok.kind == tPunct {
			return nil, p.unexpected("in return expression")
		}
		return nil, errAt(p.tok.pos, "expected '}' after the return statement: a function body must be a single 'return <expression>;' statement, found %s", p.tok.describe())
	}
	return body, p.next()
}

// skipBalanced skips the argument list of .run(...) (connection, options,
// callback: none of it belongs to the query), with the parser on "(".
func (p *parser) skipBalanced() error {
	open := p.tok.pos
	var stack []string
	closer := map[string]string{"(": ")", "[": "]", "{": "}"}
	for {
		t := p.tok
		switch {
		case t.kind == tEOF:
			return errAt(open, "unterminated .run(...) call")
		case t.kind == tPunct && closer[t.text] != "":
			stack = append(stack, closer[t.text])
		case t.kind == tPunct && (t.text == ")" || t.text == "]" || t.text == "}"):
			if stack[len(stack)-1] != t.text {
				return errAt(t.pos, "mismatched '%s' in .run(...) arguments", t.text)
			}
			stack = stack[:len(stack)-1]
		}
		if err := p.next(); err != nil {
			return err
		}
		if len(stack) == 0 {
			return nil
		}
	}
}
