package member

import (
	"context"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
)

func TestSessionMember(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	closed := f.member(t, "tanaka04b")
	f.DB.Model(&db.Member{}).Where("id = ?", closed.ID).Update("status", db.MemberClosed)
	tests := []struct {
		name    string
		id      uint
		version int
		want    bool
	}{
		{"current session", yamada.ID, yamada.SessionVersion, true},
		{"sessions ended since", yamada.ID, yamada.SessionVersion - 1, false},
		{"closed member", closed.ID, closed.SessionVersion, false},
		{"no such member", 999999, 1, false},
	}
	for _, tt := range tests {
		m, err := SessionMember(ctx, f.DB, tt.id, tt.version)
		if err != nil || (m != nil) != tt.want || (m != nil && m.ID != tt.id) {
			t.Errorf("%s: %+v %v, want found=%v", tt.name, m, err, tt.want)
		}
	}
}

func TestRecordLogout(t *testing.T) {
	f := newFixture(t)
	yamada := f.member(t, "yamada01")
	if err := RecordLogout(context.Background(), f.DB, yamada.ID, credentials.Origin{IP: "192.0.2.3", UserAgent: "test"}); err != nil {
		t.Fatal(err)
	}
	var ev db.AuthEvent
	f.DB.Order("id desc").Take(&ev)
	if ev.Kind != db.EventLogout || ev.Result != db.ResultOK || ev.MemberID == nil || *ev.MemberID != yamada.ID || ev.IP != "192.0.2.3" {
		t.Errorf("logout event %+v", ev)
	}
}
