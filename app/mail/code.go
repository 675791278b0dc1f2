package mail

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
)

// The rules of the codes that prove an address.
const (
	CodeValidity = 10 * time.Minute
	CodeTries    = 5
	// ResendGap is the least time between two codes to one member; CodesPerHour the most in an hour.
	ResendGap    = time.Minute
	CodesPerHour = 5
)

// Refusals of SendCode.
var (
	ErrResendTooSoon = errors.New("mail: a code was sent less than a minute ago")
	ErrTooManyCodes  = errors.New("mail: too many codes this hour")
	// ErrNoCodeToResend: the member has no code waiting (none was sent, or the last one was used).
	ErrNoCodeToResend = errors.New("mail: no code waiting to be resent")
)

// CodeOutcome is what a typed code turned out to be.
type CodeOutcome int

// Outcomes of CheckCode.
const (
	CodeWrong     CodeOutcome = iota
	CodeOK                    // right, and now used
	CodeNone                  // no live code: none was sent, it expired, or it was used
	CodeTriesUsed             // the code's tries are used up: a new one must be sent
)

// CodeResult is what CheckCode found.
type CodeResult struct {
	Outcome CodeOutcome
	// Purpose and Address are the code's (CodeOK).
	Purpose, Address string
	// TriesLeft after a wrong code.
	TriesLeft int
}

// NewCode returns six random digits.
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// NormalizeCode reads a typed code as people type it: full-width digits become ASCII, and spaces and
// hyphens between the digits are dropped.
func NormalizeCode(typed string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' {
			return -1
		}
		return r
	}, norm.NFKC.String(typed))
}

// codeHash is a code's keyed hash, bound to its member and purpose.
func codeHash(s *security.Sealer, memberID uint, purpose, code string) string {
	return s.Hash("email-code", fmt.Sprintf("%d:%s:%s", memberID, purpose, code))
}

// SendCode makes a new code for the member to prove address, stores its hash and writes the mail
// with the code to that address, inside tx. A newer code replaces any older one. At most one code a
// minute and CodesPerHour an hour go to one member, however many ask at once: the limits are the
// condition of one update of the member's row, on which concurrent senders queue.
func (o *Outbox) SendCode(tx *gorm.DB, memberID uint, purpose, address string, l i18n.Locale) error {
	now := db.Now()
	lastHour := tx.Model(&db.EmailCode{}).Select("count(*)").Where("member_id = ? AND created_at > ?", memberID, now.Add(-time.Hour))
	guard := tx.Model(&db.Member{}).
		Where("id = ? AND (email_code_sent_at IS NULL OR email_code_sent_at <= ?) AND (?) < ?", memberID, now.Add(-ResendGap), lastHour, CodesPerHour).
		UpdateColumn("email_code_sent_at", now)
	if guard.Error != nil {
		return guard.Error
	}
	if guard.RowsAffected != 1 {
		return codeRefusal(tx, memberID, now)
	}
	sealed, ver, err := o.SealAddress(address)
	if err != nil {
		return err
	}
	code := NewCode()
	if err := tx.Create(&db.EmailCode{MemberID: memberID, Purpose: purpose, AddressSealed: sealed, KeyVersion: ver,
		CodeHash: codeHash(o.Sealer, memberID, purpose, code), ExpiresAt: now.Add(CodeValidity)}).Error; err != nil {
		return err
	}
	return o.EnqueueTo(tx, &memberID, address, l, KindCode, Facts{Code: code, Minutes: int(CodeValidity / time.Minute)})
}

// codeRefusal tells why SendCode's guard refused a code: one was sent less than a minute ago, or the
// hour's codes are used.
func codeRefusal(tx *gorm.DB, memberID uint, now time.Time) error {
	var m db.Member
	if err := tx.Select("id", "email_code_sent_at").Where("id = ?", memberID).Take(&m).Error; err != nil {
		return err
	}
	if m.EmailCodeSentAt != nil && now.Sub(*m.EmailCodeSentAt) < ResendGap {
		return ErrResendTooSoon
	}
	return ErrTooManyCodes
}

