// Package demodata fills a database with the demo cards, members and staff that the README documents and
// every test relies on. Seeding twice changes nothing.
package demodata

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// Card numbers of the demo data.
const (
	YamadaJCB     = "3540000000000019"
	YamadaVisa    = "4000000000000010"
	SuzukiJCB     = "3540000000000027"
	SatoVisa      = "4000000000000028"
	UnregJCB      = "3540000000000035"
	UnregVisa     = "4000000000000036"
	StolenJCB     = "3540000000000043"
	TanakaJCB     = "3540000000000050"
	TanakaVisa    = "4000000000000044"
	StaffPassword = "support-demo-2026"
	StaffTOTP     = "JBSWY3DPEHPK3PXP"
)

// Cards is the demo card file.
var Cards = []cards.Record{
	{PAN: YamadaJCB, Expiry: "2912", BirthDate: "1980-04-01", Phone: "0541234567", HolderName: "YAMADA TARO", Status: db.CardActive},
	{PAN: YamadaVisa, Expiry: "2912", BirthDate: "1980-04-01", Phone: "0541234567", HolderName: "YAMADA TARO", Status: db.CardActive},
	{PAN: SuzukiJCB, Expiry: "2812", BirthDate: "1975-11-23", Phone: "0549876543", HolderName: "SUZUKI HANAKO", Status: db.CardActive},
	{PAN: SatoVisa, Expiry: "2812", BirthDate: "1990-07-07", Phone: "0531112222", HolderName: "SATO JIRO", Status: db.CardActive},
	{PAN: UnregJCB, Expiry: "3006", BirthDate: "1985-02-14", Phone: "0552223333", HolderName: "ITO SAKURA", Status: db.CardActive},
	{PAN: UnregVisa, Expiry: "3006", BirthDate: "1985-02-14", Phone: "0552223333", HolderName: "ITO SAKURA", Status: db.CardActive},
	{PAN: StolenJCB, Expiry: "2703", BirthDate: "1970-01-15", Phone: "0543334444", HolderName: "WATANABE KEN", Status: db.CardStolen},
	{PAN: TanakaJCB, Expiry: "2912", BirthDate: "1988-08-08", Phone: "0545556666", HolderName: "TANAKA MIKI", Status: db.CardActive},
	{PAN: TanakaVisa, Expiry: "2912", BirthDate: "1988-08-08", Phone: "0545556666", HolderName: "TANAKA MIKI", Status: db.CardActive},
}

// Member is a demo member and the cards it holds.
type Member struct {
	LoginID, Password, PersonalMessage string
	Legacy                             bool // still carries the legacy default message
	Cards                              []string
	ThreeDS                            db.ThreeDSState
	// Email is the member's verified address: the demo mailbox (/demo/mail) shows what goes there.
	Email string
}

// Members are the demo members.
var Members = []Member{
	{LoginID: "yamada01", Password: "fuji-san-2026", PersonalMessage: "富士山と緑茶", Cards: []string{YamadaJCB, YamadaVisa}, ThreeDS: db.ThreeDSEnrolled, Email: "yamada@example.jp"},
	{LoginID: "suzuki02", Password: "hamamatsu-77", Legacy: true, Cards: []string{SuzukiJCB}, ThreeDS: db.ThreeDSEnrolled, Email: "suzuki@example.jp"},
	{LoginID: "sato03", Password: "shimizu-port-9", PersonalMessage: "みかんの花", Cards: []string{SatoVisa}, ThreeDS: db.ThreeDSStopped, Email: "sato@example.jp"},
	{LoginID: "tanaka04a", Password: "tanaka-jcb-01", PersonalMessage: "茶畑の朝", Cards: []string{TanakaJCB}, ThreeDS: db.ThreeDSEnrolled, Email: "tanaka@example.jp"},
	{LoginID: "tanaka04b", Password: "tanaka-visa-02", PersonalMessage: "港の夕日", Cards: []string{TanakaVisa}, ThreeDS: db.ThreeDSEnrolled, Email: "tanaka@example.jp"},
}

// Staff are the demo console users: login → role.
var Staff = []struct{ Login, Role string }{
	{"agent01", db.RoleAgent}, {"super01", db.RoleSupervisor}, {"admin01", db.RoleAdmin},
}

// Seed writes the demo data where it is missing; what exists already is left as it is, so a demo that
// has been played with keeps its state and a second run changes nothing.
func Seed(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, hasher *security.Hasher, legacyMessage string) error {
	var missing []cards.Record
	for _, rec := range Cards {
		var n int64
		if err := gdb.WithContext(ctx).Model(&db.Card{}).Where("pan_hash = ?", sealer.PANHash(rec.PAN)).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			missing = append(missing, rec)
		}
	}
	if len(missing) > 0 {
		if _, err := cards.Upsert(ctx, gdb, sealer, missing); err != nil {
			return fmt.Errorf("demo cards: %w", err)
		}
	}
	for _, m := range Members {
		if err := seedMember(ctx, gdb, sealer, hasher, legacyMessage, m); err != nil {
			return fmt.Errorf("demo member %s: %w", m.LoginID, err)
		}
	}
	for _, s := range Staff {
		if err := seedStaff(ctx, gdb, sealer, hasher, s.Login, s.Role); err != nil {
			return fmt.Errorf("demo staff %s: %w", s.Login, err)
		}
	}
	return nil
}

func seedMember(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, hasher *security.Hasher, legacyMessage string, m Member) error {
	err := gdb.WithContext(ctx).Where("login_id = ?", m.LoginID).Take(&db.Member{}).Error
	if err == nil {
		return nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	hash, err := hasher.Hash(ctx, m.Password)
	if err != nil {
		return err
	}
	now := db.Now()
	row := db.Member{
		LoginID:                  m.LoginID,
		PasswordHash:             hash,
		PersonalMessage:          m.PersonalMessage,
		PersonalMessageIsDefault: m.Legacy,
		PasswordChangedAt:        now,
		Status:                   db.MemberActive,
		SessionVersion:           1,
	}
	if m.Legacy {
		row.PersonalMessage = legacyMessage
	}
	if m.Email != "" {
		if row.EmailSealed, row.EmailKeyVersion, err = sealer.Seal([]byte(m.Email), mail.PurposeAddress); err != nil {
			return err
		}
		row.EmailVerifiedAt = &now
	}
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		for _, pan := range m.Cards {
			err := tx.Model(&db.Card{}).Where("pan_hash = ?", sealer.PANHash(security.PAN(pan))).
				Updates(map[string]any{"member_id": row.ID, "three_ds": m.ThreeDS, "registered_at": now, "three_ds_changed_at": now}).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func seedStaff(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, hasher *security.Hasher, login, role string) error {
	err := gdb.WithContext(ctx).Where("login = ?", login).Take(&db.Staff{}).Error
	if err == nil {
		return nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	hash, err := hasher.Hash(ctx, StaffPassword)
	if err != nil {
		return err
	}
	sealed, ver, err := sealer.Seal([]byte(StaffTOTP), security.PurposeTOTP)
	if err != nil {
		return err
	}
	row := db.Staff{
		Login: login, Role: role, PasswordHash: hash, MustChangePassword: false,
		TOTPSealed: sealed, TOTPKeyVersion: ver, TOTPEnrolled: true, SessionVersion: 1,
	}
	return gdb.WithContext(ctx).Create(&row).Error
}
