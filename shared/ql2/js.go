package ql2

import "sort"

// The tables below transcribe the official JavaScript driver (npm package
// rethinkdb 2.4.2, ast.js). They list every query-building name the driver
// exposes; driver plumbing (run, toString, connect, ...) is left out.

// jsMethods maps the methods of a JS driver term (r.table('t').<name>(...))
// to the term each builds. Several names build the same term: bracket and
// the call syntax term(...) both build BRACKET, toJSON and toJsonString both
// build TO_JSON_STRING, and do builds FUNCALL with the function moved first.
var jsMethods = map[string]TermType{
	"add":             TermAdd,
	"and":             TermAnd,
	"append":          TermAppend,
	"avg":             TermAvg,
	"between":         TermBetween,
	"bitAnd":          TermBitAnd,
	"bitNot":          TermBitNot,
	"bitOr":           TermBitOr,
	"bitSal":          TermBitSal,
	"bitSar":          TermBitSar,
	"bitXor":          TermBitXor,
	"bracket":         TermBracket,
	"branch":          TermBranch,
	"ceil":            TermCeil,
	"changeAt":        TermChangeAt,
	"changes":         TermChanges,
	"coerceTo":        TermCoerceTo,
	"concatMap":       TermConcatMap,
	"config":          TermConfig,
	"contains":        TermContains,
	"count":           TermCount,
	"date":            TermDate,
	"day":             TermDay,
	"dayOfWeek":       TermDayOfWeek,
	"dayOfYear":       TermDayOfYear,
	"default":         TermDefault,
	"delete":          TermDelete,
	"deleteAt":        TermDeleteAt,
	"difference":      TermDifference,
	"distance":        TermDistance,
	"distinct":        TermDistinct,
	"div":             TermDiv,
	"do":              TermFuncall,
	"downcase":        TermDowncase,
	"during":          TermDuring,
	"eq":              TermEq,
	"eqJoin":          TermEqJoin,
	"fill":            TermFill,
	"filter":          TermFilter,
	"floor":           TermFloor,
	"fold":            TermFold,
	"forEach":         TermForEach,
	"ge":              TermGe,
	"get":             TermGet,
	"getAll":          TermGetAll,
	"getField":        TermGetField,
	"getIntersecting": TermGetIntersecting,
	"getNearest":      TermGetNearest,
	"getWriteHook":    TermGetWriteHook,
	"grant":           TermGrant,
	"group":           TermGroup,
	"gt":              TermGt,
	"hasFields":       TermHasFields,
	"hours":           TermHours,
	"inTimezone":      TermInTimezone,
	"includes":        TermIncludes,
	"indexCreate":     TermIndexCreate,
	"indexDrop":       TermIndexDrop,
	"indexList":       TermIndexList,
	"indexRename":     TermIndexRename,
	"indexStatus":     TermIndexStatus,
	"indexWait":       TermIndexWait,
	"info":            TermInfo,
	"innerJoin":       TermInnerJoin,
	"insert":          TermInsert,
	"insertAt":        TermInsertAt,
	"intersects":      TermIntersects,
	"isEmpty":         TermIsEmpty,
	"keys":            TermKeys,
	"le":              TermLe,
	"limit":           TermLimit,
	"lt":              TermLt,
	"map":             TermMap,
	"match":           TermMatch,
	"max":             TermMax,
	"merge":           TermMerge,
	"min":             TermMin,
	"minutes":         TermMinutes,
	"mod":             TermMod,
	"month":           TermMonth,
	"mul":             TermMul,
	"ne":              TermNe,
	"not":             TermNot,
	"nth":             TermNth,
	"offsetsOf":       TermOffsetsOf,
	"or":              TermOr,
	"orderBy":         TermOrderBy,
	"outerJoin":       TermOuterJoin,
	"pluck":           TermPluck,
	"polygonSub":      TermPolygonSub,
	"prepend":         TermPrepend,
	"rebalance":       TermRebalance,
	"reconfigure":     TermReconfigure,
	"reduce":          TermReduce,
	"replace":         TermReplace,
	"round":           TermRound,
	"sample":          TermSample,
	"seconds":         TermSeconds,
	"setDifference":   TermSetDifference,
	"setInsert":       TermSetInsert,
	"setIntersection": TermSetIntersection,
	"setUnion":        TermSetUnion,
	"setWriteHook":    TermSetWriteHook,
	"skip":            TermSkip,
	"slice":           TermSlice,
	"spliceAt":        TermSpliceAt,
	"split":           TermSplit,
	"status":          TermStatus,
	"sub":             TermSub,
	"sum":             TermSum,
	"sync":            TermSync,
	"table":           TermTable,
	"tableCreate":     TermTableCreate,
	"tableDrop":       TermTableDrop,
	"tableList":       TermTableList,
	"timeOfDay":       TermTimeOfDay,
	"timezone":        TermTimezone,
	"toEpochTime":     TermToEpochTime,
	"toGeojson":       TermToGeojson,
	"toISO8601":       TermToIso8601,
	"toJSON":          TermToJsonString,
	"toJsonString":    TermToJsonString,
	"typeOf":          TermTypeOf,
	"ungroup":         TermUngroup,
	"union":           TermUnion,
	"upcase":          TermUpcase,
	"update":          TermUpdate,
	"uuid":            TermUuid,
	"values":          TermValues,
	"wait":            TermWait,
	"withFields":      TermWithFields,
	"without":         TermWithout,
	"year":            TermYear,
	"zip":             TermZip,
}

