package reql

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Times: NOW, TIME, EPOCH_TIME, ISO8601, TO_ISO8601, TO_EPOCH_TIME,
// IN_TIMEZONE, TIMEZONE, DURING, DATE, TIME_OF_DAY, the portions (YEAR ...
// SECONDS) and the constants MONDAY..SUNDAY, JANUARY..DECEMBER, as in
// RethinkDB's src/rdb_protocol/terms/time.cc and pseudo_time.cc.
//
// A time is the TIME pseudo-type {"$reql_type$":"TIME","epoch_time":<seconds,
// rounded to milliseconds>,"timezone":"+HH:MM"}. Only fixed offsets exist.
// RethinkDB computes calendar fields with boost, whose dates only cover the
// years 1400..10000; outside them it fails with boost's messages, which are
// reproduced here.

func init() {
	register(TermNow, spec{minArgs: 0, maxArgs: 0, eval: tmEvalNow})
	register(TermTime, spec{minArgs: 4, maxArgs: 7, eval: tmEvalTimeTerm})
	register(TermEpochTime, spec{minArgs: 1, maxArgs: 1, eval: tmEvalEpochTime})
	register(TermIso8601, spec{minArgs: 1, maxArgs: 1, optargs: []string{"default_timezone"}, eval: tmEvalISO8601})
	register(TermToIso8601, spec{minArgs: 1, maxArgs: 1, eval: tmEvalToISO8601})
	register(TermToEpochTime, spec{minArgs: 1, maxArgs: 1, eval: tmEvalToEpochTime})
	register(TermInTimezone, spec{minArgs: 2, maxArgs: 2, eval: tmEvalInTimezone})
	register(TermTimezone, spec{minArgs: 1, maxArgs: 1, eval: tmEvalTimezone})
	register(TermDuring, spec{minArgs: 3, maxArgs: 3, optargs: []string{"left_bound", "right_bound"}, eval: tmEvalDuring})
	register(TermDate, spec{minArgs: 1, maxArgs: 1, eval: tmEvalDate})
	register(TermTimeOfDay, spec{minArgs: 1, maxArgs: 1, eval: tmEvalTimeOfDay})
	for tt, p := range map[TermType]tmPortion{
		TermYear: tmYear, TermMonth: tmMonth, TermDay: tmDay,
		TermDayOfWeek: tmDayOfWeek, TermDayOfYear: tmDayOfYear,
		TermHours: tmHours, TermMinutes: tmMinutes, TermSeconds: tmSeconds,
	} {
		register(tt, spec{minArgs: 1, maxArgs: 1, eval: tmPortionEval(p)})
	}
	consts := []TermType{
		TermMonday, TermTuesday, TermWednesday, TermThursday, TermFriday, TermSaturday, TermSunday,
		TermJanuary, TermFebruary, TermMarch, TermApril, TermMay, TermJune,
		TermJuly, TermAugust, TermSeptember, TermOctober, TermNovember, TermDecember,
	}
	for i, tt := range consts {
		n := float64(i + 1) // MONDAY is 1 ... SUNDAY is 7
		if i >= 7 {
			n = float64(i - 6) // JANUARY is 1 ... DECEMBER is 12
		}
		register(tt, spec{minArgs: 0, maxArgs: 0, eval: func(*evalCtx, *Term) (any, error) { return n, nil }})
	}
}

const (
	tmEpochKey = "epoch_time"
	tmZoneKey  = "timezone"
	// tmTruncLen is RethinkDB's limit for datums printed into error messages.
	tmTruncLen = 300
)

// tmTruncPrint is RethinkDB's datum_t::trunc_print: print, cut to 300 bytes.
func tmTruncPrint(v any) string {
	s := printDatum(v)
	if len(s) > tmTruncLen {
		s = s[:tmTruncLen-3] + "..."
	}
	return s
}

// tmRoundEpoch is RethinkDB's sanitize_epoch_sec: times keep milliseconds.
func tmRoundEpoch(d float64) float64 { return math.Round(d*1000) / 1000 }

