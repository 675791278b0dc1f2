package support

import (
	"context"
	"testing"
	"time"

	"honnin/app/i18n"
	"honnin/app/mail"
	"honnin/db"
)

func TestLoadAccount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m := f.member(t, "yamada01")
	var cards []db.Card
	f.DB.Where("member_id = ?", m.ID).Order("id").Find(&cards)
	if len(cards) != 2 {
		t.Fatalf("yamada01 has %d cards", len(cards))
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 3, 0, 0, 0, time.UTC) }
	for i, at := range []time.Time{day(10), day(20)} {
		ch := db.Challenge{ACSTransID: "00000000-0000-4000-8000-00000000000" + string(rune('1'+i)), ThreeDSServerTransID: "t", DSTransID: "d" + string(rune('1'+i)),
			MessageVersion: "2.2.0", MessageCategory: "01", CardID: &cards[0].ID, Brand: "jcb", Last4: "0019", PurchaseAmount: "12800",
			PurchaseCurrency: "392", MerchantName: "Demo Shop", State: db.ChallengeSucceeded, TransStatus: "Y", Tries: 1,
			Deadline: at.Add(10 * time.Minute), CreatedAt: at}
		if err := f.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []db.AuthEvent{
		{MemberID: &m.ID, Kind: db.EventLogin, Result: db.ResultOK, CreatedAt: day(10)},
		{MemberID: &m.ID, Kind: db.EventLock, Result: db.ResultLocked, CreatedAt: day(15)},
		{MemberID: &m.ID, Kind: db.EventUnlock, Result: db.ResultUnlocked, CreatedAt: day(16)},
	} {
		if err := f.DB.Create(&ev).Error; err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	tests := []struct {
		name         string
		f            HistoryFilter
		challenges   int
		events       int
		problemField string
	}{
		{"all", HistoryFilter{}, 2, 3, ""},
		{"challenges only", HistoryFilter{Kind: HistoryChallenge}, 2, 0, ""},
		{"logins only", HistoryFilter{Kind: HistoryLogin}, 0, 1, ""},
		{"locks only", HistoryFilter{Kind: HistoryLock}, 0, 2, ""},
		{"from the 15th (JST)", HistoryFilter{From: "2026-11-15"}, 1, 2, ""},
		{"up to the 15th inclusive", HistoryFilter{To: "2026-11-15"}, 1, 2, ""},
		{"one day", HistoryFilter{From: "2026-11-16", To: "2026-11-16"}, 0, 1, ""},
		{"bad date is reported and ignored", HistoryFilter{From: "15/11/2026"}, 2, 3, "from"},
		{"bad kind is reported, all shown", HistoryFilter{Kind: "' OR 1=1"}, 2, 3, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc, problems, err := LoadAccount(ctx, f.DB, m.ID, tt.f, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(acc.Challenges) != tt.challenges || len(acc.Events) != tt.events {
				t.Errorf("challenges %d events %d, want %d %d", len(acc.Challenges), len(acc.Events), tt.challenges, tt.events)
			}
			if tt.problemField != "" && problems[tt.problemField] == "" || tt.problemField == "" && problems.Any() {
				t.Errorf("problems = %v, want one for %q", problems, tt.problemField)
			}
		})
	}
	acc, _, _ := LoadAccount(ctx, f.DB, m.ID, HistoryFilter{}, now)
	if acc.Member.LoginID != "yamada01" || len(acc.Cards) != 2 || acc.Challenges[0].PurchaseAmount != "12800" ||
		!acc.Challenges[0].CreatedAt.Equal(day(20)) || acc.LockedUntil != nil {
		t.Errorf("account = %+v", acc)
	}
	// The page shows it masked, numbered and with amounts in the reader's language.
	for _, tt := range []struct {
		locale i18n.Locale
		amount string
	}{{i18n.JA, "12,800円"}, {i18n.EN, "JPY 12,800"}} {
		v := accountView(i18n.WithLocale(ctx, tt.locale), acc, HistoryFilter{})
		if v.LoginID != "yamada01" || v.Number != "M0000001" || len(v.Cards) != 2 || v.Cards[0].Masked != "354000******0019" ||
			v.CardMask[cards[0].ID] != "JCB 354000******0019" || v.Challenges[0].Amount != tt.amount || v.MessageIsDefault || v.LockedUntil != nil {
			t.Errorf("%s view = %+v", tt.locale, v)
		}
	}
	if _, _, err := LoadAccount(ctx, f.DB, 9999, HistoryFilter{}, now); err != ErrNoMember {
		t.Errorf("unknown member: %v", err)
	}
}

// Every kind of mail has its name in the member's list of mails.
func TestEveryMailKindHasAConsoleLabel(t *testing.T) {
	for _, k := range mail.Kinds {
		if !i18n.Has("support.notices.kind." + string(k)) {
			t.Errorf("no console label for the mail kind %q", k)
		}
	}
}
