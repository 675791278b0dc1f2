package member

import (
	"context"
	"errors"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
)

func TestReadThreeDSChoices(t *testing.T) {
	cards := []db.Card{
		{ID: 1, Brand: db.BrandJCB, Last4: "0019", Status: db.CardActive, ThreeDS: db.ThreeDSEnrolled},
		{ID: 2, Brand: db.BrandVisa, Last4: "0010", Status: db.CardActive, ThreeDS: db.ThreeDSStopped},
		{ID: 3, Brand: db.BrandJCB, Last4: "0043", Status: db.CardStolen, ThreeDS: db.ThreeDSEnrolled},
	}
	tests := []struct {
		name    string
		form    map[string]string
		changes int
		problem string
	}{
		{"stop one", map[string]string{"card_1": "stopped", "card_2": "stopped"}, 1, ""},
		{"swap both", map[string]string{"card_1": "stopped", "card_2": "enrolled"}, 2, ""},
		{"no change", map[string]string{"card_1": "enrolled", "card_2": "stopped"}, 0, "threeds.nothing"},
		{"nothing sent", map[string]string{}, 0, "threeds.nothing"},
		{"stolen card is ignored", map[string]string{"card_3": "stopped"}, 0, "threeds.nothing"},
		{"unknown card is ignored", map[string]string{"card_9": "stopped"}, 0, "threeds.nothing"},
		{"bad value", map[string]string{"card_1": "none"}, 0, "threeds.bad_choice"},
	}
	for _, tt := range tests {
		changes, problem := ReadThreeDSChoices(func(k string) string { return tt.form[k] }, cards)
		if len(changes) != tt.changes || problem != tt.problem {
			t.Errorf("%s: %d changes, %q; want %d, %q", tt.name, len(changes), problem, tt.changes, tt.problem)
		}
	}
}

func TestSetThreeDS(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	var jcb db.Card
	f.DB.Where("member_id = ? AND brand = ?", yamada.ID, db.BrandJCB).Take(&jcb)
	stop := []ThreeDSChange{{CardID: jcb.ID, From: db.ThreeDSEnrolled, To: db.ThreeDSStopped}}
	if err := SetThreeDS(ctx, f.DB, f.Notices, yamada.ID, stop, credentials.Origin{}); err != nil {
		t.Fatal(err)
	}
	// The same change again finds the card no longer enrolled; another member cannot change it.
	if err := SetThreeDS(ctx, f.DB, f.Notices, yamada.ID, stop, credentials.Origin{}); !errors.Is(err, ErrCardChanged) {
		t.Errorf("repeat: %v", err)
	}
	resume := []ThreeDSChange{{CardID: jcb.ID, From: db.ThreeDSStopped, To: db.ThreeDSEnrolled}}
	if err := SetThreeDS(ctx, f.DB, f.Notices, yamada.ID+1, resume, credentials.Origin{}); !errors.Is(err, ErrCardChanged) {
		t.Errorf("other member: %v", err)
	}
	f.DB.Where("id = ?", jcb.ID).Take(&jcb)
	if jcb.ThreeDS != db.ThreeDSStopped || jcb.ThreeDSChanged == nil {
		t.Errorf("card: %+v", jcb)
	}
}

func TestChangeThreeDS(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	cards, err := MemberCardRecords(ctx, f.DB, yamada.ID)
	if err != nil || len(cards) != 2 || cards[0].Brand != db.BrandJCB || cards[1].Brand != db.BrandVisa {
		t.Fatalf("yamada01's cards: %+v %v", cards, err)
	}
	stop := []ThreeDSChange{{CardID: cards[0].ID, From: db.ThreeDSEnrolled, To: db.ThreeDSStopped}}
	state := func() db.ThreeDSState {
		var c db.Card
		f.DB.Take(&c, cards[0].ID)
		return c.ThreeDS
	}
	tests := []struct {
		name, password, problem string
		err                     error
		state                   db.ThreeDSState
	}{
		{"no password", "", "credentials.current_required", nil, db.ThreeDSEnrolled},
		{"wrong password", "fuji-san-2025", "credentials.current_wrong", nil, db.ThreeDSEnrolled},
		{"right password", "fuji-san-2026", "", nil, db.ThreeDSStopped},
		{"the same change again", "fuji-san-2026", "", ErrCardChanged, db.ThreeDSStopped},
		{"wrong password after the success: 1", "x", "credentials.current_wrong", nil, db.ThreeDSStopped},
		{"wrong password 2", "y", "credentials.current_wrong", nil, db.ThreeDSStopped},
		{"wrong password 3 locks (the fixture's threshold)", "z", "", ErrLockedOut, db.ThreeDSStopped},
		{"locked: even the right password", "fuji-san-2026", "", ErrLockedOut, db.ThreeDSStopped},
	}
	for _, tt := range tests {
		problem, err := ChangeThreeDS(ctx, f.DB, f.Checker, f.Notices, &yamada, stop, tt.password, credentials.Origin{})
		if problem != tt.problem || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || state() != tt.state {
			t.Errorf("%s: %q, %v, card %s; want %q, %v, %s", tt.name, problem, err, state(), tt.problem, tt.err, tt.state)
		}
	}
}
