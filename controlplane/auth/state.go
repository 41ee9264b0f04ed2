package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// stateCookie carries a login from /auth/login to /auth/callback.
const stateCookie = "photondb_login"

// Errors of the login state (wrapped with details).
var (
	ErrStateInvalid = errors.New("auth: login state missing, invalid or expired")
	ErrStateReplay  = errors.New("auth: login state already used")
)

// loginState is what /auth/login remembers for /auth/callback, in a
// cookie sealed with AES-256-GCM (authenticated and unreadable to the
// browser), so any control-plane replica can finish a login another one
// started.
type loginState struct {
	State    string `json:"s"`           // the OAuth2 state parameter
	Nonce    string `json:"n,omitempty"` // the OIDC nonce
	Verifier string `json:"v"`           // the PKCE code verifier
	Provider string `json:"p"`           // "oidc" or "github"
	Tenant   string `json:"t,omitempty"` // tenant asked for at login
	ReturnTo string `json:"r,omitempty"` // local path to go back to
	Expires  int64  `json:"e"`           // unix seconds
}

// stateAAD binds sealed states to their purpose.
var stateAAD = []byte("photondb login state v1")

func (k *sessionKeys) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.stateKey)
	if err != nil {
		return nil, fmt.Errorf("auth: state cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts and authenticates st.
func (k *sessionKeys) seal(st loginState) (string, error) {
	aead, err := k.aead()
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("auth: encode state: %w", err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("auth: state nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, stateAAD)), nil
}

// open authenticates and decrypts a sealed state and checks its expiry.
func (k *sessionKeys) open(sealed string, now time.Time) (loginState, error) {
	if sealed == "" || len(sealed) > maxTokenLen {
		return loginState{}, fmt.Errorf("%w: no state cookie", ErrStateInvalid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sealed)
	if err != nil {
		return loginState{}, fmt.Errorf("%w: %v", ErrStateInvalid, err)
	}
	aead, err := k.aead()
	if err != nil {
		return loginState{}, err
	}
	if len(raw) < aead.NonceSize()+aead.Overhead() {
		return loginState{}, fmt.Errorf("%w: too short", ErrStateInvalid)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], stateAAD)
	if err != nil {
		return loginState{}, fmt.Errorf("%w: %v", ErrStateInvalid, err)
	}
	var st loginState
	if err := json.Unmarshal(plain, &st); err != nil {
		return loginState{}, fmt.Errorf("%w: %v", ErrStateInvalid, err)
	}
	if st.State == "" || st.Verifier == "" || now.Unix() >= st.Expires {
		return loginState{}, fmt.Errorf("%w: expired or incomplete", ErrStateInvalid)
	}
	return st, nil
}

// usedStates remembers consumed login states until they expire, so a
// replayed callback fails even though the state cookie is stateless. It
// is bounded: when full, the oldest entries go first (they are the
// closest to expiring anyway).
//
// Each replica has its own set. With several replicas a replay sent to
// another replica is not seen here; what bounds it then is that the
// callback clears the state cookie (a browser cannot replay it), that a
// state lives only StateTTL, and that the provider accepts an
// authorization code once.
type usedStates struct {
	mu    sync.Mutex
	max   int
	seen  map[[32]byte]time.Time
	order [][32]byte // insertion order (FIFO), for expiry and eviction
	head  int
}

func newUsedStates(max int) *usedStates {
	return &usedStates{max: max, seen: map[[32]byte]time.Time{}}
}

// use records state as consumed until exp; false when it already was.
func (u *usedStates) use(state string, exp, now time.Time) bool {
	key := sha256.Sum256([]byte(state))
	u.mu.Lock()
	defer u.mu.Unlock()
	// Drop the expired and, when full, the oldest.
	for u.head < len(u.order) {
		k := u.order[u.head]
		if t, ok := u.seen[k]; ok && now.Before(t) && len(u.seen) < u.max {
			break
		}
		delete(u.seen, k)
		u.head++
	}
	if u.head > len(u.order)/2 && u.head > 1024 {
		u.order = append([][32]byte(nil), u.order[u.head:]...)
		u.head = 0
	}
	if _, ok := u.seen[key]; ok {
		return false
	}
	u.seen[key] = exp
	u.order = append(u.order, key)
	return true
}

func (u *usedStates) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// randomToken is 32 random bytes, base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// localPath reports whether p is a path on this server (not another
// site: no scheme, no "//" or "/\" prefix, no control characters).
func localPath(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 2048 || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return false
		}
	}
	return true
}