// ResendCode sends a new code, in the member's language, to the address the member's last code went
// to, unless that code was used. The limits of SendCode apply, whoever asks (the member or staff).
func (o *Outbox) ResendCode(tx *gorm.DB, memberID uint) (address string, err error) {
	var last db.EmailCode
	if err := tx.Where("member_id = ?", memberID).Order("id DESC").Take(&last).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", ErrNoCodeToResend
		}
		return "", err
	}
	if last.UsedAt != nil {
		return "", ErrNoCodeToResend
	}
	var m db.Member
	if err := tx.Select("id", "language").Where("id = ?", memberID).Take(&m).Error; err != nil {
		return "", err
	}
	if address, err = o.OpenAddress(last.AddressSealed, last.KeyVersion); err != nil {
		return "", err
	}
	return address, o.SendCode(tx, memberID, last.Purpose, address, Locale(m.Language))
}

// AwaitingCode reports whether the member's last code was never used: an address waits to be proven
// (its code may have expired; ResendCode sends a new one).
func AwaitingCode(tx *gorm.DB, memberID uint) (bool, error) {
	var last db.EmailCode
	err := tx.Select("id", "used_at").Where("member_id = ?", memberID).Order("id DESC").Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil && last.UsedAt == nil, err
}

// PendingCode returns the member's newest code that is neither used nor expired, or nil.
func PendingCode(tx *gorm.DB, memberID uint) (*db.EmailCode, error) {
	var c db.EmailCode
	err := tx.Where("member_id = ?", memberID).Order("id DESC").Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.UsedAt != nil || !c.ExpiresAt.After(db.Now()) {
		return nil, nil
	}
	return &c, nil
}

// CheckCode checks a typed code against the member's newest code. Every try is counted by one guarded
// update that returns the code (so parallel tries cannot buy more than CodeTries, and each learns its
// own try's number), and a right code is used exactly once.
func (o *Outbox) CheckCode(tx *gorm.DB, memberID uint, typed string) (CodeResult, error) {
	typed = NormalizeCode(typed)
	newest := tx.Model(&db.EmailCode{}).Select("max(id)").Where("member_id = ?", memberID)
	var c db.EmailCode
	counted := tx.Model(&c).Clauses(clause.Returning{}).
		Where("id = (?) AND used_at IS NULL AND expires_at > ? AND tries < ?", newest, db.Now(), CodeTries).
		UpdateColumn("tries", gorm.Expr("tries + 1"))
	if counted.Error != nil {
		return CodeResult{}, counted.Error
	}
	if counted.RowsAffected != 1 {
		pending, err := PendingCode(tx, memberID)
		if err != nil || pending == nil {
			return CodeResult{Outcome: CodeNone}, err
		}
		return CodeResult{Outcome: CodeTriesUsed}, nil
	}
	if !security.EqualTokens(codeHash(o.Sealer, memberID, c.Purpose, typed), c.CodeHash) {
		if left := CodeTries - c.Tries; left > 0 {
			return CodeResult{Outcome: CodeWrong, TriesLeft: left}, nil
		}
		return CodeResult{Outcome: CodeTriesUsed}, nil
	}
	used := tx.Model(&db.EmailCode{}).Where("id = ? AND used_at IS NULL", c.ID).UpdateColumn("used_at", db.Now())
	if used.Error != nil {
		return CodeResult{}, used.Error
	}
	if used.RowsAffected != 1 {
		return CodeResult{Outcome: CodeNone}, nil
	}
	addr, err := o.OpenAddress(c.AddressSealed, c.KeyVersion)
	if err != nil {
		return CodeResult{}, err
	}
	return CodeResult{Outcome: CodeOK, Purpose: c.Purpose, Address: addr}, nil
}
