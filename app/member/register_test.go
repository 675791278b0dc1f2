package member

import (
	"context"
	"errors"
	"testing"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/db"
)

func TestRegister(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	from := credentials.Origin{IP: "192.0.2.7"}
	ito := f.card(t, demodata.UnregJCB)

	if _, err := Register(ctx, f.DB, f.Hasher, NewAccount{CardID: ito.ID, LoginID: "yamada01", Password: "ito-sakura-2026"}, from); !errors.Is(err, ErrLoginIDTaken) {
		t.Errorf("taken ID: %v", err)
	}
	// The card had no holder: saying it had one is refused as a changed card, and nothing is written.
	if _, err := Register(ctx, f.DB, f.Hasher, NewAccount{CardID: ito.ID, PreviousHolder: 99, LoginID: "ito.sakura", Password: "ito-sakura-2026"}, from); !errors.Is(err, ErrCardChanged) {
		t.Errorf("stale holder: %v", err)
	}
	var n int64
	f.DB.Model(&db.Member{}).Where("login_id = ?", "ito.sakura").Count(&n)
	if n != 0 {
		t.Fatalf("a failed registration left a member behind")
	}
	m, err := Register(ctx, f.DB, f.Hasher, NewAccount{CardID: ito.ID, LoginID: "ito.sakura", Password: "ito-sakura-2026"}, from)
	if err != nil {
		t.Fatal(err)
	}
	ito = f.card(t, demodata.UnregJCB)
	if ito.MemberID == nil || *ito.MemberID != m.ID || ito.ThreeDS != db.ThreeDSEnrolled || !m.PersonalMessageIsDefault {
		t.Errorf("after registration: card %+v member %+v", ito, m)
	}
	// A second registration of the same card as "new" finds it taken.
	if _, err := Register(ctx, f.DB, f.Hasher, NewAccount{CardID: ito.ID, LoginID: "ito.second", Password: "ito-sakura-2026"}, from); !errors.Is(err, ErrCardChanged) {
		t.Errorf("double registration: %v", err)
	}

	// Re-registration of tanaka04a's only card closes tanaka04a and ends its sessions.
	old := f.member(t, "tanaka04a")
	card := f.card(t, demodata.TanakaJCB)
	m2, err := Register(ctx, f.DB, f.Hasher, NewAccount{CardID: card.ID, PreviousHolder: old.ID, LoginID: "tanaka.new", Password: "tanaka-new-2026"}, from)
	if err != nil {
		t.Fatal(err)
	}
	after := f.member(t, "tanaka04a")
	if after.Status != db.MemberClosed || after.ClosedAt == nil || after.SessionVersion != old.SessionVersion+1 {
		t.Errorf("old member after re-registration: %+v", after)
	}
	card = f.card(t, demodata.TanakaJCB)
	if *card.MemberID != m2.ID {
		t.Errorf("card not moved")
	}
}
