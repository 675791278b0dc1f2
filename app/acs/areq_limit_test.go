package acs_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/acs"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestCountAReq(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		now := time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC)
		steps := []struct {
			name         string
			card, ds     string
			at           time.Time
			wantCard, wd int
		}{
			{"first AReq", "card:a", "ds:x", now, 1, 1},
			{"same card, same DS", "card:a", "ds:x", now.Add(10 * time.Second), 2, 2},
			{"other card, same DS", "card:b", "ds:x", now, 1, 3},
			{"same card, other DS", "card:a", "ds:y", now, 3, 1},
			{"next window starts again", "card:a", "ds:x", now.Add(time.Minute), 1, 1},
		}
		for _, s := range steps {
			got, err := acs.CountAReqs(ctx, gdb, time.Minute, []acs.AReqHit{{CardKey: s.card, DSKey: s.ds, At: s.at}})
			if err != nil || got[0].Card != s.wantCard || got[0].DS != s.wd {
				t.Errorf("%s: %+v %v, want card %d, DS %d", s.name, got, err, s.wantCard, s.wd)
			}
		}
		n, err := acs.SweepAReqCounters(ctx, gdb, time.Minute, now.Add(time.Minute))
		var left int64
		gdb.Model(&db.AReqCounter{}).Count(&left)
		if err != nil || n != 4 || left != 2 {
			t.Errorf("sweep removed %d (%v), %d left; want 4 removed, the current window's 2 left", n, err, left)
		}
	})
}

// A batch counts as if its hits came one after another, in order: repeated keys, two windows, and
// counters that already had hits.
func TestCountAReqsBatch(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		now := time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC)
		if _, err := acs.CountAReqs(ctx, gdb, time.Minute, []acs.AReqHit{{CardKey: "card:a", DSKey: "ds:x", At: now}}); err != nil {
			t.Fatal(err)
		}
		hits := []acs.AReqHit{
			{CardKey: "card:a", DSKey: "ds:x", At: now},
			{CardKey: "card:b", DSKey: "ds:x", At: now},
			{CardKey: "card:a", DSKey: "ds:y", At: now},
			{CardKey: "card:a", DSKey: "ds:x", At: now.Add(time.Minute)},
			{CardKey: "card:a", DSKey: "ds:x", At: now},
		}
		want := []acs.AReqCounts{{Card: 2, DS: 2}, {Card: 1, DS: 3}, {Card: 3, DS: 1}, {Card: 1, DS: 1}, {Card: 4, DS: 4}}
		got, err := acs.CountAReqs(ctx, gdb, time.Minute, hits)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("hit %d: %+v, want %+v", i, got[i], want[i])
			}
		}
		var total int64
		gdb.Model(&db.AReqCounter{}).Where("key = ?", "card:a").Select("SUM(count)").Scan(&total)
		if total != 5 {
			t.Errorf("card:a counted %d times in all, want 5", total)
		}
	})
}

func TestBearerMatches(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		header, want string
		ok           bool
	}{
		{"Bearer " + token, token, true},
		{"bearer " + token, token, true},
		{"Bearer  " + token + " ", token, true},
		{"Bearer " + token[:31], token, false},
		{"Bearer " + token + "0", token, false},
		{"Basic " + token, token, false},
		{token, token, false},
		{"", token, false},
		{"Bearer ", "", false},
	} {
		if got := acs.BearerMatches(tt.header, tt.want); got != tt.ok {
			t.Errorf("BearerMatches(%q) = %v, want %v", tt.header, got, tt.ok)
		}
	}
}

func TestNewAReqLimits(t *testing.T) {
	ds := acs.DSIdentity{ID: "fp:ab"}
	tests := []struct {
		name              string
		panHash           string
		perDS             int
		dsKey             string
		perDSRow, perCard int
	}{
		{"small limit: one exact row", "00ff", 12, "ds:fp:ab#0", 12, 10},
		{"below 200: still one row", "00ff", 199, "ds:fp:ab#0", 199, 10},
		{"2000 over 16 rows of 125", "00ff", 2000, "ds:fp:ab#6", 125, 10}, // 'f' = 102, 102 % 16 = 6
		{"250 over 2 rows, rounded up", "00fe", 250, "ds:fp:ab#1", 125, 10},
		{"huge limit: 16 rows at most", "0000", 1_000_000_000, "ds:fp:ab#0", 62_500_000, 10},
	}
	for _, tt := range tests {
		l := acs.NewAReqLimits(tt.panHash, ds, tt.perCard, tt.perDS)
		if l.CardKey != "card:"+tt.panHash || l.DSKey != tt.dsKey || l.PerDSRows != tt.perDSRow || l.PerCard != tt.perCard {
			t.Errorf("%s: %+v", tt.name, l)
		}
		if l.Exceeded(acs.AReqCounts{Card: tt.perCard, DS: tt.perDSRow}) || !l.Exceeded(acs.AReqCounts{Card: tt.perCard + 1, DS: 1}) ||
			!l.Exceeded(acs.AReqCounts{Card: 1, DS: tt.perDSRow + 1}) {
			t.Errorf("%s: Exceeded is not strictly above the limits", tt.name)
		}
	}
}

// Batches from two nodes (two pools on one database) counting the same keys at once never deadlock,
// and every AReq gets a count of its own: the counts of one key are exactly 1..n.
func TestCountAReqsAcrossNodes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		url, dir := testkit.NewDatabaseURL(t, b)
		var nodes []*gorm.DB
		for range 2 {
			gdb, err := db.Open(url, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close(gdb) })
			nodes = append(nodes, gdb)
		}
		if err := db.Migrate(nodes[0]); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC)
		const writers, batches = 8, 10
		var mu sync.Mutex
		seen := map[string][]int{}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range batches {
					// Keys in a different order in every batch: the lock order must not depend on it.
					hits := []acs.AReqHit{{CardKey: "card:a", DSKey: "ds:x#0", At: now}, {CardKey: "card:b", DSKey: "ds:x#1", At: now}}
					if (w+i)%2 == 1 {
						hits[0], hits[1] = acs.AReqHit{CardKey: "card:b", DSKey: "ds:x#1", At: now}, acs.AReqHit{CardKey: "card:a", DSKey: "ds:x#0", At: now}
					}
					got, err := acs.CountAReqs(context.Background(), nodes[w%2], time.Minute, hits)
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					mu.Lock()
					for j, h := range hits {
						seen[h.CardKey] = append(seen[h.CardKey], got[j].Card)
						seen[h.DSKey] = append(seen[h.DSKey], got[j].DS)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for key, counts := range seen {
			slices.Sort(counts)
			for i, c := range counts {
				if c != i+1 {
					t.Errorf("%s: counts %v, want 1..%d each once", key, counts, writers*batches)
					break
				}
			}
		}
	})
}
