package credentials

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/db"
)

// CodePolicy is what a 3-D Secure challenge asks of the member: the issuer chooses it in the console.
type CodePolicy string

// The code policies.
const (
	// PolicyPassword asks for the ID and password (the static method).
	PolicyPassword CodePolicy = "password"
	// PolicyPasswordCode asks for the ID and password, then a one-time code sent by e-mail.
	PolicyPasswordCode CodePolicy = "password+code"
	// PolicyCode asks for the ID (so the member can pick the card's own ID) and a one-time code only.
	PolicyCode CodePolicy = "code"
)

// CodePolicies lists the policies in the order the console offers them.
var CodePolicies = []CodePolicy{PolicyPassword, PolicyPasswordCode, PolicyCode}

// NeedsCode reports whether the policy sends a one-time code: it then needs a mail server.
func (p CodePolicy) NeedsCode() bool { return p == PolicyPasswordCode || p == PolicyCode }

// Valid reports whether p is one of the policies.
func (p CodePolicy) Valid() bool {
	for _, q := range CodePolicies {
		if p == q {
			return true
		}
	}
	return false
}

// settingCodePolicy is the issuer setting that holds the code policy.
const settingCodePolicy = "code_policy"

// ErrUnknownPolicy is returned for a value that is not a CodePolicy.
var ErrUnknownPolicy = errors.New("credentials: unknown code policy")

// CurrentCodePolicy returns the issuer's code policy: PolicyPassword until one is set.
func CurrentCodePolicy(ctx context.Context, gdb *gorm.DB) (CodePolicy, error) {
	var s db.IssuerSetting
	err := gdb.WithContext(ctx).Where("key = ?", settingCodePolicy).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return PolicyPassword, nil
	}
	if err != nil {
		return "", err
	}
	if p := CodePolicy(s.Value); p.Valid() {
		return p, nil
	}
	return PolicyPassword, nil
}

// StoreCodePolicy writes the code policy inside tx and returns the one it replaced.
func StoreCodePolicy(tx *gorm.DB, p CodePolicy) (CodePolicy, error) {
	if !p.Valid() {
		return "", ErrUnknownPolicy
	}
	before, err := CurrentCodePolicy(tx.Statement.Context, tx)
	if err != nil {
		return "", err
	}
	err = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Create(&db.IssuerSetting{Key: settingCodePolicy, Value: string(p)}).Error
	return before, err
}
