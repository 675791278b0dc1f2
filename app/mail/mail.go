// Package mail is Honnin's e-mail: the notices a member gets about security changes, the one-time
// codes that prove an address, the outbox they wait in, its deliverer (SMTP, or the demo mailbox) and
// the masking of addresses. A notice is written in the same transaction as the change it reports
// (Outbox.Enqueue); a worker on any node delivers it with back-off until the mail server takes it.
package mail

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
)

// Kind is what a mail is about.
type Kind string

// The kinds of mail. Each has a subject and a body in the catalogue ("mail.<kind>.subject", ".body").
const (
	KindCode               Kind = "code"                // a code that proves an address
	KindRegistered         Kind = "registered"          // registration completed (the address is verified)
	KindCardMoved          Kind = "card_moved"          // to the previous holder: re-registration moved a card to another ID
	KindCredentialsChanged Kind = "credentials_changed" // the ID, the password or both changed
	KindThreeDSStopped     Kind = "threeds_stopped"     // 3-D Secure stopped for a card (member or staff)
	KindThreeDSResumed     Kind = "threeds_resumed"     // 3-D Secure resumed for a card (member or staff)
	KindLocked             Kind = "locked"              // the ID locked after wrong passwords or codes
	KindEmailChanged       Kind = "email_changed"       // to the old address: the address was replaced
	KindPurchase           Kind = "purchase"            // a purchase approved without a screen above the member's amount
	KindTrusted            Kind = "trusted"             // a new trusted device or shop
	KindChallengeCode      Kind = "challenge_code"      // a one-time code for a 3-D Secure challenge
)

// Kinds lists every kind, for the tests and the console.
var Kinds = []Kind{KindCode, KindRegistered, KindCardMoved, KindCredentialsChanged, KindThreeDSStopped, KindThreeDSResumed,
	KindLocked, KindEmailChanged, KindPurchase, KindTrusted, KindChallengeCode}

// Who made a change a notice reports.
const (
	ByMember = "member"
	ByStaff  = "staff"
)

// Facts are what a notice says. Each kind uses the fields its text names; none carries a password, a
// full card number or the personal message.
type Facts struct {
	LoginID      string // filled from the member when empty
	Brand, Last4 string // the card concerned
	// What changed (KindCredentialsChanged): "login_id", "password" or "login_id_password".
	What string
	By   string // ByMember or ByStaff (3-D Secure changes)
	// Until is when a locked ID opens again.
	Until time.Time
	// Closed is set on KindCardMoved when the previous holder's ID closed (no card left).
	Closed bool
	// Code and Minutes are a code mail's code and validity; a challenge's code mail also names the
	// shop and the amount (Merchant, Amount, Currency, Exponent).
	Code    string
	Minutes int
	// NewAddress is the replacing address, masked (KindEmailChanged).
	NewAddress string
	// A purchase (KindPurchase): the shop, the amount as ISO 4217 minor units, and when.
	Merchant         string
	Amount, Currency string
	Exponent         int
	At               time.Time
	// Trusted names the device or shop (KindTrusted), as the risk engine describes it.
	Trusted string
}

// Names are how the mails name the issuer, its portal and its card desk, in both languages.
type Names struct {
	Issuer, IssuerEN, Portal, PortalEN, SupportPhone string
	// Host is the right-hand side of every Message-ID (the public URL's host).
	Host string
}

func (n Names) issuer(l i18n.Locale) string {
	if l == i18n.EN && n.IssuerEN != "" {
		return n.IssuerEN
	}
	return n.Issuer
}

func (n Names) portal(l i18n.Locale) string {
	if l == i18n.EN && n.PortalEN != "" {
		return n.PortalEN
	}
	return n.Portal
}

// Outbox writes mails into the outbox table. One is built at start and shared by every face.
type Outbox struct {
	Sealer *security.Sealer
	Names  Names
}

// Purposes of sealed mail data, so that a sealed address cannot be opened as anything else.
const (
	PurposeAddress = "email"
	PurposeBody    = "mail"
)

