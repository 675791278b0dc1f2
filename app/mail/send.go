package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"

	"honnin/app/config"
)

// Message is one mail as it leaves Honnin.
type Message struct {
	MessageID string // without the angle brackets
	From, To  string
	Subject   string
	Body      string // plain text
}

// Sender hands a message to a mail server; nil means the server accepted it.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTPSender sends through go-mail: STARTTLS is required unless the server is on loopback, and the
// credentials, when given, are offered only over TLS or to loopback.
type SMTPSender struct {
	Server  config.SMTP
	Timeout time.Duration
}

// Send connects, sends one message and disconnects. Notices are few, so a connection per message
// costs little and never holds a stale one.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	opts := []gomail.Option{gomail.WithPort(s.Server.Port), gomail.WithTimeout(s.timeout())}
	switch {
	case s.Server.Implicit:
		opts = append(opts, gomail.WithSSL())
	case s.Server.Loopback():
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.Server.Username != "" {
		// The strongest mechanism the server offers; a relay on loopback may offer PLAIN without TLS,
		// which go-mail's discovery rightly skips, so PLAIN is named there (go-mail still sends it
		// only to loopback or over TLS).
		auth := gomail.SMTPAuthAutoDiscover
		if s.Server.Loopback() && !s.Server.Implicit {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.Server.Username), gomail.WithPassword(s.Server.Password))
	}
	client, err := gomail.NewClient(s.Server.Host, opts...)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingB64), gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return errors.New("the recipient's address was refused")
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return client.DialAndSendWithContext(ctx, msg)
}

func (s *SMTPSender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 30 * time.Second
}

// DemoMailbox is the sender of demo mode without SMTP: it accepts every message at once, and the
// demo mailbox page (/demo/mail) reads the outbox itself.
type DemoMailbox struct{}

// Send accepts the message.
func (DemoMailbox) Send(context.Context, Message) error { return nil }
