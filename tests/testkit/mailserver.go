package testkit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// MailServer is an SMTP server in the test process: Honnin sends to it, and the test reads what
// arrived. It can be stopped and started again on the same address (a mail server that is down), and
// it can ask for a user and password.
type MailServer struct {
	t        testing.TB
	addr     string
	user     string
	password string

	mu       sync.Mutex
	srv      *smtp.Server
	received []ReceivedMail
}

// ReceivedMail is one message the server accepted, decoded.
type ReceivedMail struct {
	From      string
	To        []string
	MessageID string
	Subject   string
	Body      string
	Header    mail.Header
}

// StartMailServer starts a server on a free loopback port. With user and password set, it accepts
// mail only after AUTH PLAIN with them.
func StartMailServer(t testing.TB, credentials ...string) *MailServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &MailServer{t: t, addr: ln.Addr().String()}
	if len(credentials) == 2 {
		m.user, m.password = credentials[0], credentials[1]
	}
	m.serve(ln)
	t.Cleanup(m.Stop)
	return m
}

// URL is the HONNIN_SMTP_URL of the server (loopback, so no STARTTLS is asked for).
func (m *MailServer) URL() string { return "smtp://" + m.addr }

func (m *MailServer) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{server: m}, nil }))
	srv.Domain = "mail.test"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the server: connections are refused until Start.
func (m *MailServer) Stop() {
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start serves again on the same address after Stop.
func (m *MailServer) Start() {
	m.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		m.t.Fatalf("the mail server cannot listen on %s again: %v", m.addr, err)
	}
	m.serve(ln)
}

// Received returns what arrived so far, oldest first.
func (m *MailServer) Received() []ReceivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ReceivedMail(nil), m.received...)
}

// WaitFor waits until at least n messages arrived (or the wait's end) and returns them all.
func (m *MailServer) WaitFor(n int, wait time.Duration) []ReceivedMail {
	deadline := time.Now().Add(wait)
	for {
		got := m.Received()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type mailSession struct {
	server *MailServer
	authed bool
	from   string
	to     []string
}

func (s *mailSession) AuthMechanisms() []string {
	if s.server.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != s.server.user || password != s.server.password {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return err
	}
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "base64":
		body, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
	case "quoted-printable":
		body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
	}
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	got := ReceivedMail{From: s.from, To: append([]string(nil), s.to...), Subject: subject, Header: msg.Header,
		MessageID: strings.Trim(msg.Header.Get("Message-Id"), "<>"), Body: strings.ReplaceAll(string(body), "\r\n", "\n")}
	s.server.mu.Lock()
	s.server.received = append(s.server.received, got)
	s.server.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }
