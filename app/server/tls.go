package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
)

// publicTLSConfig asks for a client certificate, but only verifies one when given: shoppers' browsers
// present none, while the AReq endpoint refuses a request without a verified chain when
// HONNIN_DS_CLIENT_CA is set.
func (s *Server) publicTLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.Config.DSClientCA == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(s.Config.DSClientCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("HONNIN_DS_CLIENT_CA: no PEM certificate found")
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	return cfg, nil
}
