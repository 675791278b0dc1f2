package support

import (
	"bytes"
	"context"
	"testing"

	"gorm.io/gorm"

	"honnin/app/demodata"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

type fixture struct {
	DB     *gorm.DB
	Hasher *security.Hasher
	Sealer *security.Sealer
	Mail   *mail.Outbox
}

// newFixture opens a fresh SQLite database with the demo data.
func newFixture(t *testing.T) fixture {
	t.Helper()
	gdb, err := db.Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	sealer, err := security.NewSealer(1, map[int][]byte{1: bytes.Repeat([]byte{1}, 32)}, bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	hasher := security.NewHasher(security.FastArgon2ForTests)
	if err := demodata.Seed(context.Background(), gdb, sealer, hasher, "legacy"); err != nil {
		t.Fatal(err)
	}
	return fixture{DB: gdb, Hasher: hasher, Sealer: sealer, Mail: &mail.Outbox{Sealer: sealer, Names: mail.Names{Portal: "My日専連静岡", Host: "test.localhost"}}}
}

func (f fixture) staff(t *testing.T, login string) db.Staff {
	t.Helper()
	var st db.Staff
	if err := f.DB.Where("login = ?", login).Take(&st).Error; err != nil {
		t.Fatal(err)
	}
	return st
}

func (f fixture) member(t *testing.T, login string) db.Member {
	t.Helper()
	var m db.Member
	if err := f.DB.Where("login_id = ?", login).Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

func (f fixture) audits(t *testing.T) []db.AuditEvent {
	t.Helper()
	var evs []db.AuditEvent
	if err := f.DB.Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	return evs
}