// ErrNoAddress is returned by EnqueueTo for an empty address.
var ErrNoAddress = errors.New("mail: no address")

// Enqueue writes a notice to the member's verified address, in the member's language, inside tx (the
// transaction that makes the change it reports). A member without a verified address gets nothing.
func (o *Outbox) Enqueue(tx *gorm.DB, memberID uint, kind Kind, f Facts) error {
	n, err := o.Compose(tx, memberID, kind, f)
	if err != nil || n == nil {
		return err
	}
	return tx.Create(n).Error
}

// Compose reads the member through q and makes the notice Enqueue would write, without writing it
// (nil for a member without a verified address): for a caller whose write goes into a batch.
func (o *Outbox) Compose(q *gorm.DB, memberID uint, kind Kind, f Facts) (*db.MailNotice, error) {
	var m db.Member
	if err := q.Select("id", "login_id", "email_sealed", "email_key_version", "email_verified_at", "language").
		Where("id = ?", memberID).Take(&m).Error; err != nil {
		return nil, err
	}
	return o.ComposeFor(&m, kind, f)
}

// ComposeFor is Compose for a member already read, with the columns Compose reads.
func (o *Outbox) ComposeFor(m *db.Member, kind Kind, f Facts) (*db.MailNotice, error) {
	if m.EmailVerifiedAt == nil || len(m.EmailSealed) == 0 {
		return nil, nil
	}
	addr, err := o.OpenAddress(m.EmailSealed, m.EmailKeyVersion)
	if err != nil {
		return nil, err
	}
	if f.LoginID == "" {
		f.LoginID = m.LoginID
	}
	return o.composeTo(&m.ID, addr, Locale(m.Language), kind, f)
}

// EnqueueTo writes a mail to an address that is not (or no longer) the member's verified one: a code
// to an address being proven, or the notice to the old address that it was replaced.
func (o *Outbox) EnqueueTo(tx *gorm.DB, memberID *uint, address string, l i18n.Locale, kind Kind, f Facts) error {
	n, err := o.composeTo(memberID, address, l, kind, f)
	if err != nil {
		return err
	}
	return tx.Create(n).Error
}

func (o *Outbox) composeTo(memberID *uint, address string, l i18n.Locale, kind Kind, f Facts) (*db.MailNotice, error) {
	if address == "" {
		return nil, ErrNoAddress
	}
	subject, body := o.Render(l, kind, f)
	sealedAddr, ver, err := o.Sealer.Seal([]byte(address), PurposeAddress)
	if err != nil {
		return nil, err
	}
	sealedBody, _, err := o.Sealer.Seal([]byte(body), PurposeBody)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	return &db.MailNotice{MemberID: memberID, Kind: string(kind), Language: string(l), AddressSealed: sealedAddr,
		AddressMasked: security.Truncate(MaskAddress(address), 100), KeyVersion: ver, Subject: security.Truncate(subject, 200),
		BodySealed: sealedBody, MessageID: uuid.NewString() + "@" + o.Names.Host, State: db.NoticePending, NextAttemptAt: now}, nil
}

// SealAddress seals an address for a member row or a code.
func (o *Outbox) SealAddress(address string) ([]byte, int, error) {
	return o.Sealer.Seal([]byte(address), PurposeAddress)
}

// OpenAddress opens a sealed address.
func (o *Outbox) OpenAddress(sealed []byte, version int) (string, error) {
	b, err := o.Sealer.Open(sealed, version, PurposeAddress)
	return string(b), err
}

// MemberAddress returns the member's verified address, or "" when there is none.
func (o *Outbox) MemberAddress(m *db.Member) (string, error) {
	if m.EmailVerifiedAt == nil || len(m.EmailSealed) == 0 {
		return "", nil
	}
	return o.OpenAddress(m.EmailSealed, m.EmailKeyVersion)
}

// Locale turns a stored language into a locale (Japanese unless it says English).
func Locale(language string) i18n.Locale {
	if language == string(i18n.EN) {
		return i18n.EN
	}
	return i18n.JA
}

