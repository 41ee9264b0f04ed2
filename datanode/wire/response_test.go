package wire

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
)

// appendResponse writes what json.Marshal made of the response struct the
// wire layer used before (fields t, e omitempty, r, b omitempty, n omitempty).
func TestAppendResponseMatchesJSONMarshal(t *testing.T) {
	type legacy struct {
		T int               `json:"t"`
		E int               `json:"e,omitempty"`
		R []json.RawMessage `json:"r"`
		B *[]any            `json:"b,omitempty"`
		N *[]int            `json:"n,omitempty"`
	}
	notes, empty := []int{1, 2}, []int{}
	var nilNotes []int
	cases := []response{
		{T: respSuccessSequence, R: []json.RawMessage{}, N: &empty},
		{T: respSuccessPartial, R: []json.RawMessage{[]byte(`{"a":1}`), []byte(`2`)}, N: &notes},
		{T: respSuccessPartial, R: nil, N: &nilNotes},
		{T: respWaitComplete, R: []json.RawMessage{}},
		{T: respSuccessAtom, R: []json.RawMessage{mustMarshal(t, "x<y")}},
		errorResponse(errors.New("boom <&>")),
		errorResponse(reql.ClientError("Token %d not in stream cache.", 7)),
		errorResponse(&reql.Error{Kind: reql.KindRuntime, Type: reql.ErrOpFailed, Msg: "m", Backtrace: []any{1.0, "a"}}),
	}
	for _, r := range cases {
		want, err := json.Marshal(legacy{T: r.T, E: r.E, R: r.R, B: r.B, N: r.N})
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendResponse(nil, r)
		if err != nil || string(got) != string(want) {
			t.Errorf("appendResponse = %s, %v; want %s", got, err, want)
		}
	}
	// Rows joined as a cursor batch builds them.
	var b batch
	for _, v := range []any{map[string]any{"b": 1.0, "a": "<"}, nil, []any{}} {
		if err := b.add(v); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := appendResponse(nil, response{T: respSuccessSequence, rows: b.rows, N: &empty})
	if want := `{"t":2,"r":[{"a":"\u003c","b":1},null,[]],"n":[]}`; string(got) != want {
		t.Errorf("batch response = %s, want %s", got, want)
	}
	if b.n != 3 || b.size != len(`{"a":"\u003c","b":1}`)+len(`null`)+len(`[]`) {
		t.Errorf("batch counts %d rows, %d bytes", b.n, b.size)
	}
}

func mustMarshal(t *testing.T, v any) json.RawMessage {
	b, err := reql.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
