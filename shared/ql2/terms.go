// Term numbers transcribed from RethinkDB 2.4's src/rdb_protocol/ql2.proto (via
// the official JavaScript driver's generated proto-def.js, v2.4.2).

package ql2

// Term numbers, exactly as in ql2.proto (message Term, enum TermType).
const (
	TermDatum             TermType = 1
	TermMakeArray         TermType = 2
	TermMakeObj           TermType = 3
	TermVar               TermType = 10
	TermJavascript        TermType = 11
	TermError             TermType = 12
	TermImplicitVar       TermType = 13
	TermDb                TermType = 14
	TermTable             TermType = 15
	TermGet               TermType = 16
	TermEq                TermType = 17
	TermNe                TermType = 18
	TermLt                TermType = 19
	TermLe                TermType = 20
	TermGt                TermType = 21
	TermGe                TermType = 22
	TermNot               TermType = 23
	TermAdd               TermType = 24
	TermSub               TermType = 25
	TermMul               TermType = 26
	TermDiv               TermType = 27
	TermMod               TermType = 28
	TermAppend            TermType = 29
	TermSlice             TermType = 30
	TermGetField          TermType = 31
	TermHasFields         TermType = 32
	TermPluck             TermType = 33
	TermWithout           TermType = 34
	TermMerge             TermType = 35
	TermBetweenDeprecated TermType = 36
	TermReduce            TermType = 37
	TermMap               TermType = 38
	TermFilter            TermType = 39
	TermConcatMap         TermType = 40
	TermOrderBy           TermType = 41
	TermDistinct          TermType = 42
	TermCount             TermType = 43
	TermUnion             TermType = 44
	TermNth               TermType = 45
	TermInnerJoin         TermType = 48
	TermOuterJoin         TermType = 49
	TermEqJoin            TermType = 50
	TermCoerceTo          TermType = 51
	TermTypeOf            TermType = 52
	TermUpdate            TermType = 53
	TermDelete            TermType = 54
	TermReplace           TermType = 55
	TermInsert            TermType = 56
	TermDbCreate          TermType = 57
	TermDbDrop            TermType = 58
	TermDbList            TermType = 59
	TermTableCreate       TermType = 60
	TermTableDrop         TermType = 61
	TermTableList         TermType = 62
	TermFuncall           TermType = 64
	TermBranch            TermType = 65
	TermOr                TermType = 66
	TermAnd               TermType = 67
	TermForEach           TermType = 68
	TermFunc              TermType = 69
	TermSkip              TermType = 70
	TermLimit             TermType = 71
	TermZip               TermType = 72
	TermAsc               TermType = 73
	TermDesc              TermType = 74
	TermIndexCreate       TermType = 75
	TermIndexDrop         TermType = 76
	TermIndexList         TermType = 77
	TermGetAll            TermType = 78
	TermInfo              TermType = 79
	TermPrepend           TermType = 80
	TermSample            TermType = 81
	TermInsertAt          TermType = 82
	TermDeleteAt          TermType = 83
	TermChangeAt          TermType = 84
	TermSpliceAt          TermType = 85
	TermIsEmpty           TermType = 86
	TermOffsetsOf         TermType = 87
	TermSetInsert         TermType = 88
	TermSetIntersection   TermType = 89
	TermSetUnion          TermType = 90
	TermSetDifference     TermType = 91
	TermDefault           TermType = 92
	TermContains          TermType = 93
	TermKeys              TermType = 94
	TermDifference        TermType = 95
	TermWithFields        TermType = 96
	TermMatch             TermType = 97
	TermJson              TermType = 98
	TermIso8601           TermType = 99
	TermToIso8601         TermType = 100
	TermEpochTime         TermType = 101
	TermToEpochTime       TermType = 102
	TermNow               TermType = 103
	TermInTimezone        TermType = 104
	TermDuring            TermType = 105
	TermDate              TermType = 106
	TermMonday            TermType = 107
	TermTuesday           TermType = 108
	TermWednesday         TermType = 109
	TermThursday          TermType = 110
	TermFriday            TermType = 111
	TermSaturday          TermType = 112
	TermSunday            TermType = 113
	TermJanuary           TermType = 114
	TermFebruary          TermType = 115
	TermMarch             TermType = 116
	TermApril             TermType = 117
	TermMay               TermType = 118
	TermJune              TermType = 119
	TermJuly              TermType = 120
	TermAugust            TermType = 121
	TermSeptember         TermType = 122
	TermOctober           TermType = 123
	TermNovember          TermType = 124
	TermDecember          TermType = 125
	TermTimeOfDay         TermType = 126
	TermTimezone          TermType = 127
	TermYear              TermType = 128
	TermMonth             TermType = 129
	TermDay               TermType = 130
	TermDayOfWeek         TermType = 131
	TermDayOfYear         TermType = 132
	TermHours             TermType = 133
	TermMinutes           TermType = 134
	TermSeconds           TermType = 135
	TermTime              TermType = 136
	TermLiteral           TermType = 137
	TermSync              TermType = 138
	TermIndexStatus       TermType = 139
	TermIndexWait         TermType = 140
	TermUpcase            TermType = 141
	TermDowncase          TermType = 142
	TermObject            TermType = 143
	TermGroup             TermType = 144
	TermSum               TermType = 145
	TermAvg               TermType = 146
	TermMin               TermType = 147
	TermMax               TermType = 148
	TermSplit             TermType = 149
	TermUngroup           TermType = 150
	TermRandom            TermType = 151
	TermChanges           TermType = 152
	TermHttp              TermType = 153
	TermArgs              TermType = 154
	TermBinary            TermType = 155
	TermIndexRename       TermType = 156
	TermGeojson           TermType = 157
	TermToGeojson         TermType = 158
	TermPoint             TermType = 159
	TermLine              TermType = 160
	TermPolygon           TermType = 161
	TermDistance          TermType = 162
	TermIntersects        TermType = 163
	TermIncludes          TermType = 164
	TermCircle            TermType = 165
	TermGetIntersecting   TermType = 166
	TermFill              TermType = 167
	TermGetNearest        TermType = 168
	TermUuid              TermType = 169
	TermBracket           TermType = 170
	TermPolygonSub        TermType = 171
	TermToJsonString      TermType = 172
	TermRange             TermType = 173
	TermConfig            TermType = 174
	TermStatus            TermType = 175
	TermReconfigure       TermType = 176
	TermWait              TermType = 177
	TermRebalance         TermType = 179
	TermMinval            TermType = 180
	TermMaxval            TermType = 181
	TermBetween           TermType = 182
	TermFloor             TermType = 183
	TermCeil              TermType = 184
	TermRound             TermType = 185
	TermValues            TermType = 186
	TermFold              TermType = 187
	TermGrant             TermType = 188
	TermSetWriteHook      TermType = 189
	TermGetWriteHook      TermType = 190
	TermBitAnd            TermType = 191
	TermBitOr             TermType = 192
	TermBitXor            TermType = 193
	TermBitNot            TermType = 194
	TermBitSal            TermType = 195
	TermBitSar            TermType = 196
)

