package reqltext

import "github.com/photondb-io/photondb/shared/ql2"

// convention is how a JS driver method or r-function turns its JavaScript
// arguments into a term (transcribed from ast.js of rethinkdb 2.4.2).
type convention uint8

const (
	// cvPlain: Term(this, args...); no argument count check.
	cvPlain convention = iota
	// cvPlainFW: Term(this, funcWrap(args)...).
	cvPlainFW
	// cvAropt: util.aropt: exactly pos positional arguments, then an
	// optional object literal of options; fw marks positional arguments
	// passed through funcWrap.
	cvAropt
	// cvMap: util.varar(1, null); the last argument is funcWrapped (first).
	cvMap
	// cvDo: FUNCALL(funcWrap(last), this, rest...); r.do checks varar(1, null).
	cvDo
	// cvSlice: varar(1, 3) with an options object as 2nd or 3rd argument.
	cvSlice
	// cvIndexCreate: varar(1, 3): name [, function] [, options].
	cvIndexCreate
	// cvOrderBy: orderBy and union: a trailing object literal is options;
	// r.asc/r.desc terms are kept, everything else is funcWrapped.
	cvOrderBy
	// cvGroup: a trailing object literal (if any arguments) is options; the
	// rest are funcWrapped.
	cvGroup
	// cvGetAll: with more than one argument a trailing object literal is
	// options.
	cvGetAll
	// cvMinMax: a single object literal argument is options; otherwise the
	// arguments are funcWrapped.
	cvMinMax
	// cvRandom: a trailing object literal is options.
	cvRandom
	// cvNoArgs: the method takes no arguments and ignores any given.
	cvNoArgs
	// cvReconfigure: the first argument is the options object.
	cvReconfigure
	// cvExpr: r.expr(value [, nestingDepth]) and r(value).
	cvExpr
	// cvBinary: util.ar with one argument, which must be a term.
	cvBinary
)

type spec struct {
	tt   ql2.TermType
	conv convention
	pos  int   // cvAropt: positional argument count
	fw   uint8 // cvAropt: bit i set = positional argument i is funcWrapped
}

func plain(tt ql2.TermType) spec   { return spec{tt: tt, conv: cvPlain} }
func plainFW(tt ql2.TermType) spec { return spec{tt: tt, conv: cvPlainFW} }
func aropt(tt ql2.TermType, pos int, fw uint8) spec {
	return spec{tt: tt, conv: cvAropt, pos: pos, fw: fw}
}

