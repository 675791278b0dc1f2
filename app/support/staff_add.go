// Package support is the issuer's support console: staff sign-in, member search, account view, actions
// on a member's behalf and the audit log. It is served on the internal listener only.
package support

import (
	"context"
	"errors"
	"regexp"

	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
)

var staffLoginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)

// ErrStaffExists means the login name is taken.
var ErrStaffExists = errors.New("a staff member with that login already exists")

// NewStaff is what `honnin staff add` prints once: the one-time password and the TOTP secret.
type NewStaff struct {
	Login, Role, OneTimePassword, TOTPSecret, TOTPURL string
}

// AddStaff creates a staff account that must choose a new password at its first sign-in.
func AddStaff(ctx context.Context, gdb *gorm.DB, hasher *security.Hasher, sealer *security.Sealer, issuer, login, role string) (NewStaff, error) {
	if !staffLoginPattern.MatchString(login) {
		return NewStaff{}, errors.New("login must be 3 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
	}
	switch role {
	case db.RoleAgent, db.RoleSupervisor, db.RoleAdmin:
	default:
		return NewStaff{}, errors.New("role must be agent, supervisor or admin")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer + " Honnin", AccountName: login})
	if err != nil {
		return NewStaff{}, err
	}
	password := security.NewToken(12)
	hash, err := hasher.Hash(ctx, password)
	if err != nil {
		return NewStaff{}, err
	}
	sealed, ver, err := sealer.Seal([]byte(key.Secret()), security.PurposeTOTP)
	if err != nil {
		return NewStaff{}, err
	}
	row := db.Staff{Login: login, Role: role, PasswordHash: hash, MustChangePassword: true,
		TOTPSealed: sealed, TOTPKeyVersion: ver, SessionVersion: 1}
	if err := gdb.WithContext(ctx).Create(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return NewStaff{}, ErrStaffExists
		}
		return NewStaff{}, err
	}
	return NewStaff{Login: login, Role: role, OneTimePassword: password, TOTPSecret: key.Secret(), TOTPURL: key.URL()}, nil
}
