package wire

import (
	"encoding/base64"
	"errors"
	"testing"
)

type userMap map[string]Credentials

func (u userMap) Credentials(name string) (Credentials, bool) { c, ok := u[name]; return c, ok }

// RFC 7677 section 3: user "user", password "pencil".
const (
	rfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	rfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	rfcSalt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
	rfcServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	rfcClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

func rfcServer(t *testing.T, password string) *scramServer {
	t.Helper()
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	creds, err := DeriveCredentials(password, salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(nil, nil, nil)
	return &scramServer{
		users: userMap{"user": creds},
		fake:  srv.fakeCredentials,
		nonce: func() string { return rfcServerNonce },
	}
}

func TestSCRAMKnownVector(t *testing.T) {
	s := rfcServer(t, "pencil")
	first, err := s.first(rfcClientFirst)
	if err != nil {
		t.Fatal(err)
	}
	if first != rfcServerFirst {
		t.Fatalf("server-first:\n got %s\nwant %s", first, rfcServerFirst)
	}
	final, err := s.final(rfcClientFinal)
	if err != nil {
		t.Fatal(err)
	}
	if final != rfcServerFinal {
		t.Fatalf("server-final:\n got %s\nwant %s", final, rfcServerFinal)
	}
	if s.authenticatedFor != "user" {
		t.Fatalf("authenticated user %q", s.authenticatedFor)
	}
}

func TestSCRAMErrors(t *testing.T) {
	tests := []struct {
		name        string
		password    string
		clientFirst string
		clientFinal string
		code        int
	}{
		{"wrong password", "not-pencil", rfcClientFirst, rfcClientFinal, 12},
		{"unknown user: same answer as a wrong password", "pencil", "n,,n=nobody,r=rOprNGfwEbeRWgbNEkqO", rfcClientFinal, 12},
		{"channel binding", "pencil", "p=tls-unique,,n=user,r=x", "", 15},
		{"bad username escape", "pencil", "n,,n=us=ZZer,r=x", "", 18},
		{"extension", "pencil", "n,,n=user,r=x,m=ext", "", 11},
		{"missing nonce", "pencil", "n,,n=user", "", 10},
		{"garbage", "pencil", "n,,garbage", "", 10},
		{"wrong nonce", "pencil", rfcClientFirst, "c=biws,r=other,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", 20},
		{"bad channel binding data", "pencil", rfcClientFirst, "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", 10},
		{"proof not base64", "pencil", rfcClientFirst, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=!!!", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rfcServer(t, tt.password)
			_, err := s.first(tt.clientFirst)
			if err == nil {
				_, err = s.final(tt.clientFinal)
			}
			var ae *authError
			if !errors.As(err, &ae) {
				t.Fatalf("want an auth error with code %d, got %v", tt.code, err)
			}
			if ae.code != tt.code {
				t.Fatalf("code %d (%s), want %d", ae.code, ae.msg, tt.code)
			}
		})
	}
}

func TestSCRAMUnknownUserGetsStableFakeSalt(t *testing.T) {
	srv := NewServer(nil, userMap{}, nil)
	a, b := srv.fakeSalt("mallory"), srv.fakeSalt("mallory")
	if string(a) != string(b) || len(a) != 16 {
		t.Fatalf("fake salt not stable: %x %x", a, b)
	}
	if string(srv.fakeSalt("eve")) == string(a) {
		t.Fatal("fake salts of different users collide")
	}
}

func TestSaslnameDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"admin", "admin"},
		{"a=2Cb", "a,b"},
		{"a=3Db", "a=b"},
		{"=3D=2C", "=,"},
	}
	for _, tt := range tests {
		got, err := saslnameDecode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("saslnameDecode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