// methodSpecs are the methods of RDBVal in ast.js.
var methodSpecs = map[string]spec{
	"eq":              plain(ql2.TermEq),
	"ne":              plain(ql2.TermNe),
	"lt":              plain(ql2.TermLt),
	"le":              plain(ql2.TermLe),
	"gt":              plain(ql2.TermGt),
	"ge":              plain(ql2.TermGe),
	"not":             plain(ql2.TermNot),
	"add":             plain(ql2.TermAdd),
	"sub":             plain(ql2.TermSub),
	"mul":             plain(ql2.TermMul),
	"div":             plain(ql2.TermDiv),
	"mod":             plain(ql2.TermMod),
	"bitAnd":          plain(ql2.TermBitAnd),
	"bitOr":           plain(ql2.TermBitOr),
	"bitXor":          plain(ql2.TermBitXor),
	"bitNot":          plain(ql2.TermBitNot),
	"bitSal":          plain(ql2.TermBitSal),
	"bitSar":          plain(ql2.TermBitSar),
	"floor":           plain(ql2.TermFloor),
	"ceil":            plain(ql2.TermCeil),
	"round":           plain(ql2.TermRound),
	"append":          plain(ql2.TermAppend),
	"prepend":         plain(ql2.TermPrepend),
	"difference":      plain(ql2.TermDifference),
	"setInsert":       plain(ql2.TermSetInsert),
	"setUnion":        plain(ql2.TermSetUnion),
	"setIntersection": plain(ql2.TermSetIntersection),
	"setDifference":   plain(ql2.TermSetDifference),
	"slice":           {tt: ql2.TermSlice, conv: cvSlice},
	"skip":            plain(ql2.TermSkip),
	"limit":           plain(ql2.TermLimit),
	"getField":        plain(ql2.TermGetField),
	"contains":        plainFW(ql2.TermContains),
	"insertAt":        plain(ql2.TermInsertAt),
	"spliceAt":        plain(ql2.TermSpliceAt),
	"deleteAt":        plain(ql2.TermDeleteAt),
	"changeAt":        plain(ql2.TermChangeAt),
	"offsetsOf":       plainFW(ql2.TermOffsetsOf),
	"hasFields":       plain(ql2.TermHasFields),
	"withFields":      plain(ql2.TermWithFields),
	"keys":            plain(ql2.TermKeys),
	"values":          plain(ql2.TermValues),
	"changes":         aropt(ql2.TermChanges, 0, 0),
	"pluck":           plain(ql2.TermPluck),
	"without":         plain(ql2.TermWithout),
	"merge":           plainFW(ql2.TermMerge),
	"between":         aropt(ql2.TermBetween, 2, 0),
	"reduce":          plainFW(ql2.TermReduce),
	"map":             {tt: ql2.TermMap, conv: cvMap},
	"fold":            aropt(ql2.TermFold, 2, 1<<1),
	"filter":          aropt(ql2.TermFilter, 1, 1<<0),
	"concatMap":       plainFW(ql2.TermConcatMap),
	"distinct":        aropt(ql2.TermDistinct, 0, 0),
	"count":           plainFW(ql2.TermCount),
	"union":           {tt: ql2.TermUnion, conv: cvOrderBy},
	"nth":             plain(ql2.TermNth),
	"bracket":         plain(ql2.TermBracket),
	"toJSON":          plain(ql2.TermToJsonString),
	"toJsonString":    plain(ql2.TermToJsonString),
	"match":           plain(ql2.TermMatch),
	"split":           plainFW(ql2.TermSplit),
	"upcase":          plain(ql2.TermUpcase),
	"downcase":        plain(ql2.TermDowncase),
	"isEmpty":         plain(ql2.TermIsEmpty),
	"innerJoin":       plain(ql2.TermInnerJoin),
	"outerJoin":       plain(ql2.TermOuterJoin),
	"eqJoin":          aropt(ql2.TermEqJoin, 2, 1<<0),
	"zip":             plain(ql2.TermZip),
	"coerceTo":        plain(ql2.TermCoerceTo),
	"ungroup":         plain(ql2.TermUngroup),
	"typeOf":          plain(ql2.TermTypeOf),
	"update":          aropt(ql2.TermUpdate, 1, 1<<0),
	"delete":          aropt(ql2.TermDelete, 0, 0),
	"replace":         aropt(ql2.TermReplace, 1, 1<<0),
	"do":              {tt: ql2.TermFuncall, conv: cvDo},
	"default":         plain(ql2.TermDefault),
	"or":              plain(ql2.TermOr),
	"and":             plain(ql2.TermAnd),
	"branch":          plain(ql2.TermBranch),
	"forEach":         plainFW(ql2.TermForEach),
	"sum":             plainFW(ql2.TermSum),
	"avg":             plainFW(ql2.TermAvg),
	"info":            plain(ql2.TermInfo),
	"sample":          plain(ql2.TermSample),
	"group":           {tt: ql2.TermGroup, conv: cvGroup},
	"orderBy":         {tt: ql2.TermOrderBy, conv: cvOrderBy},
	"toGeojson":       plain(ql2.TermToGeojson),
	"distance":        aropt(ql2.TermDistance, 1, 0),
	"intersects":      plain(ql2.TermIntersects),
	"includes":        plain(ql2.TermIncludes),
	"fill":            plain(ql2.TermFill),
	"polygonSub":      plain(ql2.TermPolygonSub),
	"tableCreate":     aropt(ql2.TermTableCreate, 1, 0),
	"tableDrop":       plain(ql2.TermTableDrop),
	"tableList":       plain(ql2.TermTableList),
	"config":          {tt: ql2.TermConfig, conv: cvNoArgs},
	"status":          {tt: ql2.TermStatus, conv: cvNoArgs},
	"wait":            aropt(ql2.TermWait, 0, 0),
	"table":           aropt(ql2.TermTable, 1, 0),
	"get":             plain(ql2.TermGet),
	"getAll":          {tt: ql2.TermGetAll, conv: cvGetAll},
	"min":             {tt: ql2.TermMin, conv: cvMinMax},
	"max":             {tt: ql2.TermMax, conv: cvMinMax},
	"insert":          aropt(ql2.TermInsert, 1, 0),
	"setWriteHook":    plain(ql2.TermSetWriteHook),
	"getWriteHook":    {tt: ql2.TermGetWriteHook, conv: cvNoArgs},
	"indexCreate":     {tt: ql2.TermIndexCreate, conv: cvIndexCreate},
	"indexDrop":       plain(ql2.TermIndexDrop),
	"indexList":       plain(ql2.TermIndexList),
	"indexStatus":     plain(ql2.TermIndexStatus),
	"indexWait":       plain(ql2.TermIndexWait),
	"indexRename":     aropt(ql2.TermIndexRename, 2, 0),
	"reconfigure":     {tt: ql2.TermReconfigure, conv: cvReconfigure},
	"rebalance":       {tt: ql2.TermRebalance, conv: cvNoArgs},
	"sync":            plain(ql2.TermSync),
	"grant":           plain(ql2.TermGrant),
	"toISO8601":       plain(ql2.TermToIso8601),
	"toEpochTime":     plain(ql2.TermToEpochTime),
	"inTimezone":      plain(ql2.TermInTimezone),
	"during":          aropt(ql2.TermDuring, 2, 0),
	"date":            plain(ql2.TermDate),
	"timeOfDay":       plain(ql2.TermTimeOfDay),
	"timezone":        plain(ql2.TermTimezone),
	"year":            plain(ql2.TermYear),
	"month":           plain(ql2.TermMonth),
	"day":             plain(ql2.TermDay),
	"dayOfWeek":       plain(ql2.TermDayOfWeek),
	"dayOfYear":       plain(ql2.TermDayOfYear),
	"hours":           plain(ql2.TermHours),
	"minutes":         plain(ql2.TermMinutes),
	"seconds":         plain(ql2.TermSeconds),
	"uuid":            plain(ql2.TermUuid),
	"getIntersecting": aropt(ql2.TermGetIntersecting, 1, 0),
	"getNearest":      aropt(ql2.TermGetNearest, 1, 0),
}