// termNames maps every term number of ql2.proto to its enum name.
var termNames = map[TermType]string{
	TermDatum:             "DATUM",
	TermMakeArray:         "MAKE_ARRAY",
	TermMakeObj:           "MAKE_OBJ",
	TermVar:               "VAR",
	TermJavascript:        "JAVASCRIPT",
	TermError:             "ERROR",
	TermImplicitVar:       "IMPLICIT_VAR",
	TermDb:                "DB",
	TermTable:             "TABLE",
	TermGet:               "GET",
	TermEq:                "EQ",
	TermNe:                "NE",
	TermLt:                "LT",
	TermLe:                "LE",
	TermGt:                "GT",
	TermGe:                "GE",
	TermNot:               "NOT",
	TermAdd:               "ADD",
	TermSub:               "SUB",
	TermMul:               "MUL",
	TermDiv:               "DIV",
	TermMod:               "MOD",
	TermAppend:            "APPEND",
	TermSlice:             "SLICE",
	TermGetField:          "GET_FIELD",
	TermHasFields:         "HAS_FIELDS",
	TermPluck:             "PLUCK",
	TermWithout:           "WITHOUT",
	TermMerge:             "MERGE",
	TermBetweenDeprecated: "BETWEEN_DEPRECATED",
	TermReduce:            "REDUCE",
	TermMap:               "MAP",
	TermFilter:            "FILTER",
	TermConcatMap:         "CONCAT_MAP",
	TermOrderBy:           "ORDER_BY",
	TermDistinct:          "DISTINCT",
	TermCount:             "COUNT",
	TermUnion:             "UNION",
	TermNth:               "NTH",
	TermInnerJoin:         "INNER_JOIN",
	TermOuterJoin:         "OUTER_JOIN",
	TermEqJoin:            "EQ_JOIN",
	TermCoerceTo:          "COERCE_TO",
	TermTypeOf:            "TYPE_OF",
	TermUpdate:            "UPDATE",
	TermDelete:            "DELETE",
	TermReplace:           "REPLACE",
	TermInsert:            "INSERT",
	TermDbCreate:          "DB_CREATE",
	TermDbDrop:            "DB_DROP",
	TermDbList:            "DB_LIST",
	TermTableCreate:       "TABLE_CREATE",
	TermTableDrop:         "TABLE_DROP",
	TermTableList:         "TABLE_LIST",
	TermFuncall:           "FUNCALL",
	TermBranch:            "BRANCH",
	TermOr:                "OR",
	TermAnd:               "AND",
	TermForEach:           "FOR_EACH",
	TermFunc:              "FUNC",
	TermSkip:              "SKIP",
	TermLimit:             "LIMIT",
	TermZip:               "ZIP",
	TermAsc:               "ASC",
	TermDesc:              "DESC",
	TermIndexCreate:       "INDEX_CREATE",
	TermIndexDrop:         "INDEX_DROP",
	TermIndexList:         "INDEX_LIST",
	TermGetAll:            "GET_ALL",
	TermInfo:              "INFO",
	TermPrepend:           "PREPEND",
	TermSample:            "SAMPLE",
	TermInsertAt:          "INSERT_AT",
	TermDeleteAt:          "DELETE_AT",
	TermChangeAt:          "CHANGE_AT",
	TermSpliceAt:          "SPLICE_AT",
	TermIsEmpty:           "IS_EMPTY",
	TermOffsetsOf:         "OFFSETS_OF",
	TermSetInsert:         "SET_INSERT",
	TermSetIntersection:   "SET_INTERSECTION",
	TermSetUnion:          "SET_UNION",
	TermSetDifference:     "SET_DIFFERENCE",
	TermDefault:           "DEFAULT",
	TermContains:          "CONTAINS",
	TermKeys:              "KEYS",
	TermDifference:        "DIFFERENCE",
	TermWithFields:        "WITH_FIELDS",
	TermMatch:             "MATCH",
	TermJson:              "JSON",
	TermIso8601:           "ISO8601",
	TermToIso8601:         "TO_ISO8601",
	TermEpochTime:         "EPOCH_TIME",
	TermToEpochTime:       "TO_EPOCH_TIME",
	TermNow:               "NOW",
	TermInTimezone:        "IN_TIMEZONE",
	TermDuring:            "DURING",
	TermDate:              "DATE",
	TermMonday:            "MONDAY",
	TermTuesday:           "TUESDAY",
	TermWednesday:         "WEDNESDAY",
	TermThursday:          "THURSDAY",
	TermFriday:            "FRIDAY",
	TermSaturday:          "SATURDAY",
	TermSunday:            "SUNDAY",
	TermJanuary:           "JANUARY",
	TermFebruary:          "FEBRUARY",
	TermMarch:             "MARCH",
	TermApril:             "APRIL",
	TermMay:               "MAY",
	TermJune:              "JUNE",
	TermJuly:              "JULY",
	TermAugust:            "AUGUST",
	TermSeptember:         "SEPTEMBER",
	TermOctober:           "OCTOBER",
	TermNovember:          "NOVEMBER",
	TermDecember:          "DECEMBER",
	TermTimeOfDay:         "TIME_OF_DAY",
	TermTimezone:          "TIMEZONE",
	TermYear:              "YEAR",
	TermMonth:             "MONTH",
	TermDay:               "DAY",
	TermDayOfWeek:         "DAY_OF_WEEK",
	TermDayOfYear:         "DAY_OF_YEAR",
	TermHours:             "HOURS",
	TermMinutes:           "MINUTES",
	TermSeconds:           "SECONDS",
	TermTime:              "TIME",
	TermLiteral:           "LITERAL",
	TermSync:              "SYNC",
	TermIndexStatus:       "INDEX_STATUS",
	TermIndexWait:         "INDEX_WAIT",
	TermUpcase:            "UPCASE",
	TermDowncase:          "DOWNCASE",
	TermObject:            "OBJECT",
	TermGroup:             "GROUP",
	TermSum:               "SUM",
	TermAvg:               "AVG",
	TermMin:               "MIN",
	TermMax:               "MAX",
	TermSplit:             "SPLIT",
	TermUngroup:           "UNGROUP",
	TermRandom:            "RANDOM",
	TermChanges:           "CHANGES",
	TermHttp:              "HTTP",
	TermArgs:              "ARGS",
	TermBinary:            "BINARY",
	TermIndexRename:       "INDEX_RENAME",
	TermGeojson:           "GEOJSON",
	TermToGeojson:         "TO_GEOJSON",
	TermPoint:             "POINT",
	TermLine:              "LINE",
	TermPolygon:           "POLYGON",
	TermDistance:          "DISTANCE",
	TermIntersects:        "INTERSECTS",
	TermIncludes:          "INCLUDES",
	TermCircle:            "CIRCLE",
	TermGetIntersecting:   "GET_INTERSECTING",
	TermFill:              "FILL",
	TermGetNearest:        "GET_NEAREST",
	TermUuid:              "UUID",
	TermBracket:           "BRACKET",
	TermPolygonSub:        "POLYGON_SUB",
	TermToJsonString:      "TO_JSON_STRING",
	TermRange:             "RANGE",
	TermConfig:            "CONFIG",
	TermStatus:            "STATUS",
	TermReconfigure:       "RECONFIGURE",
	TermWait:              "WAIT",
	TermRebalance:         "REBALANCE",
	TermMinval:            "MINVAL",
	TermMaxval:            "MAXVAL",
	TermBetween:           "BETWEEN",
	TermFloor:             "FLOOR",
	TermCeil:              "CEIL",
	TermRound:             "ROUND",
	TermValues:            "VALUES",
	TermFold:              "FOLD",
	TermGrant:             "GRANT",
	TermSetWriteHook:      "SET_WRITE_HOOK",
	TermGetWriteHook:      "GET_WRITE_HOOK",
	TermBitAnd:            "BIT_AND",
	TermBitOr:             "BIT_OR",
	TermBitXor:            "BIT_XOR",
	TermBitNot:            "BIT_NOT",
	TermBitSal:            "BIT_SAL",
	TermBitSar:            "BIT_SAR",
}
