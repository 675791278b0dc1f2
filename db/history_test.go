package db_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/db"
	"honnin/tests/testkit"
)

// The newest transactions of several keys come back newest first, each once even when two keys match
// it, cut at the limit, and only those the filter lets through.
func TestNewestChallenges(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		base := db.Now().Add(-time.Hour).Truncate(time.Second)
		card1, card2, card3, member := uint(11), uint(12), uint(13), uint(7)
		add := func(name string, card, memberID *uint, minutes int) {
			at := base.Add(time.Duration(minutes) * time.Minute)
			ch := db.Challenge{ACSTransID: name, DSTransID: "ds-" + name, ThreeDSServerTransID: name, MessageVersion: "2.2.0",
				MessageCategory: "01", CardID: card, MemberID: memberID, State: db.ChallengeAnswered, TransStatus: "N", Deadline: at, CreatedAt: at}
			if err := gdb.Create(&ch).Error; err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			add(fmt.Sprintf("card1-%d", i), &card1, nil, 2*i) // minutes 0, 2, 4, 6, 8
		}
		add("card2-0", &card2, nil, 5)
		add("card2-member", &card2, &member, 9) // matched by the card and by the member
		add("member-only", nil, &member, 7)
		add("card3", &card3, nil, 10) // not asked for

		names := func(chs []db.Challenge) []string {
			var out []string
			for _, ch := range chs {
				out = append(out, ch.ACSTransID)
			}
			return out
		}
		keys := []db.ChallengeKey{{Column: "member_id", Value: member}, {Column: "card_id", Value: card1}, {Column: "card_id", Value: card2}}
		for _, c := range []struct {
			name   string
			limit  int
			filter func(*gorm.DB) *gorm.DB
			want   []string
		}{
			{"all", 10, nil, []string{"card2-member", "card1-4", "member-only", "card1-3", "card2-0", "card1-2", "card1-1", "card1-0"}},
			{"cut at the limit", 3, nil, []string{"card2-member", "card1-4", "member-only"}},
			{"filtered", 10, func(q *gorm.DB) *gorm.DB { return q.Where("created_at < ?", base.Add(6*time.Minute)) },
				[]string{"card2-0", "card1-2", "card1-1", "card1-0"}},
		} {
			got, err := db.NewestChallenges(gdb, db.Now(), c.limit, c.filter, keys...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), c.want) {
				t.Errorf("%s: got %v, want %v", c.name, names(got), c.want)
			}
		}
	})
}

// The windows cover all of time without gaps or overlaps, newest first, the first open to the future.
func TestHistoryWindows(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ws := db.HistoryWindows(now)
	if len(ws) < 2 || !ws[0].To.IsZero() || !ws[len(ws)-1].From.IsZero() {
		t.Fatalf("windows %v: the first must be open to the future, the last to the past", ws)
	}
	if !ws[0].From.Before(now) {
		t.Errorf("the first window starts at %v, not before now", ws[0].From)
	}
	for i := 1; i < len(ws); i++ {
		if !ws[i].To.Equal(ws[i-1].From) || (!ws[i].From.IsZero() && !ws[i].From.Before(ws[i].To)) {
			t.Errorf("window %d %v does not end where window %d %v starts", i, ws[i], i-1, ws[i-1])
		}
	}
}

// Transactions and events spread over more than a year come back newest first across the windows,
// cut at the limit, whichever window holds the cut; the newest window alone answers a page it fills.
func TestNewestAcrossWindows(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		now := db.Now().Truncate(time.Second)
		ages := []int{800, 400, 100, 40, 2, 1} // days
		if db.IsPostgres(gdb) {
			for _, table := range []string{"challenges", "auth_events"} {
				if err := db.EnsurePartitionRange(gdb, table, now.AddDate(0, 0, -ages[0]), now); err != nil {
					t.Fatal(err)
				}
			}
		}
		card, member := uint(21), uint(9)
		for _, days := range ages {
			at := now.AddDate(0, 0, -days)
			name := fmt.Sprintf("d%d", days)
			ch := db.Challenge{ACSTransID: name, DSTransID: "ds-" + name, ThreeDSServerTransID: name, MessageVersion: "2.2.0",
				MessageCategory: "01", CardID: &card, State: db.ChallengeAnswered, TransStatus: "N", Deadline: at, CreatedAt: at}
			ev := db.AuthEvent{MemberID: &member, Kind: db.EventLogin, Result: db.ResultOK, Detail: name, CreatedAt: at}
			if err := gdb.Create(&ch).Error; err != nil {
				t.Fatal(err)
			}
			if err := gdb.Create(&ev).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			limit int
			want  []string
		}{
			{1, []string{"d1"}},
			{2, []string{"d1", "d2"}},
			{4, []string{"d1", "d2", "d40", "d100"}},
			{5, []string{"d1", "d2", "d40", "d100", "d400"}},
			{10, []string{"d1", "d2", "d40", "d100", "d400", "d800"}},
		} {
			chs, err := db.NewestChallenges(gdb, now, c.limit, nil, db.ChallengeKey{Column: "card_id", Value: card})
			if err != nil {
				t.Fatal(err)
			}
			evs, err := db.NewestEvents(gdb, now, c.limit, member, nil)
			if err != nil {
				t.Fatal(err)
			}
			var gotCh, gotEv []string
			for _, ch := range chs {
				gotCh = append(gotCh, ch.ACSTransID)
			}
			for _, ev := range evs {
				gotEv = append(gotEv, ev.Detail)
			}
			if !slices.Equal(gotCh, c.want) || !slices.Equal(gotEv, c.want) {
				t.Errorf("limit %d: transactions %v, events %v, want %v", c.limit, gotCh, gotEv, c.want)
			}
		}
	})
}
