package member

import (
	"context"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
	"honnin/db/demo"
)

func TestAddCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	tests := []struct {
		name, pan, want string
	}{
		{"own card", demo.YamadaJCB, "cards.add.already_yours"},
		{"another ID's card", demo.SatoVisa, "cards.add.other_id"},
		{"free card", demo.UnregVisa, ""},
	}
	for _, tt := range tests {
		card := f.card(t, tt.pan)
		got, err := AddCard(ctx, f.DB, yamada.ID, &card, credentials.Origin{})
		if err != nil || got != tt.want {
			t.Errorf("%s: AddCard = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	card := f.card(t, demo.UnregVisa)
	if card.MemberID == nil || *card.MemberID != yamada.ID || card.ThreeDS != db.ThreeDSEnrolled {
		t.Errorf("added card: %+v", card)
	}
}
