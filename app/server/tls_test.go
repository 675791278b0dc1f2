package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"honnin/app/config"
)

func selfSigned(t *testing.T, name string) (*x509.Certificate, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	path := filepath.Join(t.TempDir(), name+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return c, path
}

func TestDSAuth(t *testing.T) {
	general, generalFile := selfSigned(t, "general")
	jcb, jcbFile := selfSigned(t, "jcb")
	leaf, _ := selfSigned(t, "leaf")
	const fpAll, fpJCB = "aa00000000000000000000000000000000000000000000000000000000000000", "bb00000000000000000000000000000000000000000000000000000000000000"
	d, err := newDSAuth(config.Config{DSClientCA: generalFile, DSClientCABrand: map[string]string{"jcb": jcbFile},
		DSProxyAddrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, DSCertHeader: "X-Client-SHA256",
		DSClientFingerprints: map[string][]string{fpAll: {"*"}, fpJCB: {"jcb"}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		remote     string
		chains     [][]*x509.Certificate
		header     string
		ok         bool
		wantBrands []string
	}{
		{"certificate from the general CA", "198.51.100.1:443", [][]*x509.Certificate{{leaf, general}}, "", true, nil},
		{"certificate from the JCB CA", "198.51.100.1:443", [][]*x509.Certificate{{leaf, jcb}}, "", true, []string{"jcb"}},
		{"certificate chaining to both", "198.51.100.1:443", [][]*x509.Certificate{{leaf, jcb}, {leaf, general}}, "", true, nil},
		{"no certificate, no proxy", "198.51.100.1:443", nil, fpAll, false, nil},
		{"proxy, all-brand fingerprint", "10.1.2.3:5000", nil, fpAll, true, nil},
		{"proxy, JCB fingerprint with colons", "10.1.2.3:5000", nil, "BB:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00", true, []string{"jcb"}},
		{"proxy, unknown fingerprint", "10.1.2.3:5000", nil, "cc" + fpAll[2:], false, nil},
		{"proxy, no header", "10.1.2.3:5000", nil, "", false, nil},
		{"IPv4-mapped proxy address", "[::ffff:10.1.2.3]:5000", nil, fpAll, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/3ds/areq", nil)
			r.RemoteAddr = tt.remote
			if tt.chains != nil {
				r.TLS = &tls.ConnectionState{VerifiedChains: tt.chains, PeerCertificates: []*x509.Certificate{leaf}}
			}
			if tt.header != "" {
				r.Header.Set("X-Client-SHA256", tt.header)
			}
			id, ok := d.authenticate(r)
			if ok != tt.ok || (ok && (!reflect.DeepEqual(id.Brands, tt.wantBrands) || id.ID == "")) {
				t.Errorf("authenticate = %+v, %v; want ok %v, brands %v", id, ok, tt.ok, tt.wantBrands)
			}
			if ok && id.Allows("visa") != (tt.wantBrands == nil) {
				t.Errorf("Allows(visa) = %v with brands %v", id.Allows("visa"), id.Brands)
			}
		})
	}
	if open, _ := newDSAuth(config.Config{Demo: true}); !open.open {
		t.Errorf("demo mode without DS settings is not open")
	}
}