// tmMake builds a TIME pseudo-type; tz must already be sanitized.
func tmMake(epoch float64, tz string) map[string]any {
	return map[string]any{reqlTypeField: "TIME", tmEpochKey: tmRoundEpoch(epoch), tmZoneKey: tz}
}

func tmErr(format string, args ...any) *Error {
	return newErr(ErrQueryLogic, format, args...)
}

// Boost's date errors, as RethinkDB reports them ("Error in time logic: ...").
func tmErrBadYear() *Error {
	return tmErr("Error in time logic: Year is out of valid range: 1400..10000.")
}
func tmErrBadMonth() *Error {
	return tmErr("Error in time logic: Month number is out of range 1..12.")
}
func tmErrBadDay() *Error {
	return tmErr("Error in time logic: Day of month value is out of range 1..31.")
}
func tmErrDayNotValid() *Error {
	return tmErr("Error in time logic: Day of month is not valid for year.")
}

// tmSanitizeTZ is RethinkDB's sanitize::tz: it accepts "Z", ±hh, ±hhmm and
// ±hh:mm and returns ±hh:mm. (As in RethinkDB, the hours/minutes range check
// only applies to the forms with minutes.)
func tmSanitizeTZ(s string) (string, *Error) {
	if s == "-00" || s == "-00:00" {
		return "", tmErr("`%s` is not a valid time offset.", s)
	}
	if s == "Z" {
		return "+00:00", nil
	}
	p := &tmScanner{s: s}
	if !p.optional('-', false) && !p.optional('+', false) {
		return "", tmErr("Timezone `%s` does not start with `-` or `+`.", s)
	}
	if err := p.digits(2); err != nil {
		return "", err
	}
	if p.done() {
		return p.out.String() + ":00", nil
	}
	p.optional(':', true)
	if err := p.digits(2); err != nil {
		return "", err
	}
	if !p.done() {
		return "", tmErr("Garbage characters `%s` at end of timezone string `%s`.", s[p.at:], s)
	}
	out := p.out.String()
	if !(((out[1] == '0' || out[1] == '1') && tmIsDigit(out[2])) || (out[1] == '2' && out[2] >= '0' && out[2] <= '4')) {
		return "", tmErr("Hours out of range in `%s`.", s)
	}
	if !(out[4] >= '0' && out[4] <= '5' && tmIsDigit(out[5])) {
		return "", tmErr("Minutes out of range in `%s`.", s)
	}
	return out, nil
}

func tmIsDigit(b byte) bool { return b >= '0' && b <= '9' }

// tmOffset returns the offset in seconds of a sanitized ±hh:mm string.
func tmOffset(tz string) int64 {
	if len(tz) != 6 {
		return 0
	}
	h := int64(tz[1]-'0')*10 + int64(tz[2]-'0')
	m := int64(tz[4]-'0')*10 + int64(tz[5]-'0')
	off := h*3600 + m*60
	if tz[0] == '-' {
		off = -off
	}
	return off
}

// tmSanitizePtype validates a TIME pseudo-type as RethinkDB's
// sanitize_time does for every TIME datum it builds (including those drivers
// send): epoch_time must be a number (rounded to milliseconds), timezone a
// valid offset (normalized), and no other field may be present. It returns m
// itself when nothing changes, or a new map.
func tmSanitizePtype(m map[string]any) (map[string]any, error) {
	msg := ""
	hasEpoch, hasTZ := false, false
	var epoch float64
	var tz string
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case tmEpochKey:
			n, ok := v.(float64)
			if !ok {
				msg = fmt.Sprintf("field `%s` must be a number (got `%s` of type %s)", tmEpochKey, tmTruncPrint(v), typeName(v))
			}
			hasEpoch, epoch = ok, n
		case tmZoneKey:
			s, ok := v.(string)
			if !ok {
				msg = fmt.Sprintf("field `%s` must be a string (got `%s` of type %s)", tmZoneKey, tmTruncPrint(v), typeName(v))
				break
			}
			san, err := tmSanitizeTZ(s)
			if err != nil {
				msg = fmt.Sprintf("invalid timezone string `%s`", tmTruncPrint(v))
				break
			}
			hasTZ, tz = true, san
		case reqlTypeField:
		default:
			msg = fmt.Sprintf("unrecognized field `%s`", k)
		}
		if msg != "" {
			break
		}
	}
	if msg == "" && !hasEpoch {
		msg = fmt.Sprintf("no field `%s`", tmEpochKey)
	} else if msg == "" && !hasTZ {
		msg = fmt.Sprintf("no field `%s`", tmZoneKey)
	}
	if msg != "" {
		return nil, tmErr("Invalid time object constructed (%s):\n%s", msg, tmTruncPrint(m))
	}
	if tmRoundEpoch(epoch) == epoch && tz == m[tmZoneKey] {
		return m, nil
	}
	return tmMake(epoch, tz), nil
}

