// Package tlsconfig builds the TLS configurations of PhotonDB's listeners
// (driver port and HTTP, like RethinkDB's --driver-tls-* and --http-tls-*)
// and of its internal clients, with modern settings only: TLS 1.2 or
// later, AEAD cipher suites with forward secrecy, X25519 and P-256.
package tlsconfig

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Files name a certificate, its key and an optional CA bundle, PEM-encoded.
type Files struct {
	Cert, Key string
	// CA, on a server, makes client certificates required and verified
	// against it; on a client, it is the set of trusted roots (the system
	// roots when empty).
	CA string
}

// Enabled reports whether a certificate is configured.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" }

// cipherSuites are the TLS 1.2 suites allowed: ECDHE key exchange with an
// AEAD cipher (TLS 1.3 suites are not configurable and all qualify).
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

func base() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     cipherSuites,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
	}
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA %s: %w", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA %s: no PEM certificate found", path)
	}
	return pool, nil
}

// Server returns the listener configuration for f (nil when f has no
// certificate).
func Server(f Files) (*tls.Config, error) {
	if !f.Enabled() {
		if f.CA != "" {
			return nil, errors.New("a TLS CA needs a certificate and key too")
		}
		return nil, nil
	}
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("TLS needs both a certificate and a key")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", f.Cert, f.Key, err)
	}
	c := base()
	c.Certificates = []tls.Certificate{cert}
	if f.CA != "" {
		pool, err := loadPool(f.CA)
		if err != nil {
			return nil, err
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// Client returns the configuration of a client that trusts the roots in
// caFile (the system roots when empty) and presents f's certificate when
// f has one (for servers that require client certificates).
func Client(caFile string, f Files) (*tls.Config, error) {
	c := base()
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	if f.Cert != "" && f.Key != "" {
		cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate %s: %w", f.Cert, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// Pinned returns the configuration of a client that trusts exactly the
// certificate the server config presents, whatever name it was dialled by:
// for a process talking to its own listener (serve's control plane and
// data node), where the certificate may not name 127.0.0.1. It presents the
// same certificate, for listeners that require client certificates.
func Pinned(server *tls.Config) *tls.Config {
	if server == nil || len(server.Certificates) == 0 {
		return nil
	}
	own := server.Certificates[0]
	c := base()
	c.Certificates = []tls.Certificate{own}
	c.InsecureSkipVerify = true // replaced by the pin below
	c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 || len(own.Certificate) == 0 || !bytes.Equal(raw[0], own.Certificate[0]) {
			return errors.New("tls: peer certificate is not this server's own")
		}
		return nil
	}
	return c
}
