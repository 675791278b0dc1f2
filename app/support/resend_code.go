package support

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"honnin/app/mail"
	"honnin/db"
)

// Refusals of ResendVerification.
var (
	ErrNoPendingCode = errors.New("support: the member has no address waiting for a code")
	ErrCodeLimit     = errors.New("support: the code limits refuse another code now")
)

// ResendVerification sends the member a new code to the address they are proving (registration, a
// first address, or a change), audited. The member's own limits apply: at most one code a minute and
// five an hour, so that the console cannot be used to flood an address.
func ResendVerification(ctx context.Context, gdb *gorm.DB, notices *mail.Outbox, a Actor, memberID uint, reason string) error {
	return memberChange(ctx, gdb, a, db.RoleAgent, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		address, err := notices.ResendCode(tx, m.ID)
		switch {
		case errors.Is(err, mail.ErrNoCodeToResend):
			return db.AuditEvent{}, ErrNoPendingCode
		case errors.Is(err, mail.ErrResendTooSoon), errors.Is(err, mail.ErrTooManyCodes):
			return db.AuditEvent{}, ErrCodeLimit
		case err != nil:
			return db.AuditEvent{}, err
		}
		return db.AuditEvent{Action: ActionResendCode, Detail: "to " + mail.MaskAddress(address)}, nil
	})
}