// tmSanitizeDatum validates (and normalizes) every TIME pseudo-type inside
// a datum, copying only what changes. It is meant for datums that come from
// drivers (DATUM and MAKE_OBJ terms).
func tmSanitizeDatum(v any) (any, error) {
	out, _, err := tmSanitizeIn(v)
	return out, err
}

func tmSanitizeIn(v any) (any, bool, error) {
	switch x := v.(type) {
	case []any:
		var out []any
		for i, e := range x {
			ne, changed, err := tmSanitizeIn(e)
			if err != nil {
				return nil, false, err
			}
			if changed && out == nil {
				out = make([]any, len(x))
				copy(out, x)
			}
			if out != nil {
				out[i] = ne
			}
		}
		if out != nil {
			return out, true, nil
		}
	case map[string]any:
		if x[reqlTypeField] == "TIME" {
			m, err := tmSanitizePtype(x)
			if err != nil {
				return nil, false, err
			}
			return m, !datumEqual(m, x), nil
		}
		var out map[string]any
		for k, e := range x {
			ne, changed, err := tmSanitizeIn(e)
			if err != nil {
				return nil, false, err
			}
			if changed && out == nil {
				out = make(map[string]any, len(x))
				for k2, e2 := range x {
					out[k2] = e2
				}
			}
			if out != nil {
				out[k] = ne
			}
		}
		if out != nil {
			return out, true, nil
		}
	}
	return v, false, nil
}

// tmEvalTime evaluates a TIME argument ("Not a TIME pseudotype: `1`.") and
// validates it.
func (c *evalCtx) tmEvalTime(t *Term) (map[string]any, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok || m[reqlTypeField] != "TIME" {
		return nil, withBacktrace(tmErr("Not a TIME pseudotype: `%s`.", tmTruncPrint(v)), t.bt)
	}
	m, err = tmSanitizePtype(m)
	if err != nil {
		return nil, withBacktrace(err, t.bt)
	}
	return m, nil
}

// tmFields extracts a validated time's epoch and timezone.
func tmFields(m map[string]any) (float64, string) {
	e, _ := m[tmEpochKey].(float64)
	tz, _ := m[tmZoneKey].(string)
	return e, tz
}

// Bounds (in seconds) well outside boost's years 1400..10000, checked before
// converting to integers.
const (
	tmMinSeconds = -20000000000.0
	tmMaxSeconds = 260000000000.0
)

// tmLocal returns the wall-clock time of a TIME value in its own offset,
// failing as boost does outside the years 1400..10000.
func tmLocal(m map[string]any) (time.Time, error) {
	epoch, tz := tmFields(m)
	off := tmOffset(tz)
	if epoch+float64(off) < tmMinSeconds || epoch+float64(off) > tmMaxSeconds {
		return time.Time{}, tmErrBadYear()
	}
	ms := int64(math.Round(epoch * 1000))
	lt := time.UnixMilli(ms).In(time.FixedZone(tz, int(off)))
	if y := lt.Year(); y < 1400 || y > 10000 {
		return time.Time{}, tmErrBadYear()
	}
	if y := lt.UTC().Year(); y < 1400 || y > 10000 {
		return time.Time{}, tmErrBadYear()
	}
	return lt, nil
}

