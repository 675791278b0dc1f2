package member

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/mail"
	"honnin/db"
)

func TestRegister(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	from := credentials.Origin{IP: "192.0.2.7"}
	ito := f.card(t, demodata.UnregJCB)

	if _, err := Register(ctx, f.DB, f.Hasher, f.Notices, NewAccount{CardID: ito.ID, LoginID: "yamada01", Password: "ito-sakura-2026", Email: "new@example.jp"}, from); !errors.Is(err, ErrLoginIDTaken) {
		t.Errorf("taken ID: %v", err)
	}
	// The card had no holder: saying it had one is refused as a changed card, and nothing is written.
	if _, err := Register(ctx, f.DB, f.Hasher, f.Notices, NewAccount{CardID: ito.ID, PreviousHolder: 99, LoginID: "ito.sakura", Password: "ito-sakura-2026", Email: "new@example.jp"}, from); !errors.Is(err, ErrCardChanged) {
		t.Errorf("stale holder: %v", err)
	}
	var n int64
	f.DB.Model(&db.Member{}).Where("login_id = ?", "ito.sakura").Count(&n)
	if n != 0 {
		t.Fatalf("a failed registration left a member behind")
	}
	m, err := Register(ctx, f.DB, f.Hasher, f.Notices, NewAccount{CardID: ito.ID, LoginID: "ito.sakura", Password: "ito-sakura-2026", Email: "new@example.jp"}, from)
	if err != nil {
		t.Fatal(err)
	}
	ito = f.card(t, demodata.UnregJCB)
	if ito.MemberID == nil || *ito.MemberID != m.ID || ito.ThreeDS != db.ThreeDSEnrolled || !m.PersonalMessageIsDefault {
		t.Errorf("after registration: card %+v member %+v", ito, m)
	}
	// A second registration of the same card as "new" finds it taken.
	if _, err := Register(ctx, f.DB, f.Hasher, f.Notices, NewAccount{CardID: ito.ID, LoginID: "ito.second", Password: "ito-sakura-2026", Email: "new@example.jp"}, from); !errors.Is(err, ErrCardChanged) {
		t.Errorf("double registration: %v", err)
	}

	// Re-registration of tanaka04a's only card closes tanaka04a and ends its sessions.
	old := f.member(t, "tanaka04a")
	card := f.card(t, demodata.TanakaJCB)
	f.DB.Model(&db.Card{}).Where("id = ?", card.ID).Updates(map[string]any{"challenge_failures": 2, "challenge_locked_until": db.Now().Add(time.Hour)})
	m2, err := Register(ctx, f.DB, f.Hasher, f.Notices, NewAccount{CardID: card.ID, PreviousHolder: old.ID, LoginID: "tanaka.new", Password: "tanaka-new-2026", Email: "new@example.jp"}, from)
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
	if card.ChallengeFailures != 0 || card.ChallengeLockedUntil != nil {
		t.Errorf("re-registration kept the card's challenge lock: %d failures, until %v", card.ChallengeFailures, card.ChallengeLockedUntil)
	}
	// The previous holder is told at their verified address; the new member gets the code that opens
	// the account, and nothing else until the address is confirmed.
	if got := f.notices(t, old.ID); !slices.Equal(got, []mail.Kind{mail.KindCardMoved}) {
		t.Errorf("previous holder's mails: %v", got)
	}
	if got := f.notices(t, m2.ID); !slices.Equal(got, []mail.Kind{mail.KindCode}) {
		t.Errorf("new member's mails: %v", got)
	}
	if !m2.EmailRequired || m2.EmailVerifiedAt != nil {
		t.Errorf("a registered member must verify the address: %+v", m2)
	}
}

func TestProvenCardAndOtherCards(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	jcb := f.card(t, demodata.YamadaJCB)
	got, err := ProvenCard(ctx, f.DB, jcb.ID)
	if err != nil || got == nil || got.ID != jcb.ID {
		t.Errorf("ProvenCard: %+v %v", got, err)
	}
	if got, err := ProvenCard(ctx, f.DB, 999999); err != nil || got != nil {
		t.Errorf("ProvenCard of a card that is gone: %+v %v", got, err)
	}
	tests := []struct {
		name string
		pan  string
		want int
	}{
		{"yamada01 keeps the Visa card", demodata.YamadaJCB, 1},
		{"tanaka04a has no other card", demodata.TanakaJCB, 0},
	}
	for _, tt := range tests {
		c := f.card(t, tt.pan)
		if n, err := OtherCards(ctx, f.DB, *c.MemberID, c.ID); err != nil || n != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, n, err, tt.want)
		}
	}
}
