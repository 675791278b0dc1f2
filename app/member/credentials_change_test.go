package member

import (
	"context"
	"errors"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
)

func TestChangeCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		in      CredentialChange
		problem string // field with a problem, "" for success
	}{
		{"empty", CredentialChange{}, "current_password"},
		{"nothing new", CredentialChange{Current: "fuji-san-2026"}, "new_login_id"},
		{"same ID is nothing new", CredentialChange{Current: "fuji-san-2026", NewLoginID: "YAMADA01"}, "new_login_id"},
		{"taken", CredentialChange{Current: "fuji-san-2026", NewLoginID: "sato03"}, "new_login_id"},
		{"ID equals the password", CredentialChange{Current: "fuji-san-2026", NewLoginID: "fuji-san-2026"}, "new_login_id"},
		{"weak password", CredentialChange{Current: "fuji-san-2026", NewPassword: "short", Confirm: "short"}, "new_password"},
		{"wrong current", CredentialChange{Current: "nope-nope", NewLoginID: "yamada.taro"}, "current_password"},
		{"both", CredentialChange{Current: "fuji-san-2026", NewLoginID: "yamada.taro", NewPassword: "shin-fuji-2027", Confirm: "shin-fuji-2027"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m db.Member
			f.DB.Where("id = 1").Take(&m)
			v, probs, err := ChangeCredentials(ctx, f.DB, f.Checker, f.Hasher, f.Notices, &m, tt.in, credentials.Origin{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.problem != "" {
				if probs[tt.problem] == "" {
					t.Errorf("problems %v, want one for %s", probs, tt.problem)
				}
				return
			}
			if len(probs) != 0 || v != m.SessionVersion+1 {
				t.Errorf("problems %v version %d", probs, v)
			}
		})
	}
	m := f.member(t, "yamada.taro")
	if ok, _ := f.Hasher.Verify(ctx, "shin-fuji-2027", m.PasswordHash); !ok || m.SessionVersion != 2 {
		t.Errorf("after the change: version %d, password ok %v", m.SessionVersion, ok)
	}
	// A session that saw the old version cannot change anything any more.
	m.SessionVersion = 1
	if _, _, err := ChangeCredentials(ctx, f.DB, f.Checker, f.Hasher, f.Notices, &m, CredentialChange{Current: "shin-fuji-2027", NewLoginID: "yamada.jiro"}, credentials.Origin{}); !errors.Is(err, ErrStaleSession) {
		t.Errorf("stale session: %v", err)
	}
}
