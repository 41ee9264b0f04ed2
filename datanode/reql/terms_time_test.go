package reql

import (
	"testing"
	"time"
)

// t1 is RethinkDB's times/api.yaml fixture: r.epochTime(1375147296.6812).
const tmT1 = `[101,[1375147296.6812]]`

func TestTimeConstructors(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "epoch time rounds to milliseconds", term: `[101,[1.4444445]]`, want: `{"$reql_type$":"TIME","epoch_time":1.444,"timezone":"+00:00"}`},
		{name: "to epoch time", term: `[102,[[101,[-1]]]]`, want: `-1`},
		{name: "to epoch time keeps milliseconds", term: `[102,[[101,[1.4444445]]]]`, want: `1.444`},
		{name: "epoch time of a string", term: `[101,["1"]]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "time with seconds and zone", term: `[102,[[136,[2013,7,29,23,30,0.1,"-07:00"]]]]`, want: `1375165800.1`},
		{name: "time keeps its zone", term: `[127,[[136,[2013,7,29,23,30,0.1,"-07:00"]]]]`, want: `"-07:00"`},
		{name: "time date only", term: `[102,[[136,[2013,7,29,"-07:00"]]]]`, want: `1375081200`},
		{name: "time Z is +00:00", term: `[136,[2013,1,1,"Z"]]`, want: `{"$reql_type$":"TIME","epoch_time":1356998400,"timezone":"+00:00"}`},
		{name: "time hours roll over as in boost", term: `[102,[[136,[2013,1,1,25,0,0,"Z"]]]]`, want: `1357088400`},
		{name: "time six arguments", term: `[136,[2013,7,29,23,30,0.1]]`, errType: ErrQueryLogic, errMsg: "Got 6 arguments to TIME (expected 4 or 7)."},
		{name: "time five arguments", term: `[136,[2013,7,29,23,30]]`, errType: ErrQueryLogic, errMsg: "Got 5 arguments to TIME (expected 4 or 7)."},
		{name: "time zone must be a string", term: `[136,[2013,7,29,23]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "time three arguments", term: `[136,[2013,7,29]]`, errType: ErrQueryLogic, errMsg: "Expected between 4 and 7 arguments but found 3."},
		{name: "time month out of range", term: `[136,[2013,13,1,"Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Month number is out of range 1..12."},
		{name: "time day out of range", term: `[136,[2013,1,32,"Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Day of month value is out of range 1..31."},
		{name: "time day not in month", term: `[136,[2013,2,29,"Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Day of month is not valid for year."},
		{name: "time leap day", term: `[102,[[136,[2012,2,29,"Z"]]]]`, want: `1330473600`},
		{name: "time year out of range", term: `[136,[1399,1,1,"Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Year is out of valid range: 1400..10000."},
		{name: "time fractional year", term: `[136,[2013.5,1,1,"Z"]]`, errType: ErrQueryLogic, errMsg: "Number not an integer: 2013.5"},
		{name: "time empty zone", term: `[136,[2013,1,1,""]]`, errType: ErrQueryLogic, errMsg: "Timezone `` does not start with `-` or `+`."},
		{name: "time -00", term: `[136,[2013,1,1,"-00"]]`, errType: ErrQueryLogic, errMsg: "`-00` is not a valid time offset."},
		{name: "time -00:00", term: `[136,[2013,1,1,"-00:00"]]`, errType: ErrQueryLogic, errMsg: "`-00:00` is not a valid time offset."},
		{name: "time UTC+00", term: `[136,[2013,1,1,"UTC+00"]]`, errType: ErrQueryLogic, errMsg: "Timezone `UTC+00` does not start with `-` or `+`."},
		{name: "time minutes out of range", term: `[136,[2013,1,1,"+00:60"]]`, errType: ErrQueryLogic, errMsg: "Minutes out of range in `+00:60`."},
		{name: "time hours out of range", term: `[136,[2013,1,1,"+25:00"]]`, errType: ErrQueryLogic, errMsg: "Hours out of range in `+25:00`."},
		{name: "constants days", term: `[2,[[107,[]],[108,[]],[109,[]],[110,[]],[111,[]],[112,[]],[113,[]]]]`, want: `[1,2,3,4,5,6,7]`},
		{name: "constants months", term: `[2,[[114,[]],[115,[]],[116,[]],[117,[]],[118,[]],[119,[]],[120,[]],[121,[]],[122,[]],[123,[]],[124,[]],[125,[]]]]`, want: `[1,2,3,4,5,6,7,8,9,10,11,12]`},
		{name: "constant takes no argument", term: `[107,[1]]`, errType: ErrQueryLogic, errMsg: "Expected 0 arguments but found 1."},
		{name: "now is UTC", term: `[127,[[103,[]]]]`, want: `"+00:00"`},
	})
}

func TestTimeNowOncePerQuery(t *testing.T) {
	before := time.Now()
	got, err := runTerm(t, `[2,[[103,[]],[103,[]],[102,[[103,[]]]]]]`)
	if err != nil {
		t.Fatal(err)
	}
	arr := got.([]any)
	if !datumEqual(arr[0], arr[1]) {
		t.Fatalf("two r.now() in one query differ: %v %v", arr[0], arr[1])
	}
	e := arr[2].(float64)
	if e < float64(before.UnixMilli())/1000-1 || e > float64(time.Now().UnixMilli())/1000+1 {
		t.Fatalf("now %v is not the current time", e)
	}
	if e != tmRoundEpoch(e) {
		t.Fatalf("now %v has more than millisecond precision", e)
	}
}

func TestTimeISO8601(t *testing.T) {
	const noTZ = "ISO 8601 string has no time zone, and no default time zone was provided."
	cases := []evalCase{
		{name: "parse with offset", term: `[102,[[99,["2013-07-30T20:56:05-07:00"]]]]`, want: `1375242965`},
		{name: "keeps the offset", term: `[99,["2013-07-30T20:56:05-07:00"]]`, want: `{"$reql_type$":"TIME","epoch_time":1375242965,"timezone":"-07:00"}`},
		{name: "no zone", term: `[99,["2013-07-30T20:56:05"]]`, errType: ErrQueryLogic, errMsg: noTZ},
		{name: "date only without default", term: `[99,["2013-07-30"]]`, errType: ErrQueryLogic, errMsg: noTZ},
		{name: "default timezone", term: `[100,[[99,["2013-07-30T20:56:05"],{"default_timezone":"-07"}]]]`, want: `"2013-07-30T20:56:05-07:00"`},
		{name: "default timezone Z", term: `[99,["2013-07-30"],{"default_timezone":"Z"}]`, want: `{"$reql_type$":"TIME","epoch_time":1375142400,"timezone":"+00:00"}`},
		{name: "explicit zone wins over default", term: `[127,[[99,["2013-07-30T20:56:05+01:00"],{"default_timezone":"-07"}]]]`, want: `"+01:00"`},
		{name: "invalid default timezone", term: `[99,["2013-07-30T20:56:05"],{"default_timezone":"PST"}]`, errType: ErrQueryLogic, errMsg: "Invalid ISO 8601 timezone: `PST`."},
		{name: "fraction truncated to milliseconds", term: `[102,[[99,["2013-01-01T00:00:00.12399Z"]]]]`, want: `1356998400.123`},
		{name: "non-string", term: `[99,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "unknown optarg", term: `[99,["2013"],{"timezone":"Z"}]`, errType: ErrQueryLogic, errMsg: "Unrecognized optional argument `timezone`."},
		{name: "week dates", term: `[99,["2013-W01-1T00:00:00Z"]]`, errType: ErrQueryLogic, errMsg: "Due to limitations in the boost time library we use for parsing, we cannot support ISO week dates right now.  Sorry about that!  Please use years, calendar dates, or ordinal dates instead."},
		{name: "invalid day", term: `[99,["2013-02-30T00:00:00Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Day of month is not valid for year."},
		{name: "invalid month", term: `[99,["2013-13-01T00:00:00Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Month number is out of range 1..12."},
		{name: "year before 1400", term: `[99,["1399-01-01T00:00:00Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Year is out of valid range: 1400..10000."},
		{name: "ordinal day 366 of a common year", term: `[100,[[99,["2013-366T00:00:00Z"]]]]`, want: `"2014-01-01T00:00:00+00:00"`},
		{name: "ordinal day 0", term: `[99,["2013-000T00:00:00Z"]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Day of year value is out of range 1..366."},
		// RethinkDB's times/constructors.yaml bad dates, times and zones.
		{name: "bad date 201301", term: `[99,["201301T13:00:00+00:00"]]`, errType: ErrQueryLogic, errMsg: "Invalid time zone string `201301`. Valid time zones are `+hh:mm`, `-hh:mm`, `+hhmm`, `-hhmm`, `+hh`, `-hh` and `Z`."},
		{name: "bad date 2013-0101", term: `[99,["2013-0101T13:00:00+00:00"]]`, errType: ErrQueryLogic, errMsg: "Date string `2013-0101` must have 0 or 2 hyphens."},
		{name: "bad date 2a13", term: `[99,["2a13T13:00:00+00:00"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `2a13` (got `a` but expected a digit)."},
		{name: "bad date 2013+01", term: `[99,["2013+01T13:00:00+00:00"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `2013+01` (got `+` but expected a digit)."},
		{name: "bad date 2013-01-01.1", term: `[99,["2013-01-01.1T13:00:00+00:00"]]`, errType: ErrQueryLogic, errMsg: "Garbage characters `.1` at end of date string `2013-01-01.1`."},
		{name: "bad time a3", term: `[99,["2013-01-01Ta3+00:00"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `a3` (got `a` but expected a digit)."},
		{name: "bad time 13:0000", term: `[99,["2013-01-01T13:0000+00:00"]]`, errType: ErrQueryLogic, errMsg: "Time string `13:0000` must have 0 or 2 colons."},
		{name: "bad time 13:00.00", term: `[99,["2013-01-01T13:00.00+00:00"]]`, errType: ErrQueryLogic, errMsg: "Time string `13:00.00` must have 0 or 2 colons."},
		{name: "bad time trailing letter", term: `[99,["2013-01-01T130000.00000000a+00:00"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `130000.00000000a` (got `a` but expected a digit)."},
		{name: "bad zone X", term: `[99,["2013-01-01T13:00:00X"]]`, errType: ErrQueryLogic, errMsg: "Garbage characters `X` at end of time string `13:00:00X`."},
		{name: "bad zone -7", term: `[99,["2013-01-01T13:00:00-7"]]`, errType: ErrQueryLogic, errMsg: "Invalid time zone string `-7`. Valid time zones are `+hh:mm`, `-hh:mm`, `+hhmm`, `-hhmm`, `+hh`, `-hh` and `Z`."},
		{name: "bad zone -07:-1", term: `[99,["2013-01-01T13:00:00-07:-1"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `-07:-1` (got `-` but expected a digit)."},
		{name: "bad zone +07+01", term: `[99,["2013-01-01T13:00:00+07+01"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `+07+01` (got `+` but expected a digit)."},
		{name: "bad zone Z+00", term: `[99,["2013-01-01T13:00:00Z+00"]]`, errType: ErrQueryLogic, errMsg: "Garbage characters `Z` at end of time string `13:00:00Z`."},
		{name: "non-ascii digit", term: `[99,["2é13"]]`, errType: ErrQueryLogic, errMsg: "Invalid date string `2é13` (got `é` but expected a digit)."},
	}
	// Every accepted spelling of 2013-01-01T13:00:00+00:00 is the same time.
	for _, d := range []string{"2013", "2013-01", "2013-01-01", "20130101", "2013-001", "2013001"} {
		for _, tm := range []string{"13", "13:00", "1300", "13:00:00", "13:00:00.000000", "130000.000000"} {
			for _, tz := range []string{"Z", "+00", "+0000", "+00:00"} {
				s := d + "T" + tm + tz
				cases = append(cases, evalCase{name: "accepts " + s, term: `[100,[[99,["` + s + `"]]]]`, want: `"2013-01-01T13:00:00+00:00"`})
			}
		}
	}
	checkEvalCases(t, cases)
}

func TestTimeAccessors(t *testing.T) {
	checkEvalCases(t, []evalCase{
		// RethinkDB's times/api.yaml portions of t1.
		{name: "date", term: `[102,[[106,[` + tmT1 + `]]]]`, want: `1375142400`},
		{name: "time of day", term: `[126,[` + tmT1 + `]]`, want: `4896.681`},
		{name: "year", term: `[128,[` + tmT1 + `]]`, want: `2013`},
		{name: "month", term: `[129,[` + tmT1 + `]]`, want: `7`},
		{name: "day", term: `[130,[` + tmT1 + `]]`, want: `30`},
		{name: "day of week", term: `[131,[` + tmT1 + `]]`, want: `2`},
		{name: "day of year", term: `[132,[` + tmT1 + `]]`, want: `211`},
		{name: "hours", term: `[133,[` + tmT1 + `]]`, want: `1`},
		{name: "minutes", term: `[134,[` + tmT1 + `]]`, want: `21`},
		{name: "seconds", term: `[135,[` + tmT1 + `]]`, want: `36.681`},
		{name: "seconds rounded like the time", term: `[135,[[101,[1.4444445]]]]`, want: `1.444`},
		{name: "sunday is 7", term: `[131,[[136,[2013,7,28,"Z"]]]]`, want: `7`},
		{name: "monday is 1", term: `[131,[[136,[2013,7,29,"Z"]]]]`, want: `1`},
		{name: "portions of 2045", term: `[2,[[128,[[101,[2375147296.60081]]]],[129,[[101,[2375147296.60081]]]],[130,[[101,[2375147296.60081]]]],[133,[[101,[2375147296.60081]]]],[134,[[101,[2375147296.60081]]]],[135,[[101,[2375147296.60081]]]],[131,[[101,[2375147296.60081]]]],[132,[[101,[2375147296.60081]]]]]]`, want: `[2045,4,7,3,8,16.601,5,97]`},
		{name: "portions in the time's zone", term: `[2,[[130,[[104,[[136,[2013,7,29,23,30,0,"+00:00"]],"+01:00"]]]],[130,[[104,[[136,[2013,7,29,23,30,0,"+00:00"]],"-01:00"]]]]]]`, want: `[30,29]`},
		{name: "year 10000", term: `[128,[[101,[253430000000]]]]`, want: `10000`},
		{name: "year 10001", term: `[128,[[101,[253440000000]]]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Year is out of valid range: 1400..10000."},
		{name: "far time keeps its epoch", term: `[102,[[101,[253440000000]]]]`, want: `253440000000`},
		{name: "year 1400", term: `[128,[[101,[-17980000000]]]]`, want: `1400`},
		{name: "year 1399", term: `[128,[[101,[-17990000000]]]]`, errType: ErrQueryLogic, errMsg: "Error in time logic: Year is out of valid range: 1400..10000."},
		{name: "date keeps the zone", term: `[100,[[106,[[104,[[101,[1436428422.339]],"-08:00"]]]]]]`, want: `"2015-07-08T00:00:00-08:00"`},
		{name: "date in another zone", term: `[100,[[106,[[104,[[101,[1436428422.339]],"-07:00"]]]]]]`, want: `"2015-07-09T00:00:00-07:00"`},
		{name: "portion of a non-time", term: `[128,[1]]`, errType: ErrQueryLogic, errMsg: "Not a TIME pseudotype: `1`."},
		{name: "portion of null", term: `[128,[null]]`, errType: ErrQueryLogic, errMsg: "Not a TIME pseudotype: `null`."},
	})
}

func TestTimeConversions(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "to iso8601 in zone", term: `[100,[[104,[[101,[1375242965]],"-07:00"]]]]`, want: `"2013-07-30T20:56:05-07:00"`},
		{name: "to iso8601 milliseconds", term: `[100,[[101,[1.4444445]]]]`, want: `"1970-01-01T00:00:01.444+00:00"`},
		{name: "to iso8601 .680", term: `[100,[[101,[1375147296.68]]]]`, want: `"2013-07-30T01:21:36.680+00:00"`},
		{name: "to iso8601 before 1970", term: `[100,[[101,[-1.5]]]]`, want: `"1969-12-31T23:59:58.500+00:00"`},
		{name: "to iso8601 year 10000", term: `[100,[[101,[253430000000]]]]`, errType: ErrQueryLogic, errMsg: "Year `10000` out of valid ISO 8601 range [0, 9999]."},
		{name: "round trip", term: `[102,[[99,[[100,[[104,[[101,[1375147296.681]],"+05:30"]]]]]]]]`, want: `1375147296.681`},
		{name: "in timezone Z", term: `[127,[[104,[[101,[0]],"Z"]]]]`, want: `"+00:00"`},
		{name: "in timezone +00", term: `[127,[[104,[[101,[0]],"+00"]]]]`, want: `"+00:00"`},
		{name: "in timezone -0130", term: `[104,[[101,[0]],"-0130"]]`, want: `{"$reql_type$":"TIME","epoch_time":0,"timezone":"-01:30"}`},
		{name: "in timezone empty", term: `[104,[[103,[]],""]]`, errType: ErrQueryLogic, errMsg: "Timezone `` does not start with `-` or `+`."},
		{name: "in timezone -00", term: `[104,[[103,[]],"-00"]]`, errType: ErrQueryLogic, errMsg: "`-00` is not a valid time offset."},
		{name: "in timezone +25:00", term: `[104,[[103,[]],"+25:00"]]`, errType: ErrQueryLogic, errMsg: "Hours out of range in `+25:00`."},
		{name: "in timezone garbage", term: `[104,[[103,[]],"+01:00x"]]`, errType: ErrQueryLogic, errMsg: "Garbage characters `x` at end of timezone string `+01:00x`."},
		{name: "in timezone number", term: `[104,[[103,[]],1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "in timezone of a string", term: `[104,["2013",""]]`, errType: ErrQueryLogic, errMsg: "Not a TIME pseudotype: `\"2013\"`."},
		{name: "to epoch time of an object", term: `[102,[{"a":1}]]`, errType: ErrQueryLogic, errMsg: "Not a TIME pseudotype: `{\n\t\"a\":\t1\n}`."},
	})
}

func TestTimeDuring(t *testing.T) {
	const a, b, c = `[101,[10]]`, `[101,[20]]`, `[101,[30]]`
	checkEvalCases(t, []evalCase{
		{name: "inside", term: `[105,[` + b + `,` + a + `,` + c + `]]`, want: `true`},
		{name: "left bound closed by default", term: `[105,[` + a + `,` + a + `,` + c + `]]`, want: `true`},
		{name: "left bound open", term: `[105,[` + a + `,` + a + `,` + c + `],{"left_bound":"open"}]`, want: `false`},
		{name: "right bound open by default", term: `[105,[` + c + `,` + a + `,` + c + `]]`, want: `false`},
		{name: "right bound closed", term: `[105,[` + c + `,` + a + `,` + c + `],{"right_bound":"closed"}]`, want: `true`},
		{name: "empty interval", term: `[105,[` + a + `,` + a + `,` + a + `]]`, want: `false`},
		{name: "point interval closed", term: `[105,[` + a + `,` + a + `,` + a + `],{"right_bound":"closed"}]`, want: `true`},
		{name: "before", term: `[105,[` + a + `,` + b + `,` + c + `]]`, want: `false`},
		{name: "after", term: `[105,[` + c + `,` + a + `,` + b + `]]`, want: `false`},
		{name: "same instant other zone", term: `[105,[[104,[` + a + `,"+05:00"]],` + a + `,` + b + `],{"left_bound":"open"}]`, want: `false`},
		{name: "bad bound", term: `[105,[` + a + `,` + a + `,` + c + `],{"left_bound":"half"}]`, errType: ErrQueryLogic, errMsg: "Expected `open` or `closed` for optarg `left_bound` (got `\"half\"`)."},
		{name: "bound only read when needed", term: `[105,[` + b + `,` + a + `,` + c + `],{"left_bound":"half"}]`, want: `true`},
		{name: "non-time bound", term: `[105,[` + a + `,1,` + c + `]]`, errType: ErrQueryLogic, errMsg: "Not a TIME pseudotype: `1`."},
		{name: "unknown optarg", term: `[105,[` + a + `,` + a + `,` + c + `],{"bound":"open"}]`, errType: ErrQueryLogic, errMsg: "Unrecognized optional argument `bound`."},
	})
}

// Times sent by drivers are validated with RethinkDB's messages.
func TestTimePseudoTypeValidation(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "missing epoch_time", term: `[102,[{"$reql_type$":"TIME","timezone":"+00:00"}]]`, errType: ErrQueryLogic,
			errMsg: "Invalid time object constructed (no field `epoch_time`):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"timezone\":\t\"+00:00\"\n}"},
		{name: "missing timezone", term: `[102,[{"$reql_type$":"TIME","epoch_time":1}]]`, errType: ErrQueryLogic,
			errMsg: "Invalid time object constructed (no field `timezone`):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"epoch_time\":\t1\n}"},
		{name: "string epoch_time", term: `[102,[{"$reql_type$":"TIME","epoch_time":"1","timezone":"Z"}]]`, errType: ErrQueryLogic,
			errMsg: "Invalid time object constructed (field `epoch_time` must be a number (got `\"1\"` of type STRING)):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"epoch_time\":\t\"1\",\n\t\"timezone\":\t\"Z\"\n}"},
		{name: "numeric timezone", term: `[102,[{"$reql_type$":"TIME","epoch_time":1,"timezone":7}]]`, errType: ErrQueryLogic,
			errMsg: "Invalid time object constructed (field `timezone` must be a string (got `7` of type NUMBER)):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"epoch_time\":\t1,\n\t\"timezone\":\t7\n}"},
		{name: "invalid timezone", term: `[102,[{"$reql_type$":"TIME","epoch_time":1,"timezone":"PST"}]]`, errType: ErrQueryLogic,
			errMsg: "Invalid time object constructed (invalid timezone string `\"PST\"`):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"epoch_time\":\t1,\n\t\"timezone\":\t\"PST\"\n}"},
		{name: "unrecognized field", term: `[102,[{"$reql_type$":"TIME","epoch_time":1,"timezone":"Z","x":1}]]`, errType: ErrQueryLogic,
			errMsg: "Invalid time object constructed (unrecognized field `x`):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"epoch_time\":\t1,\n\t\"timezone\":\t\"Z\",\n\t\"x\":\t1\n}"},
		{name: "driver time normalized", term: `[100,[{"$reql_type$":"TIME","epoch_time":1.23456,"timezone":"Z"}]]`, want: `"1970-01-01T00:00:01.235+00:00"`},
		{name: "driver time from a datum term", term: `[127,[[1,{"$reql_type$":"TIME","epoch_time":0,"timezone":"-0800"}]]]`, want: `"-08:00"`},
	})
}

func TestTimeSanitizeDatum(t *testing.T) {
	in := map[string]any{"a": []any{map[string]any{reqlTypeField: "TIME", "epoch_time": 1.23456, "timezone": "Z"}}, "b": 1.0}
	out, err := tmSanitizeDatum(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": []any{map[string]any{reqlTypeField: "TIME", "epoch_time": 1.235, "timezone": "+00:00"}}, "b": 1.0}
	if !datumEqual(out, want) {
		t.Fatalf("got %v", out)
	}
	if in["a"].([]any)[0].(map[string]any)["epoch_time"] != 1.23456 {
		t.Fatal("the input was modified")
	}
	if _, err := tmSanitizeDatum([]any{map[string]any{reqlTypeField: "TIME"}}); err == nil {
		t.Fatal("an invalid nested time was accepted")
	}
	same := map[string]any{"x": []any{1.0}}
	if got, _ := tmSanitizeDatum(same); !datumEqual(got, same) {
		t.Fatal("a datum without times changed")
	}
}
