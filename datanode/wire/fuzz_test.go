package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
)

func frame(token uint64, payload string) []byte {
	b := make([]byte, 12+len(payload))
	binary.LittleEndian.PutUint64(b, token)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(payload)))
	copy(b[12:], payload)
	return b
}

// FuzzFrame feeds arbitrary bytes to the frame reader, the query parser and
// the compiler: nothing may panic, and every failure must be a clean error.
func FuzzFrame(f *testing.F) {
	f.Add(frame(1, `[1,[15,["t"]],{}]`))
	f.Add(frame(2, `[1,[56,[[15,["t"]],{"id":1}]],{"db":[14,["test"]]}]`))
	f.Add(frame(3, `[2]`))
	f.Add(frame(4, `[1,[2,[1,2,[3,[]]]]]`))
	f.Add(frame(5, `[1,[69,[[2,[1]],[10,[1]]]]]`))
	f.Add(frame(6, `not json`))
	f.Add([]byte{1, 2, 3})
	f.Add(append(frame(7, ""), 0xff, 0xff, 0xff, 0x7f))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for i := 0; i < 8; i++ {
			_, payload, err := readFrame(r)
			if err != nil {
				return
			}
			qtype, term, opts, err := parseQuery(payload)
			if err != nil || qtype != queryStart || term == nil {
				continue
			}
			q, err := reql.Compile(term, opts)
			if err == nil && q == nil {
				t.Fatal("Compile returned neither a query nor an error")
			}
		}
	})
}

// FuzzHandshake feeds arbitrary handshake messages to the JSON parser and
// both SCRAM steps.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte(`{"protocol_version":0,"authentication_method":"SCRAM-SHA-256","authentication":"n,,n=admin,r=abc"}`), rfcClientFinal)
	f.Add([]byte(`{}`), "c=biws,r=x,p=y")
	f.Add([]byte(`[]`), "")
	f.Add([]byte(`{"authentication":"n,,n==,r="}`), "=,=")
	f.Add([]byte(`{"protocol_version":0,"authentication_method":"SCRAM-SHA-256","authentication":"n,,n=nobody,r=abc"}`), "c=biws,r=abcn,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	f.Fuzz(func(t *testing.T, first []byte, final string) {
		msg, err := parseHandshake(first)
		if err != nil {
			return
		}
		auth, _ := msg["authentication"].(string)
		creds, _ := DeriveCredentials("", []byte("saltsaltsaltsalt"), 1)
		s := &scramServer{users: userMap{"admin": creds}, fake: func(string) Credentials { return Credentials{Salt: []byte("x"), Iterations: 1} }, nonce: func() string { return "n" }}
		if _, err := s.first(auth); err != nil {
			return
		}
		_, _ = s.final(final)
	})
}