func tmEvalNow(c *evalCtx, _ *Term) (any, error) {
	return tmMake(float64(c.now.UnixMicro())/1e6, "+00:00"), nil
}

func tmEvalEpochTime(c *evalCtx, t *Term) (any, error) {
	n, err := c.evalNumber(t.Args[0])
	if err != nil {
		return nil, err
	}
	return tmMake(n, "+00:00"), nil
}

func tmEvalToEpochTime(c *evalCtx, t *Term) (any, error) {
	m, err := c.tmEvalTime(t.Args[0])
	if err != nil {
		return nil, err
	}
	e, _ := tmFields(m)
	return e, nil
}

func tmEvalTimezone(c *evalCtx, t *Term) (any, error) {
	m, err := c.tmEvalTime(t.Args[0])
	if err != nil {
		return nil, err
	}
	_, tz := tmFields(m)
	return tz, nil
}

func tmEvalInTimezone(c *evalCtx, t *Term) (any, error) {
	m, err := c.tmEvalTime(t.Args[0])
	if err != nil {
		return nil, err
	}
	s, err := c.evalString(t.Args[1])
	if err != nil {
		return nil, err
	}
	tz, serr := tmSanitizeTZ(s)
	if serr != nil {
		return nil, serr
	}
	e, _ := tmFields(m)
	return tmMake(e, tz), nil
}

// tmDaysFromCivil is the number of days from 1970-01-01 to y-m-d (proleptic
// Gregorian calendar).
func tmDaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func tmIsLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func tmDaysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if tmIsLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// tmCheckDate validates a calendar date as boost's gregorian::date does.
func tmCheckDate(y, m, d int64) *Error {
	if y < 1400 || y > 10000 {
		return tmErrBadYear()
	}
	if m < 1 || m > 12 {
		return tmErrBadMonth()
	}
	if d < 1 || d > 31 {
		return tmErrBadDay()
	}
	if d > tmDaysInMonth(y, m) {
		return tmErrDayNotValid()
	}
	return nil
}

func tmEvalTimeTerm(c *evalCtx, t *Term) (any, error) {
	n := len(t.Args)
	if n != 4 && n != 7 {
		return nil, tmErr("Got %d arguments to TIME (expected 4 or 7).", n)
	}
	var ints [5]int64
	for i := 0; i < 3; i++ {
		v, err := c.evalInt(t.Args[i])
		if err != nil {
			return nil, err
		}
		ints[i] = v
	}
	var seconds float64
	tzArg := t.Args[3]
	if n == 7 {
		for i := 3; i < 5; i++ {
			v, err := c.evalInt(t.Args[i])
			if err != nil {
				return nil, err
			}
			ints[i] = v
		}
		s, err := c.evalNumber(t.Args[5])
		if err != nil {
			return nil, err
		}
		seconds = s
		tzArg = t.Args[6]
	}
	tzRaw, err := c.evalString(tzArg)
	if err != nil {
		return nil, err
	}
	year, month, day, hours, minutes := ints[0], ints[1], ints[2], ints[3], ints[4]
	if err := tmCheckDate(year, month, day); err != nil {
		return nil, err
	}
	tz, serr := tmSanitizeTZ(tzRaw)
	if serr != nil {
		return nil, serr
	}
	const span = 1e12 // far beyond boost's representable years
	if math.Abs(float64(hours))*3600+math.Abs(float64(minutes))*60+math.Abs(seconds) > span {
		return nil, tmErrBadYear()
	}
	// As boost: whole seconds, then microseconds truncated toward zero.
	base := tmDaysFromCivil(year, month, day)*86400 + hours*3600 + minutes*60 - tmOffset(tz)
	sec := int64(seconds)
	micros := int64(seconds*1e6 - float64(sec)*1e6)
	epoch := float64(base+sec) + float64(micros)/1e6
	out := tmMake(epoch, tz)
	if _, err := tmLocal(out); err != nil {
		return nil, err
	}
	return out, nil
}