// Render writes a mail's subject and plain-text body in a language. The subject starts with the
// portal's name in 【】, as the issuer's mails do.
func (o *Outbox) Render(l i18n.Locale, kind Kind, f Facts) (subject, body string) {
	portal := o.Names.portal(l)
	subject = "【" + portal + "】" + i18n.Tr(l, "mail."+string(kind)+".subject")
	if l == i18n.EN {
		subject = "[" + portal + "] " + i18n.Tr(l, "mail."+string(kind)+".subject")
	}
	card := i18n.Tr(l, "mail.card", cards.BrandName(f.Brand), f.Last4)
	var text string
	switch kind {
	case KindCode:
		text = i18n.Tr(l, "mail.code.body", f.Code, f.Minutes)
	case KindRegistered:
		text = i18n.Tr(l, "mail.registered.body", f.LoginID)
	case KindCardMoved:
		text = i18n.Tr(l, "mail.card_moved.body", f.LoginID, card)
		if f.Closed {
			text += sentenceGap(l) + i18n.Tr(l, "mail.card_moved.closed")
		}
	case KindCredentialsChanged:
		text = i18n.Tr(l, "mail.credentials_changed.body", portal, i18n.Tr(l, "mail.what."+f.What))
	case KindThreeDSStopped, KindThreeDSResumed:
		by := ByMember
		if f.By == ByStaff {
			by = ByStaff
		}
		text = i18n.Tr(l, "mail."+string(kind)+".body", card, i18n.Tr(l, "mail.by."+by))
	case KindLocked:
		text = i18n.Tr(l, "mail.locked.body", f.LoginID, i18n.FormatTime(l, f.Until))
	case KindEmailChanged:
		text = i18n.Tr(l, "mail.email_changed.body", f.LoginID, f.NewAddress)
	case KindPurchase:
		text = i18n.Tr(l, "mail.purchase.body", card, f.Merchant, i18n.FormatAmount(l, f.Amount, f.Currency, f.Exponent), i18n.FormatTime(l, f.At))
	case KindChallengeCode:
		text = i18n.Tr(l, "mail.challenge_code.body", f.Merchant, i18n.FormatAmount(l, f.Amount, f.Currency, f.Exponent), f.Code, f.Minutes)
	case KindTrusted:
		text = i18n.Tr(l, "mail.trusted.body", card, f.Trusted, i18n.FormatTime(l, f.At))
	default:
		text = string(kind)
	}
	body = i18n.Tr(l, "mail.greeting", portal) + "\n\n" + text + "\n\n--\n" +
		i18n.Tr(l, "mail.footer", portal, o.Names.issuer(l), o.Names.SupportPhone) + "\n"
	return subject, body
}

// sentenceGap joins two sentences: straight on after 。, a space in English.
func sentenceGap(l i18n.Locale) string {
	if l == i18n.EN {
		return " "
	}
	return ""
}

// PurchaseNoticeDue reports whether a purchase approved without a screen is above the amount the
// member chose to be told about (NoticeAboveYen; 0 is off). Only yen amounts are compared.
func PurchaseNoticeDue(m *db.Member, amount, currency string, exponent int) bool {
	if m == nil || m.NoticeAboveYen <= 0 || (currency != "392" && currency != "JPY") || exponent != 0 {
		return false
	}
	yen, err := strconv.ParseInt(amount, 10, 64)
	return err == nil && yen > m.NoticeAboveYen
}

// EnqueuePurchase writes the notice of a purchase approved without a screen, when the member asked
// for it and the amount is above theirs. The risk engine calls it in the transaction that records the
// decision.
func (o *Outbox) EnqueuePurchase(ctx context.Context, tx *gorm.DB, memberID uint, f Facts) error {
	var m db.Member
	if err := tx.WithContext(ctx).Select("id", "notice_above_yen").Where("id = ?", memberID).Take(&m).Error; err != nil {
		return err
	}
	if !PurchaseNoticeDue(&m, f.Amount, f.Currency, f.Exponent) {
		return nil
	}
	return o.Enqueue(tx.WithContext(ctx), memberID, KindPurchase, f)
}
