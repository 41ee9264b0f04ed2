package wire

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// DefaultIterations is RethinkDB's PBKDF2 iteration count for SCRAM-SHA-256.
const DefaultIterations = 4096

// Credentials is a user's SCRAM-SHA-256 verifier (RFC 5802): the server
// keeps StoredKey and ServerKey, never the password.
type Credentials struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// NewCredentials derives a verifier for password with a fresh random salt.
func NewCredentials(password string, iterations int) (Credentials, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Credentials{}, fmt.Errorf("generate salt: %w", err)
	}
	return DeriveCredentials(password, salt, iterations)
}

// DeriveCredentials derives a verifier for password with the given salt.
func DeriveCredentials(password string, salt []byte, iterations int) (Credentials, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return Credentials{}, fmt.Errorf("derive salted password: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return Credentials{
		Salt:       salt,
		Iterations: iterations,
		StoredKey:  stored[:],
		ServerKey:  hmacSHA256(salted, "Server Key"),
	}, nil
}

// Users looks up the credentials of driver users.
type Users interface {
	// Credentials returns the verifier of user, or ok=false if there is no
	// such user.
	Credentials(user string) (c Credentials, ok bool)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// authError is a handshake failure with RethinkDB's error code.
type authError struct {
	code int
	msg  string
}

func (e *authError) Error() string { return e.msg }

// errWrongPassword is RethinkDB's answer to a proof that does not match
// (SCRAM "invalid-proof"): for a wrong password and an unknown user alike.
var errWrongPassword = &authError{12, "Wrong password"}

// errLockedOut refuses a client address after too many failed attempts
// (see authLimiter). Code 20 is SCRAM's "other-error", which the drivers
// report as an authentication error (ReqlAuthError).
var errLockedOut = &authError{20, "Too many failed authentication attempts; try again later."}

// scramServer is the server side of one SCRAM-SHA-256 conversation, with
// RethinkDB's error codes (10-20).
type scramServer struct {
	users Users
	// fake gives an unknown user stable credentials that no proof
	// matches, so that the conversation of an unknown user looks and takes
	// the same as a known user's with a wrong password: same salt on every
	// try, same work, same "Wrong password" at the end.
	fake  func(user string) Credentials
	nonce func() string

	user             string
	creds            Credentials
	clientFirstBare  string
	serverFirst      string
	combinedNonce    string
	state            int
	authenticatedFor string
}

// first handles client-first-message and returns server-first-message.
func (s *scramServer) first(msg string) (string, error) {
	if !strings.HasPrefix(msg, "n,") {
		return "", &authError{15, "Channel binding is not supported"}
	}
	i := strings.IndexByte(msg[2:], ',')
	if i < 0 {
		return "", &authError{10, "Invalid encoding"}
	}
	s.clientFirstBare = msg[2+i+1:]
	attrs, err := splitAttributes(s.clientFirstBare)
	if err != nil {
		return "", err
	}
	var clientNonce string
	for k, v := range attrs {
		switch k {
		case 'n':
			if s.user, err = saslnameDecode(v); err != nil {
				return "", err
			}
		case 'r':
			clientNonce = v
		case 'm':
			return "", &authError{11, "Extensions not supported"}
		default:
			return "", &authError{10, "Invalid encoding"}
		}
	}
	if _, ok := attrs['n']; !ok {
		return "", &authError{10, "Invalid encoding"}
	}
	if _, ok := attrs['r']; !ok {
		return "", &authError{10, "Invalid encoding"}
	}
	var known bool
	if s.users != nil {
		s.creds, known = s.users.Credentials(s.user)
	}
	if !known {
		s.creds = s.fake(s.user)
	}
	s.combinedNonce = clientNonce + s.nonce()
	s.serverFirst = "r=" + s.combinedNonce + ",s=" + base64.StdEncoding.EncodeToString(s.creds.Salt) + ",i=" + strconv.Itoa(s.creds.Iterations)
	s.state = 1
	return s.serverFirst, nil
}

// final handles client-final-message and returns server-final-message.
func (s *scramServer) final(msg string) (string, error) {
	if s.state != 1 {
		return "", &authError{20, "Unexpected authentication message."}
	}
	attrs, err := splitAttributes(msg)
	if err != nil {
		return "", err
	}
	for k := range attrs {
		switch k {
		case 'c', 'r', 'p':
		case 'm':
			return "", &authError{11, "Extensions not supported"}
		default:
			return "", &authError{10, "Invalid encoding"}
		}
	}
	if attrs['c'] != "biws" || attrs['p'] == "" {
		return "", &authError{10, "Invalid encoding"}
	}
	if attrs['r'] != s.combinedNonce {
		return "", &authError{20, "Other error"}
	}
	withoutProof := msg
	if i := strings.Index(msg, ",p="); i >= 0 {
		withoutProof = msg[:i]
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + withoutProof
	proof, err := base64.StdEncoding.DecodeString(attrs['p'])
	if err != nil || len(proof) != sha256.Size {
		return "", errWrongPassword
	}
	clientSig := hmacSHA256(s.creds.StoredKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], s.creds.StoredKey) != 1 {
		return "", errWrongPassword
	}
	s.state = 2
	s.authenticatedFor = s.user
	return "v=" + base64.StdEncoding.EncodeToString(hmacSHA256(s.creds.ServerKey, authMessage)), nil
}

// splitAttributes parses "k=v,k=v" SCRAM attributes as RethinkDB does:
// single-letter keys, no duplicates.
func splitAttributes(msg string) (map[byte]string, error) {
	out := map[byte]string{}
	for msg != "" {
		eq := strings.IndexByte(msg, '=')
		if eq != 1 {
			return nil, &authError{10, "Invalid encoding"}
		}
		key := msg[0]
		if _, dup := out[key]; dup {
			return nil, &authError{10, "Invalid encoding"}
		}
		rest := msg[2:]
		if c := strings.IndexByte(rest, ','); c >= 0 {
			out[key] = rest[:c]
			msg = rest[c+1:]
		} else {
			out[key] = rest
			msg = ""
		}
	}
	return out, nil
}

// saslnameDecode undoes the "=2C" and "=3D" escapes of RFC 5802 usernames.
func saslnameDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", &authError{18, "Invalid username encoding"}
		}
		switch s[i+1 : i+3] {
		case "2C":
			b.WriteByte(',')
		case "3D":
			b.WriteByte('=')
		default:
			return "", &authError{18, "Invalid username encoding"}
		}
		i += 2
	}
	return b.String(), nil
}
