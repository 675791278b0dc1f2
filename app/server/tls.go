package server

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"

	"honnin/app/acs"
	"honnin/app/config"
)

// dsAuth authenticates the Directory Servers that send AReqs: by a client certificate chaining to a
// configured CA (mutual TLS), or by the fingerprint a TLS-terminating proxy at a configured address
// passes in a header. Each CA or fingerprint binds the Directory Server to brands.
type dsAuth struct {
	pool       *x509.CertPool
	rootBrands map[string][]string // CA certificate (DER) → brands, nil for every brand
	proxies    []netip.Prefix
	header     string
	prints     map[string][]string
	open       bool // demo mode without any of the above: every caller is acs.OpenDS
}

func newDSAuth(cfg config.Config) (*dsAuth, error) {
	d := &dsAuth{rootBrands: map[string][]string{}, proxies: cfg.DSProxyAddrs, header: cfg.DSCertHeader,
		prints: map[string][]string{}, open: !cfg.DSAuthenticated()}
	for fp, brands := range cfg.DSClientFingerprints {
		d.prints[fp] = brandList(brands)
	}
	cas := []struct{ variable, file, brand string }{{"HONNIN_DS_CLIENT_CA", cfg.DSClientCA, "*"},
		{"HONNIN_DS_CLIENT_CA_JCB", cfg.DSClientCABrand["jcb"], "jcb"}, {"HONNIN_DS_CLIENT_CA_VISA", cfg.DSClientCABrand["visa"], "visa"}}
	for _, ca := range cas {
		if ca.file == "" {
			continue
		}
		certs, err := readCerts(ca.file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ca.variable, err)
		}
		if d.pool == nil {
			d.pool = x509.NewCertPool()
		}
		for _, c := range certs {
			d.pool.AddCert(c)
			key := string(c.Raw)
			d.rootBrands[key] = brandList(append(append([]string{}, d.rootBrands[key]...), ca.brand))
		}
	}
	return d, nil
}

// brandList turns configured brands into an acs.DSIdentity's: nil (every brand) when "*" is among them.
func brandList(brands []string) []string {
	if slices.Contains(brands, "*") {
		return nil
	}
	out := slices.Clone(brands)
	slices.Sort(out)
	return slices.Compact(out)
}

func readCerts(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return out, nil
}

// authenticate is the acs.DSAuthenticator.
func (d *dsAuth) authenticate(r *http.Request) (acs.DSIdentity, bool) {
	if d.open {
		return acs.OpenDS, true
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		// A certificate may chain to several configured CAs: it gets every brand they grant.
		var brands []string
		all := false
		for _, chain := range r.TLS.VerifiedChains {
			b := d.rootBrands[string(chain[len(chain)-1].Raw)]
			all = all || b == nil
			brands = append(brands, b...)
		}
		id := acs.DSIdentity{ID: "cert:" + fingerprint(r.TLS.PeerCertificates[0].Raw)}
		if !all {
			id.Brands = brandList(brands)
		}
		return id, true
	}
	if d.header == "" || !d.fromProxy(r.RemoteAddr) {
		return acs.DSIdentity{}, false
	}
	fp := config.NormalizeFingerprint(r.Header.Get(d.header))
	brands, ok := d.prints[fp]
	if !ok {
		return acs.DSIdentity{}, false
	}
	return acs.DSIdentity{ID: "fp:" + fp, Brands: brands}, true
}

// fingerprint is a certificate's SHA-256 in lower-case hex, as HONNIN_DS_CLIENT_FINGERPRINTS lists it.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func (d *dsAuth) fromProxy(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range d.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// publicTLSConfig asks for a client certificate, but only verifies one when given: shoppers' browsers
// present none, while the AReq endpoint refuses a request that no configured CA or fingerprint
// authenticates.
func (s *Server) publicTLSConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.dsAuth.pool != nil {
		cfg.ClientCAs = s.dsAuth.pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg
}
