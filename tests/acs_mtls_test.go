package tests

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"honnin/app/config"
	"honnin/app/demodata"
	"honnin/app/server"
	"honnin/db"
	"honnin/tests/testkit"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a leaf certificate: a server one for 127.0.0.1, or a client one.
func (ca testCA) issue(t *testing.T, name string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestACSMutualTLS: with HONNIN_DS_CLIENT_CA set, the AReq endpoint answers only a Directory Server that
// shows a certificate from that CA (others get Erro 303, or no TLS at all), while shoppers' browsers,
// which have no certificate, still reach the challenge and the shop.
func TestACSMutualTLS(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		dir := t.TempDir()
		dsCA, serverCA, rogueCA, jcbCA := newCA(t, "DS CA"), newCA(t, "server CA"), newCA(t, "rogue CA"), newCA(t, "JCB DS CA")
		write := func(name string, data []byte) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		srvCert, srvKey := serverCA.issue(t, "honnin", true)
		dsCert, dsKey := dsCA.issue(t, "directory server", false)
		rogueCert, rogueKey := rogueCA.issue(t, "rogue", false)
		jcbCert, jcbKey := jcbCA.issue(t, "JCB directory server", false)

		dbURL, dataDir := testkit.NewDatabaseURL(t, b)
		pubLn, _ := net.Listen("tcp", "127.0.0.1:0")
		intLn, _ := net.Listen("tcp", "127.0.0.1:0")
		base := fmt.Sprintf("https://%s", pubLn.Addr().String())
		env := map[string]string{
			"HONNIN_DATABASE_URL": dbURL, "HONNIN_DATA_DIR": dataDir, "HONNIN_BASE_URL": base, "HONNIN_DEMO": "true",
			"HONNIN_PAN_KEY": testkit.TestKey(), "HONNIN_HASH_KEY": testkit.TestKey(), "HONNIN_AV_KEY": testkit.TestKey(),
			"HONNIN_ARGON2_TIME": "1", "HONNIN_ARGON2_MEMORY_KIB": "64",
			"HONNIN_TLS_CERT": write("server.pem", srvCert), "HONNIN_TLS_KEY": write("server.key", srvKey),
			"HONNIN_DS_CLIENT_CA": write("ds-ca.pem", dsCA.pem), "HONNIN_DS_RESULTS_URL": "http://127.0.0.1:9/unused",
			"HONNIN_DS_CLIENT_CA_JCB": write("jcb-ca.pem", jcbCA.pem), "HONNIN_AREQ_LIMIT_PER_CARD": "1000",
		}
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := server.Boot(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, pubLn, intLn, 2*time.Second) }()
		t.Cleanup(func() { cancel(); <-done; db.Close(srv.DB) })

		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(serverCA.pem)
		client := func(certPEM, keyPEM []byte) *http.Client {
			tc := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
			if certPEM != nil {
				pair, err := tls.X509KeyPair(certPEM, keyPEM)
				if err != nil {
					t.Fatal(err)
				}
				// Present the certificate even when the server's list of CAs does not name its issuer.
				tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
			}
			return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
		}
		sendFor := func(c *http.Client, pan string) (map[string]any, error) {
			body, _ := json.Marshal(areqFor(pan))
			resp, err := c.Post(base+"/3ds/areq", "application/json", bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			var m map[string]any
			err = json.NewDecoder(resp.Body).Decode(&m)
			resp.Body.Close()
			return m, err
		}
		send := func(c *http.Client) (map[string]any, error) { return sendFor(c, demodata.YamadaJCB) }

		ares, err := send(client(dsCert, dsKey))
		m := ares
		if err != nil || str(m, "messageType") != "ARes" || str(m, "transStatus") != "C" {
			t.Fatalf("the Directory Server's AReq: %v %v", m, err)
		}
		if str(m, "acsURL") != base+"/3ds/challenge" {
			t.Errorf("acsURL %s", str(m, "acsURL"))
		}
		m, err = send(client(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		checkErro(t, m, "303", "certificate")
		if m, err := send(client(rogueCert, rogueKey)); err == nil {
			t.Errorf("a certificate from another CA was accepted: %v", m)
		}
		// A Directory Server whose certificate comes from the JCB CA answers for JCB cards only.
		if m, err := sendFor(client(jcbCert, jcbKey), demodata.YamadaJCB); err != nil || str(m, "transStatus") != "C" {
			t.Errorf("the JCB Directory Server's AReq for a JCB card: %v %v", m, err)
		}
		m, err = sendFor(client(jcbCert, jcbKey), demodata.YamadaVisa)
		if err != nil {
			t.Fatal(err)
		}
		checkErro(t, m, "303", "brand")
		if m, err := sendFor(client(dsCert, dsKey), demodata.YamadaVisa); err != nil || str(m, "transStatus") != "C" {
			t.Errorf("the all-brand Directory Server's AReq for a Visa card: %v %v", m, err)
		}
		// A shopper's browser has no certificate and still opens the challenge.
		resp, err := client(nil, nil).PostForm(str(ares, "acsURL"), map[string][]string{"creq": {creqFor(ares, "05")}})
		if err != nil {
			t.Fatal(err)
		}
		p := page{Status: resp.StatusCode, Body: testkit.ReadAll(t, resp.Body)}
		if p.Status != http.StatusOK || p.field("token") == "" {
			t.Errorf("the challenge over TLS without a certificate: HTTP %d %s", p.Status, p.Text())
		}
		resp, err = client(nil, nil).Get(base + "/demo/shop")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the shop over TLS without a certificate: %v %v", resp, err)
		}
		resp.Body.Close()
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("no HSTS over TLS")
		}
	})
}