// jsFunctions maps the top-level functions of the JS driver (r.<name>(...))
// to the term each builds. r.expr (and calling r itself) is not listed: it
// builds whatever its argument is (a datum, MAKE_ARRAY, an object, FUNC).
var jsFunctions = map[string]TermType{
	"ISO8601":     TermIso8601,
	"add":         TermAdd,
	"and":         TermAnd,
	"args":        TermArgs,
	"asc":         TermAsc,
	"avg":         TermAvg,
	"binary":      TermBinary,
	"bitAnd":      TermBitAnd,
	"bitNot":      TermBitNot,
	"bitOr":       TermBitOr,
	"bitSal":      TermBitSal,
	"bitSar":      TermBitSar,
	"bitXor":      TermBitXor,
	"branch":      TermBranch,
	"ceil":        TermCeil,
	"circle":      TermCircle,
	"contains":    TermContains,
	"count":       TermCount,
	"db":          TermDb,
	"dbCreate":    TermDbCreate,
	"dbDrop":      TermDbDrop,
	"dbList":      TermDbList,
	"desc":        TermDesc,
	"distance":    TermDistance,
	"distinct":    TermDistinct,
	"div":         TermDiv,
	"do":          TermFuncall,
	"epochTime":   TermEpochTime,
	"eq":          TermEq,
	"error":       TermError,
	"floor":       TermFloor,
	"ge":          TermGe,
	"geojson":     TermGeojson,
	"grant":       TermGrant,
	"group":       TermGroup,
	"gt":          TermGt,
	"http":        TermHttp,
	"info":        TermInfo,
	"intersects":  TermIntersects,
	"js":          TermJavascript,
	"json":        TermJson,
	"le":          TermLe,
	"line":        TermLine,
	"literal":     TermLiteral,
	"lt":          TermLt,
	"map":         TermMap,
	"max":         TermMax,
	"min":         TermMin,
	"mod":         TermMod,
	"mul":         TermMul,
	"ne":          TermNe,
	"not":         TermNot,
	"now":         TermNow,
	"object":      TermObject,
	"or":          TermOr,
	"point":       TermPoint,
	"polygon":     TermPolygon,
	"random":      TermRandom,
	"range":       TermRange,
	"reduce":      TermReduce,
	"round":       TermRound,
	"sub":         TermSub,
	"sum":         TermSum,
	"table":       TermTable,
	"tableCreate": TermTableCreate,
	"tableDrop":   TermTableDrop,
	"tableList":   TermTableList,
	"time":        TermTime,
	"typeOf":      TermTypeOf,
	"union":       TermUnion,
	"uuid":        TermUuid,
}

// jsConstants maps the term-valued properties of r (used without a call:
// r.row, r.minval, r.monday, ...) to their terms.
var jsConstants = map[string]TermType{
	"row":       TermImplicitVar,
	"minval":    TermMinval,
	"maxval":    TermMaxval,
	"monday":    TermMonday,
	"tuesday":   TermTuesday,
	"wednesday": TermWednesday,
	"thursday":  TermThursday,
	"friday":    TermFriday,
	"saturday":  TermSaturday,
	"sunday":    TermSunday,
	"january":   TermJanuary,
	"february":  TermFebruary,
	"march":     TermMarch,
	"april":     TermApril,
	"may":       TermMay,
	"june":      TermJune,
	"july":      TermJuly,
	"august":    TermAugust,
	"september": TermSeptember,
	"october":   TermOctober,
	"november":  TermNovember,
	"december":  TermDecember,
}

// JSMethod returns the term built by the JS driver method name (camelCase,
// as in r.table('t').getAll(...)).
func JSMethod(name string) (TermType, bool) {
	t, ok := jsMethods[name]
	return t, ok
}

// JSFunction returns the term built by the JS driver top-level function
// r.<name>(...).
func JSFunction(name string) (TermType, bool) {
	t, ok := jsFunctions[name]
	return t, ok
}

// JSConstant returns the term that the JS driver property r.<name> (used
// without a call, e.g. r.row or r.minval) stands for.
func JSConstant(name string) (TermType, bool) {
	t, ok := jsConstants[name]
	return t, ok
}

// JSMethodNames returns the JS driver's term method names, sorted.
func JSMethodNames() []string { return sortedKeys(jsMethods) }

// JSFunctionNames returns the JS driver's r.<name>(...) function names,
// sorted; r.expr is not included.
func JSFunctionNames() []string { return sortedKeys(jsFunctions) }

// JSConstantNames returns the JS driver's term-valued r.<name> properties,
// sorted.
func JSConstantNames() []string { return sortedKeys(jsConstants) }

func sortedKeys(m map[string]TermType) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