// tmScanner implements the character helpers of RethinkDB's ISO 8601
// sanitizer (mandatory_digits, optional_char).
type tmScanner struct {
	s   string
	at  int
	out strings.Builder
}

func (p *tmScanner) done() bool { return p.at >= len(p.s) }

// digits copies n mandatory digits.
func (p *tmScanner) digits(n int) *Error {
	for i := 0; i < n; i++ {
		if p.at >= len(p.s) {
			return tmErr("Invalid time zone string `%s`. Valid time zones are `+hh:mm`, `-hh:mm`, `+hhmm`, `-hhmm`, `+hh`, `-hh` and `Z`.", p.s)
		}
		ch := p.s[p.at]
		if !tmIsDigit(ch) {
			return tmErr("Invalid date string `%s` (got `%s` but expected a digit).", p.s, tmRuneAt(p.s, p.at))
		}
		p.at++
		p.out.WriteByte(ch)
	}
	return nil
}

// skipDigits consumes n mandatory digits without copying them.
func (p *tmScanner) skipDigits(n int) *Error {
	saved := p.out.String()
	err := p.digits(n)
	p.out.Reset()
	p.out.WriteString(saved)
	return err
}

// optional consumes ch if it is next; include writes ch to the output even
// when it is absent (RethinkDB's INCLUDE behaviour).
func (p *tmScanner) optional(ch byte, include bool) bool {
	if p.at < len(p.s) && p.s[p.at] == ch {
		p.at++
		p.out.WriteByte(ch)
		return true
	}
	if include {
		p.out.WriteByte(ch)
	}
	return false
}

// tmRuneAt returns the character starting at byte i (RethinkDB prints the
// byte; printing the whole character keeps the message valid UTF-8).
func tmRuneAt(s string, i int) string {
	for j, r := range s {
		if j == i {
			return string(r)
		}
		if j > i {
			break
		}
	}
	return s[i : i+1]
}

type tmDateFormat int

const (
	tmMonthDay tmDateFormat = iota
	tmWeek
	tmDayCount
)

// tmSanitizeDate normalizes a date to YYYY-MM-DD or YYYY-DDD.
func tmSanitizeDate(s string) (string, tmDateFormat, *Error) {
	p := &tmScanner{s: s}
	if err := p.digits(4); err != nil {
		return "", 0, err
	}
	if p.done() {
		return p.out.String() + "-01-01", tmMonthDay, nil
	}
	firstHyphen := p.optional('-', true)
	var df tmDateFormat
	switch {
	case p.optional('W', false):
		df = tmWeek
		if err := p.digits(2); err != nil {
			return "", 0, err
		}
		if p.done() {
			return p.out.String() + "-1", df, nil
		}
		p.optional('-', true)
		if err := p.digits(1); err != nil {
			return "", 0, err
		}
	case len(s)-p.at == 3:
		df = tmDayCount
		if err := p.digits(3); err != nil {
			return "", 0, err
		}
	default:
		df = tmMonthDay
		if err := p.digits(2); err != nil {
			return "", 0, err
		}
		if firstHyphen && p.done() {
			return p.out.String() + "-01", df, nil
		}
		secondHyphen := p.optional('-', true)
		if firstHyphen != secondHyphen {
			return "", 0, tmErr("Date string `%s` must have 0 or 2 hyphens.", s)
		}
		if err := p.digits(2); err != nil {
			return "", 0, err
		}
	}
	if !p.done() {
		return "", 0, tmErr("Garbage characters `%s` at end of date string `%s`.", s[p.at:], s)
	}
	return p.out.String(), df, nil
}

