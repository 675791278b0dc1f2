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
			got, err := db.NewestChallenges(gdb, c.limit, c.filter, keys...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), c.want) {
				t.Errorf("%s: got %v, want %v", c.name, names(got), c.want)
			}
		}
	})
}
