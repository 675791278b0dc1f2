package member

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// fixture is a SQLite database with the demo data, and the parts the plain functions take.
type fixture struct {
	DB      *gorm.DB
	Sealer  *security.Sealer
	Hasher  *security.Hasher
	Checker *credentials.Checker
	Notices *mail.Outbox
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gdb, err := db.Open("", t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	key := func() []byte { b := make([]byte, 32); _, _ = rand.Read(b); return b }
	sealer, err := security.NewSealer(1, map[int][]byte{1: key()}, key())
	if err != nil {
		t.Fatal(err)
	}
	hasher := security.NewHasher(security.FastArgon2ForTests)
	if err := demodata.Seed(context.Background(), gdb, sealer, hasher, config.LegacyPersonalMessage); err != nil {
		t.Fatal(err)
	}
	notices := &mail.Outbox{Sealer: sealer, Names: mail.Names{Issuer: "日専連静岡", Portal: "My日専連静岡", SupportPhone: "054-000-0000", Host: "test.localhost"}}
	return &fixture{DB: gdb, Sealer: sealer, Hasher: hasher, Notices: notices,
		Checker: &credentials.Checker{DB: gdb, Hasher: hasher, Notices: notices, Policy: credentials.Policy{Threshold: 3, LockFor: 1 << 40}}}
}

func (f *fixture) member(t *testing.T, loginID string) db.Member {
	t.Helper()
	var m db.Member
	if err := f.DB.Where("login_id = ?", loginID).Take(&m).Error; err != nil {
		t.Fatalf("member %s: %v", loginID, err)
	}
	return m
}

func (f *fixture) card(t *testing.T, pan string) db.Card {
	t.Helper()
	var c db.Card
	if err := f.DB.Where("pan_hash = ?", f.Sealer.PANHash(security.PAN(pan))).Take(&c).Error; err != nil {
		t.Fatalf("card %s: %v", security.MaskPAN(pan), err)
	}
	return c
}

// notices returns the kinds of the mails written to a member, oldest first.
func (f *fixture) notices(t *testing.T, memberID uint) []mail.Kind {
	t.Helper()
	var kinds []mail.Kind
	if err := f.DB.Model(&db.MailNotice{}).Where("member_id = ?", memberID).Order("id").Pluck("kind", &kinds).Error; err != nil {
		t.Fatal(err)
	}
	return kinds
}
