package member

import (
	"context"
	"testing"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/db"
)

func TestAddCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	tests := []struct {
		name, pan, want string
	}{
		{"own card", demodata.YamadaJCB, "cards.add.already_yours"},
		{"another ID's card", demodata.SatoVisa, "cards.add.other_id"},
		{"free card", demodata.UnregVisa, ""},
	}
	for _, tt := range tests {
		card := f.card(t, tt.pan)
		got, err := AddCard(ctx, f.DB, yamada.ID, &card, credentials.Origin{})
		if err != nil || got != tt.want {
			t.Errorf("%s: AddCard = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	card := f.card(t, demodata.UnregVisa)
	if card.MemberID == nil || *card.MemberID != yamada.ID || card.ThreeDS != db.ThreeDSEnrolled {
		t.Errorf("added card: %+v", card)
	}
}