// tmSanitizeClock normalizes a time to hh:mm:ss.fff (extra fraction digits
// are dropped, not rounded, as in RethinkDB).
func tmSanitizeClock(s string) (string, *Error) {
	p := &tmScanner{s: s}
	if err := p.digits(2); err != nil {
		return "", err
	}
	if p.done() {
		return p.out.String() + ":00:00.000", nil
	}
	firstColon := p.optional(':', true)
	if err := p.digits(2); err != nil {
		return "", err
	}
	if p.done() {
		return p.out.String() + ":00.000", nil
	}
	secondColon := p.optional(':', true)
	if firstColon != secondColon {
		return "", tmErr("Time string `%s` must have 0 or 2 colons.", s)
	}
	if err := p.digits(2); err != nil {
		return "", err
	}
	if p.optional('.', true) {
		read := 0
		for !p.done() && read < 3 {
			if err := p.digits(1); err != nil {
				return "", err
			}
			read++
		}
		for !p.done() {
			if err := p.skipDigits(1); err != nil {
				return "", err
			}
		}
		for ; read < 3; read++ {
			p.out.WriteByte('0')
		}
	} else {
		p.out.WriteString("000")
	}
	if !p.done() {
		return "", tmErr("Garbage characters `%s` at end of time string `%s`.", s[p.at:], s)
	}
	return p.out.String(), nil
}

// tmParseISO8601 is RethinkDB's iso8601_to_time: sanitize, then interpret the
// normalized fields (boost's date checks included).
func tmParseISO8601(s, defaultTZ string) (map[string]any, *Error) {
	datePart, timePart, tzPart := s, "", ""
	hasT, hasTZ := false, false
	if i := strings.IndexByte(s, 'T'); i >= 0 {
		datePart, hasT = s[:i], true
		rest := s[i+1:]
		sign := strings.IndexByte(rest, '-')
		if sign < 0 {
			sign = strings.IndexByte(rest, '+')
		}
		if sign < 0 {
			sign = strings.IndexByte(rest, 'Z')
		}
		if sign < 0 {
			timePart = rest
		} else {
			timePart, tzPart, hasTZ = rest[:sign], rest[sign:], true
		}
	}
	date, df, err := tmSanitizeDate(datePart)
	if err != nil {
		return nil, err
	}
	clock := "00:00:00.000"
	if hasT {
		if clock, err = tmSanitizeClock(timePart); err != nil {
			return nil, err
		}
	}
	tz := ""
	if hasTZ {
		if tz, err = tmSanitizeTZ(tzPart); err != nil {
			return nil, err
		}
	}
	if df == tmWeek {
		return nil, tmErr("Due to limitations in the boost time library we use for parsing, we cannot support ISO week dates right now.  Sorry about that!  Please use years, calendar dates, or ordinal dates instead.")
	}
	num := func(x string) int64 {
		var n int64
		for i := 0; i < len(x); i++ {
			n = n*10 + int64(x[i]-'0')
		}
		return n
	}
	year := num(date[0:4])
	var days int64
	if df == tmDayCount {
		if year < 1400 || year > 10000 {
			return nil, tmErrBadYear()
		}
		doy := num(date[5:8])
		if doy < 1 || doy > 366 {
			return nil, tmErr("Error in time logic: Day of year value is out of range 1..366.")
		}
		days = tmDaysFromCivil(year, 1, 1) + doy - 1
	} else {
		month, day := num(date[5:7]), num(date[8:10])
		if err := tmCheckDate(year, month, day); err != nil {
			return nil, err
		}
		days = tmDaysFromCivil(year, month, day)
	}
	if !hasTZ {
		if defaultTZ == "" {
			return nil, tmErr("ISO 8601 string has no time zone, and no default time zone was provided.")
		}
		san, terr := tmSanitizeTZ(defaultTZ)
		if terr != nil {
			return nil, tmErr("Invalid ISO 8601 timezone: `%s`.", defaultTZ)
		}
		tz = san
	}
	h, mi, sec, ms := num(clock[0:2]), num(clock[3:5]), num(clock[6:8]), num(clock[9:12])
	total := (days*86400+h*3600+mi*60+sec-tmOffset(tz))*1000 + ms
	out := tmMake(float64(total)/1000, tz)
	if _, lerr := tmLocal(out); lerr != nil {
		return nil, lerr.(*Error)
	}
	return out, nil
}