// functionSpecs are the r.<name>(...) functions in ast.js (r.expr is
// handled as cvExpr under the name "expr").
var functionSpecs = map[string]spec{
	"expr":        {conv: cvExpr},
	"js":          aropt(ql2.TermJavascript, 1, 0),
	"http":        aropt(ql2.TermHttp, 1, 0),
	"json":        plain(ql2.TermJson),
	"error":       plain(ql2.TermError),
	"random":      {tt: ql2.TermRandom, conv: cvRandom},
	"binary":      {tt: ql2.TermBinary, conv: cvBinary},
	"table":       aropt(ql2.TermTable, 1, 0),
	"db":          plain(ql2.TermDb),
	"dbCreate":    plain(ql2.TermDbCreate),
	"dbDrop":      plain(ql2.TermDbDrop),
	"dbList":      plain(ql2.TermDbList),
	"tableCreate": aropt(ql2.TermTableCreate, 1, 0),
	"tableDrop":   plain(ql2.TermTableDrop),
	"tableList":   plain(ql2.TermTableList),
	"grant":       plain(ql2.TermGrant),
	"do":          {tt: ql2.TermFuncall, conv: cvDo},
	"branch":      plain(ql2.TermBranch),
	"map":         {tt: ql2.TermMap, conv: cvMap},
	"group":       plainFW(ql2.TermGroup),
	"reduce":      plainFW(ql2.TermReduce),
	"count":       plainFW(ql2.TermCount),
	"sum":         plainFW(ql2.TermSum),
	"avg":         plainFW(ql2.TermAvg),
	"min":         plainFW(ql2.TermMin),
	"max":         plainFW(ql2.TermMax),
	"distinct":    plain(ql2.TermDistinct),
	"contains":    plainFW(ql2.TermContains),
	"asc":         plainFW(ql2.TermAsc),
	"desc":        plainFW(ql2.TermDesc),
	"eq":          plain(ql2.TermEq),
	"ne":          plain(ql2.TermNe),
	"lt":          plain(ql2.TermLt),
	"le":          plain(ql2.TermLe),
	"gt":          plain(ql2.TermGt),
	"ge":          plain(ql2.TermGe),
	"or":          plain(ql2.TermOr),
	"and":         plain(ql2.TermAnd),
	"not":         plain(ql2.TermNot),
	"add":         plain(ql2.TermAdd),
	"sub":         plain(ql2.TermSub),
	"div":         plain(ql2.TermDiv),
	"mul":         plain(ql2.TermMul),
	"mod":         plain(ql2.TermMod),
	"bitAnd":      plain(ql2.TermBitAnd),
	"bitOr":       plain(ql2.TermBitOr),
	"bitXor":      plain(ql2.TermBitXor),
	"bitNot":      plain(ql2.TermBitNot),
	"bitSal":      plain(ql2.TermBitSal),
	"bitSar":      plain(ql2.TermBitSar),
	"floor":       plain(ql2.TermFloor),
	"ceil":        plain(ql2.TermCeil),
	"round":       plain(ql2.TermRound),
	"typeOf":      plain(ql2.TermTypeOf),
	"info":        plain(ql2.TermInfo),
	"literal":     plain(ql2.TermLiteral),
	"ISO8601":     aropt(ql2.TermIso8601, 1, 0),
	"epochTime":   plain(ql2.TermEpochTime),
	"now":         plain(ql2.TermNow),
	"time":        plain(ql2.TermTime),
	"object":      plain(ql2.TermObject),
	"args":        plain(ql2.TermArgs),
	"geojson":     plain(ql2.TermGeojson),
	"point":       plain(ql2.TermPoint),
	"line":        plain(ql2.TermLine),
	"polygon":     plain(ql2.TermPolygon),
	"intersects":  plain(ql2.TermIntersects),
	"distance":    aropt(ql2.TermDistance, 2, 0),
	"circle":      aropt(ql2.TermCircle, 2, 0),
	"uuid":        plain(ql2.TermUuid),
	"range":       plain(ql2.TermRange),
	"union":       plain(ql2.TermUnion),
}
