package member

import (
	"context"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/db"
)

func TestHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	jcb, sato := f.card(t, demodata.YamadaJCB), f.card(t, demodata.SatoVisa)
	base := time.Now().UTC().Add(-time.Hour)
	for i, c := range []db.Challenge{
		{ACSTransID: "a1", CardID: &jcb.ID, MerchantName: "Old Shop", PurchaseAmount: "1200", PurchaseCurrency: "392", State: db.ChallengeSucceeded, TransStatus: "Y", CreatedAt: base},
		{ACSTransID: "a2", CardID: &jcb.ID, MerchantName: "New Shop", PurchaseAmount: "999", PurchaseExponent: 2, PurchaseCurrency: "840", State: db.ChallengeCancelled, TransStatus: "N", CreatedAt: base.Add(time.Minute)},
		{ACSTransID: "a4", CardID: &jcb.ID, MerchantName: "Tea Shop", PurchaseAmount: "3000", PurchaseCurrency: "392", State: db.ChallengeAnswered, TransStatus: "Y", CreatedAt: base.Add(3 * time.Minute)},
		{ACSTransID: "a3", CardID: &sato.ID, MerchantName: "Not Yamada's", PurchaseAmount: "1", PurchaseCurrency: "392", State: db.ChallengeSucceeded, TransStatus: "Y", CreatedAt: base.Add(2 * time.Minute)},
	} {
		c.ThreeDSServerTransID, c.DSTransID, c.MessageVersion, c.MessageCategory, c.Deadline = "s", "d-"+c.ACSTransID, "2.2.0", "01", base
		if err := f.DB.Create(&c).Error; err != nil {
			t.Fatalf("challenge %d: %v", i, err)
		}
	}
	f.DB.Create(&db.AuthEvent{MemberID: &yamada.ID, Kind: db.EventLogin, Result: db.ResultOK, IP: "192.0.2.9", CreatedAt: base.Add(30 * time.Second)})
	f.DB.Create(&db.AuthEvent{MemberID: &yamada.ID, Kind: db.EventLogout, Result: db.ResultOK, CreatedAt: base.Add(40 * time.Second)})
	f.DB.Create(&db.AuthEvent{MemberID: &yamada.ID, CardID: &jcb.ID, Kind: db.EventLock, Result: db.ResultCardLocked, CreatedAt: base.Add(50 * time.Second)})
	f.DB.Create(&db.AuthEvent{MemberID: &yamada.ID, Kind: db.EventMessageChange, Result: db.ResultOK, Detail: "changed", IP: "::1", CreatedAt: base.Add(55 * time.Second)})

	rows, err := History(ctx, f.DB, yamada.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.What+"|"+r.Last4+"|"+r.Shop+"|"+r.Amount+"|"+r.Result)
	}
	want := []string{"history.what.authentication|0019|Tea Shop|3,000円|risk.frictionless",
		"history.what.authentication|0019|New Shop|9.99 USD|history.result.cancelled",
		"history.what.message_change||||history.message.changed",
		"history.what.card_lock|0019|||history.event.card_lock",
		"history.what.login||||history.login.ok",
		"history.what.authentication|0019|Old Shop|1,200円|history.result.succeeded"}
	if len(got) != len(want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"::1", true},
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::ffff:127.0.0.1", true},
		{"192.0.2.9", false},
		{"2001:db8::1", false},
		{"", false},
		{"not an address", false},
	}
	for _, tt := range tests {
		if got := isLoopback(tt.ip); got != tt.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tt.ip, got, tt.want)
		}
	}
}