func tmEvalISO8601(c *evalCtx, t *Term) (any, error) {
	v, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	def, err := c.optString(t, "default_timezone", "")
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, typeErr("STRING", v, t.Args[0])
	}
	out, perr := tmParseISO8601(s, def)
	if perr != nil {
		return nil, withBacktrace(perr, t.Args[0].bt)
	}
	return out, nil
}

// tmFormatISO8601 is RethinkDB's time_to_iso8601: milliseconds only when
// non-zero, and the years 0..9999 only.
func tmFormatISO8601(m map[string]any) (string, error) {
	lt, err := tmLocal(m)
	if err != nil {
		return "", err
	}
	if y := lt.UTC().Year(); y > 9999 {
		return "", tmErr("Year `%d` out of valid ISO 8601 range [0, 9999].", y)
	}
	_, tz := tmFields(m)
	s := lt.Format("2006-01-02T15:04:05")
	if ms := lt.Nanosecond() / 1e6; ms != 0 {
		s += fmt.Sprintf(".%03d", ms)
	}
	return s + tz, nil
}

func tmEvalToISO8601(c *evalCtx, t *Term) (any, error) {
	m, err := c.tmEvalTime(t.Args[0])
	if err != nil {
		return nil, err
	}
	return tmFormatISO8601(m)
}

func tmEvalDuring(c *evalCtx, t *Term) (any, error) {
	var ts [3]float64
	for i := range ts {
		m, err := c.tmEvalTime(t.Args[i])
		if err != nil {
			return nil, err
		}
		ts[i], _ = tmFields(m)
	}
	x, lo, hi := ts[0], ts[1], ts[2]
	if lo > x {
		return false, nil
	}
	if lo == x {
		open, err := c.boundOpen(t, "left_bound", false)
		if err != nil {
			return nil, err
		}
		if open {
			return false, nil
		}
	}
	if x > hi {
		return false, nil
	}
	if x == hi {
		open, err := c.boundOpen(t, "right_bound", true)
		if err != nil {
			return nil, err
		}
		return !open, nil
	}
	return true, nil
}

func tmEvalDate(c *evalCtx, t *Term) (any, error) {
	m, err := c.tmEvalTime(t.Args[0])
	if err != nil {
		return nil, err
	}
	lt, err := tmLocal(m)
	if err != nil {
		return nil, err
	}
	_, tz := tmFields(m)
	days := tmDaysFromCivil(int64(lt.Year()), int64(lt.Month()), int64(lt.Day()))
	return tmMake(float64(days*86400-tmOffset(tz)), tz), nil
}

func tmEvalTimeOfDay(c *evalCtx, t *Term) (any, error) {
	m, err := c.tmEvalTime(t.Args[0])
	if err != nil {
		return nil, err
	}
	lt, err := tmLocal(m)
	if err != nil {
		return nil, err
	}
	ms := int64(lt.Hour())*3600000 + int64(lt.Minute())*60000 + int64(lt.Second())*1000 + int64(lt.Nanosecond()/1e6)
	return float64(ms) / 1000, nil
}

type tmPortion int

const (
	tmYear tmPortion = iota
	tmMonth
	tmDay
	tmDayOfWeek
	tmDayOfYear
	tmHours
	tmMinutes
	tmSeconds
)

func tmPortionEval(p tmPortion) func(*evalCtx, *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		m, err := c.tmEvalTime(t.Args[0])
		if err != nil {
			return nil, err
		}
		lt, err := tmLocal(m)
		if err != nil {
			return nil, err
		}
		switch p {
		case tmYear:
			return float64(lt.Year()), nil
		case tmMonth:
			return float64(lt.Month()), nil
		case tmDay:
			return float64(lt.Day()), nil
		case tmDayOfWeek:
			// ISO 8601: Monday is 1, Sunday is 7.
			d := int(lt.Weekday())
			if d == 0 {
				d = 7
			}
			return float64(d), nil
		case tmDayOfYear:
			return float64(lt.YearDay()), nil
		case tmHours:
			return float64(lt.Hour()), nil
		case tmMinutes:
			return float64(lt.Minute()), nil
		}
		return float64(lt.Second()) + float64(lt.Nanosecond()/1e6)/1000, nil
	}
}
