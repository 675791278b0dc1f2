package member

import (
	"context"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
)

func TestLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	from := credentials.Origin{IP: "192.0.2.1", UserAgent: "test"}
	tests := []struct {
		name, id, password string
		want               credentials.Outcome
		event              db.EventResult
		attributed         bool
	}{
		{"right pair", "yamada01", "fuji-san-2026", credentials.OK, db.ResultOK, true},
		{"upper case full-width ID", "ＹＡＭＡＤＡ01", "fuji-san-2026", credentials.OK, db.ResultOK, true},
		{"wrong password", "yamada01", "fuji-san-2025", credentials.Wrong, db.ResultWrongCredentials, true},
		{"unknown ID", "nobody", "fuji-san-2026", credentials.Wrong, db.ResultWrongCredentials, false},
		{"empty", "", "", credentials.Wrong, db.ResultWrongCredentials, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Login(ctx, f.DB, f.Checker, tt.id, tt.password, from)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.want {
				t.Fatalf("outcome %v, want %v", res.Outcome, tt.want)
			}
			var ev db.AuthEvent
			f.DB.Order("id desc").Take(&ev)
			if ev.Kind != db.EventLogin || ev.Result != tt.event || ev.IP != from.IP || (ev.MemberID != nil) != tt.attributed {
				t.Errorf("event %+v", ev)
			}
		})
	}
	m := f.member(t, "yamada01")
	if m.LastLoginAt == nil || m.PreviousLoginAt == nil || m.PreviousLoginAt.After(*m.LastLoginAt) {
		t.Errorf("login times: last %v previous %v", m.LastLoginAt, m.PreviousLoginAt)
	}
	// Three wrong passwords (the fixture's threshold) lock the ID, each answered as wrong; then a wrong
	// password is still only wrong, and the right one learns of the lock.
	for i := range 4 {
		res, err := Login(ctx, f.DB, f.Checker, "sato03", "wrong", from)
		if err != nil || res.Outcome != credentials.Wrong {
			t.Fatalf("wrong password %d: %+v, %v", i+1, res, err)
		}
	}
	var ev db.AuthEvent
	f.DB.Where("kind = ?", db.EventLogin).Order("id desc").Take(&ev)
	if ev.Result != db.ResultWrongCredentials {
		t.Errorf("a wrong password to the locked ID was recorded as %q", ev.Result)
	}
	res, err := Login(ctx, f.DB, f.Checker, "sato03", "shimizu-port-9", from)
	if err != nil || res.Outcome != credentials.Locked || res.LockedUntil.IsZero() {
		t.Errorf("after the threshold: %+v, %v", res, err)
	}
	var last db.AuthEvent
	f.DB.Where("kind = ?", db.EventLogin).Order("id desc").Take(&last)
	if last.Result != db.ResultLocked {
		t.Errorf("the right password to the locked ID was recorded as %q", last.Result)
	}
}
