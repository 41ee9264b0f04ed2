package config

import (
	"flag"

	"github.com/photondb-io/photondb/shared/tlsconfig"
)

// TLS holds the TLS flags: --tls-cert, --tls-key and --tls-ca apply to
// every listener; --driver-tls-* and --http-tls-* (RethinkDB's names)
// override them per port. The CA makes client certificates required on the
// listeners and is the trust root of this process's own outgoing
// connections (data node to control plane, control plane to data node).
type TLS struct {
	Cert, Key, CA                   string
	DriverCert, DriverKey, DriverCA string
	HTTPCert, HTTPKey, HTTPCA       string
	ClientCA                        string // roots for outgoing connections (default: --tls-ca)
}

func (t *TLS) register(fs *flag.FlagSet) {
	fs.StringVar(&t.Cert, "tls-cert", "", "TLS certificate (PEM) for the driver and HTTP ports")
	fs.StringVar(&t.Key, "tls-key", "", "TLS private key (PEM) for --tls-cert")
	fs.StringVar(&t.CA, "tls-ca", "", "CA bundle (PEM): clients must present a certificate it signed; also trusted for this process's own connections")
	fs.StringVar(&t.DriverCert, "driver-tls-cert", "", "TLS certificate for the driver port (overrides --tls-cert)")
	fs.StringVar(&t.DriverKey, "driver-tls-key", "", "TLS key for the driver port")
	fs.StringVar(&t.DriverCA, "driver-tls-ca", "", "client CA for the driver port")
	fs.StringVar(&t.HTTPCert, "http-tls-cert", "", "TLS certificate for the HTTP port (overrides --tls-cert)")
	fs.StringVar(&t.HTTPKey, "http-tls-key", "", "TLS key for the HTTP port")
	fs.StringVar(&t.HTTPCA, "http-tls-ca", "", "client CA for the HTTP port")
	fs.StringVar(&t.ClientCA, "tls-client-ca", "", "CA bundle trusted for outgoing connections (default: --tls-ca, else the system roots)")
}

func pick(specific, general string) string {
	if specific != "" {
		return specific
	}
	return general
}

// Driver is the driver port's TLS files.
func (t TLS) Driver() tlsconfig.Files {
	if t.DriverCert != "" || t.DriverKey != "" {
		return tlsconfig.Files{Cert: t.DriverCert, Key: t.DriverKey, CA: pick(t.DriverCA, t.CA)}
	}
	return tlsconfig.Files{Cert: t.Cert, Key: t.Key, CA: pick(t.DriverCA, t.CA)}
}

// HTTP is the HTTP port's TLS files.
func (t TLS) HTTP() tlsconfig.Files {
	if t.HTTPCert != "" || t.HTTPKey != "" {
		return tlsconfig.Files{Cert: t.HTTPCert, Key: t.HTTPKey, CA: pick(t.HTTPCA, t.CA)}
	}
	return tlsconfig.Files{Cert: t.Cert, Key: t.Key, CA: pick(t.HTTPCA, t.CA)}
}

// Roots is the CA file trusted for outgoing connections ("" : system roots).
func (t TLS) Roots() string { return pick(t.ClientCA, t.CA) }
