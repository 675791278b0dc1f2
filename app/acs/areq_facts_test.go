package acs_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"honnin/app/acs"
	"honnin/app/risk"
	"honnin/db"
	"honnin/tests/testkit"
)

var factsNow = time.Date(2026, 11, 26, 10, 20, 30, 0, time.UTC)

// factsItem is an AReq for card id from the Directory Server "x" at the merchant (one per-card limit
// for all), asking for the card's risk facts.
func factsItem(card uint, merchant string, small bool, at time.Time, perCard int) acs.AReqFacts {
	return acs.AReqFacts{
		Limits: acs.AReqLimits{CardKey: "card:" + string(rune('a'+card)), DSKey: "ds:x#0", PerCard: perCard, PerDSRows: 1_000_000},
		At:     at,
		Risk:   &acs.RiskAsk{CardID: card, Browser: risk.Browser{UserAgent: "UA"}, MerchantKey: merchant, Small: small},
	}
}

// Within one batch each AReq sees its card's counters as if the AReqs had come one after another: the
// hour's count, small amounts and distinct merchants, the day's count, a new hour starting again, and
// an AReq over its rate limit refused without being counted.
func TestWriteAReqFactsCountsInOrder(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		failedAt := factsNow.Add(-2 * time.Hour)
		earlier := db.CardRiskCounter{CardID: 1, HourStart: factsNow.Truncate(time.Hour), HourAReqs: 2, HourSmall: 1,
			DayStart: factsNow.Truncate(24 * time.Hour), DayAReqs: 5, FailuresSince: &failedAt, Failures: 2}
		if err := gdb.Create(&earlier).Error; err != nil {
			t.Fatal(err)
		}
		nextHour := factsNow.Truncate(time.Hour).Add(time.Hour)
		items := []acs.AReqFacts{
			factsItem(1, "M1", true, factsNow, 3),
			factsItem(2, "M1", false, factsNow, 3),
			factsItem(1, "M2", true, factsNow, 3),
			factsItem(1, "M1", false, factsNow, 3),
			factsItem(1, "M3", true, factsNow, 3), // the card's fourth AReq of the minute: over its limit of 3
			factsItem(1, "M3", true, nextHour, 3), // another minute and another hour
		}
		got, err := acs.WriteAReqFacts(ctx, gdb, time.Minute, items)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			rate                       int
			hour, small, merchants, dy int
		}{
			{1, 3, 2, 1, 6},
			{1, 1, 0, 1, 1},
			{2, 4, 3, 2, 7},
			{3, 5, 3, 2, 8},
			{4, 0, 0, 0, 0},
			{1, 1, 1, 1, 9},
		}
		for i, w := range want {
			r := got[i]
			if r.Counts.Card != w.rate {
				t.Errorf("AReq %d: rate count %d, want %d", i, r.Counts.Card, w.rate)
			}
			if i == 4 {
				if r.Risk != nil {
					t.Errorf("AReq %d over its limit got risk facts %+v", i, r.Risk)
				}
				continue
			}
			c := r.Risk.Counter
			if m := len(c.HourMerchants) / 9; c.HourAReqs != w.hour || c.HourSmall != w.small || m != w.merchants || c.DayAReqs != w.dy {
				t.Errorf("AReq %d: hour %d small %d merchants %d day %d, want %d %d %d %d", i, c.HourAReqs, c.HourSmall, m, c.DayAReqs,
					w.hour, w.small, w.merchants, w.dy)
			}
			if wantFailures := map[uint]int{1: 2, 2: 0}[c.CardID]; c.Failures != wantFailures {
				t.Errorf("AReq %d: failures %d, want %d", i, c.Failures, wantFailures)
			}
		}
		var stored db.CardRiskCounter
		if err := gdb.Take(&stored, "card_id = ?", 1).Error; err != nil {
			t.Fatal(err)
		}
		if stored.HourAReqs != 1 || stored.DayAReqs != 9 || stored.Failures != 2 || !stored.HourStart.Equal(nextHour) {
			t.Errorf("stored counters %+v, want the last AReq's (hour 1, day 9) and the failures kept", stored)
		}
	})
}

// The look-ups: a device known and still trusted, one whose trust expired, a merchant known, one
// trusted, and device data claimed once, by the first AReq of the batch that names them, unless they
// expired.
func TestWriteAReqFactsKnowledgeAndDeviceData(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		method := risk.MethodData{TimeZone: "Asia/Tokyo", ScreenWidth: 1440, ScreenHeight: 900, ColorDepth: 24}
		data, _ := json.Marshal(method)
		withMethod := risk.DeviceHash(risk.Browser{UserAgent: "UA"}, &method)
		without := risk.DeviceHash(risk.Browser{UserAgent: "UA"}, nil)
		for _, row := range []any{
			&db.KnownDevice{CardID: 1, DeviceHash: withMethod, ExpiresAt: factsNow.Add(time.Hour), LastUsedAt: factsNow},
			&db.KnownDevice{CardID: 2, DeviceHash: without, ExpiresAt: factsNow.Add(-time.Second), LastUsedAt: factsNow},
			&db.KnownMerchant{CardID: 1, MerchantKey: "M1", LastSeenAt: factsNow},
			&db.TrustedMerchant{CardID: 2, MerchantKey: "M2", MerchantName: "shop"},
			&db.DeviceData{ThreeDSServerTransID: "tx-1", Data: string(data), ExpiresAt: factsNow.Add(time.Minute)},
			&db.DeviceData{ThreeDSServerTransID: "tx-late", Data: string(data), ExpiresAt: factsNow.Add(-time.Second)},
		} {
			if err := gdb.Create(row).Error; err != nil {
				t.Fatal(err)
			}
		}
		items := []acs.AReqFacts{
			factsItem(1, "M1", false, factsNow, 100),
			factsItem(1, "M2", false, factsNow, 100),
			factsItem(2, "M2", false, factsNow, 100),
			factsItem(2, "M1", false, factsNow, 100),
		}
		items[0].Risk.ClaimDeviceData, items[1].Risk.ClaimDeviceData = "tx-1", "tx-1"
		items[2].Risk.ClaimDeviceData, items[3].Risk.ClaimDeviceData = "tx-late", "tx-none"
		got, err := acs.WriteAReqFacts(ctx, gdb, time.Minute, items)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			method                        bool
			device, merchant, trustedShop bool
		}{
			{true, true, true, false},
			{false, false, false, false},
			{false, false, false, true}, // the device's trust expired; expired device data are not used
			{false, false, false, false},
		}
		for i, w := range want {
			r := got[i].Risk
			k := r.Known
			if (r.Method != nil) != w.method || k.DeviceKnown != w.device || k.MerchantKnown != w.merchant || k.MerchantTrusted != w.trustedShop {
				t.Errorf("AReq %d: method data %v, known %+v; want %+v", i, r.Method != nil, k, w)
			}
		}
		var left int64
		gdb.Model(&db.DeviceData{}).Count(&left)
		if left != 0 {
			t.Errorf("%d device data rows left after their AReqs came, want none", left)
		}
	})
}

// Two nodes (two pools on one database, each with its own batches) counting the same cards at once,
// in different orders, neither deadlock nor lose a count: the hour's counts of a card are exactly
// 1..n, and each node's batches claim a shared device data row at most once between them.
func TestWriteAReqFactsAcrossNodes(t *testing.T) {
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
		const writers, batches = 8, 10
		for i := range batches {
			nodes[0].Create(&db.DeviceData{ThreeDSServerTransID: "tx-" + string(rune('a'+i)), Data: "{}", ExpiresAt: factsNow.Add(time.Hour)})
		}
		var mu sync.Mutex
		hours := map[uint][]int{}
		claims := map[string]int{}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range batches {
					items := []acs.AReqFacts{factsItem(1, "M1", true, factsNow, 1000), factsItem(2, "M2", false, factsNow, 1000)}
					if (w+i)%2 == 1 {
						items[0], items[1] = items[1], items[0]
					}
					// Every writer asks for batch i's device data: one AReq of all gets them.
					items[0].Risk.ClaimDeviceData = "tx-" + string(rune('a'+i))
					got, err := acs.WriteAReqFacts(context.Background(), nodes[w%2], time.Minute, items)
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					mu.Lock()
					for j, r := range got {
						hours[items[j].Risk.CardID] = append(hours[items[j].Risk.CardID], r.Risk.Counter.HourAReqs)
						if r.Risk.Method != nil {
							claims[items[j].Risk.ClaimDeviceData]++
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for card, counts := range hours {
			slices.Sort(counts)
			for i, c := range counts {
				if c != i+1 {
					t.Errorf("card %d: hour counts %v, want 1..%d each once", card, counts, writers*batches)
					break
				}
			}
		}
		for i := range batches {
			if id := "tx-" + string(rune('a'+i)); claims[id] != 1 {
				t.Errorf("device data %s claimed by %d AReqs, want 1", id, claims[id])
			}
		}
	})
}

// A batch that fails writes nothing (its rate counts are not kept either) and its error reaches its
// own AReqs, not those of another node's batch.
func TestWriteAReqFactsFailureWritesNothing(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		url, dir := testkit.NewDatabaseURL(t, b)
		good, err := db.Open(url, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(good) })
		if err := db.Migrate(good); err != nil {
			t.Fatal(err)
		}
		gone, err := db.Open(url, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Close(gone)
		if _, err := acs.WriteAReqFacts(context.Background(), gone, time.Minute, []acs.AReqFacts{factsItem(1, "M1", true, factsNow, 100)}); err == nil {
			t.Fatal("a closed database answered the batch")
		}
		canceled, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := acs.WriteAReqFacts(canceled, good, time.Minute, []acs.AReqFacts{factsItem(1, "M1", true, factsNow, 100)}); err == nil {
			t.Fatal("a canceled batch was written")
		}
		got, err := acs.WriteAReqFacts(context.Background(), good, time.Minute, []acs.AReqFacts{factsItem(1, "M1", true, factsNow, 100)})
		if err != nil || got[0].Counts.Card != 1 || got[0].Risk.Counter.HourAReqs != 1 {
			t.Fatalf("the next batch: %+v, %v; want the first count of the card", got, err)
		}
	})
}

// statementCounter is a GORM logger that counts the statements it is told of.
type statementCounter struct {
	logger.Interface
	n int
}

func (c *statementCounter) Trace(context.Context, time.Time, func() (string, int64), error) { c.n++ }

// On PostgreSQL a batch's facts write counts the rate limits of its (first) window in the statement
// that locks the cards' risk counters: a batch in one window runs that statement and the risk counters'
// save, a round trip fewer than with the rate counters' upsert on its own; and the counts are the same.
func TestWriteAReqFactsStatements(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.Postgres)
	nextMinute := factsNow.Truncate(time.Minute).Add(time.Minute)
	noRisk := factsItem(3, "M1", false, factsNow, 100)
	noRisk.Risk = nil
	cases := []struct {
		name       string
		items      []acs.AReqFacts
		statements int
		card, ds   []int // each item's rate counts (the cases share the Directory Server's counter)
	}{
		{"one window", []acs.AReqFacts{factsItem(1, "M1", true, factsNow, 100), factsItem(2, "M1", false, factsNow, 100),
			factsItem(1, "M2", false, factsNow, 100)}, 2, []int{1, 1, 2}, []int{1, 2, 3}},
		{"two windows", []acs.AReqFacts{factsItem(1, "M1", true, factsNow, 100), factsItem(1, "M1", true, nextMinute, 100)}, 3,
			[]int{3, 1}, []int{4, 1}},
		{"no risk asked", []acs.AReqFacts{noRisk, noRisk}, 2, []int{1, 2}, []int{5, 6}}, // SET LOCAL and the rate counters
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counter := &statementCounter{Interface: logger.Discard}
			got, err := acs.WriteAReqFacts(context.Background(), gdb.Session(&gorm.Session{Logger: counter}), time.Minute, c.items)
			if err != nil {
				t.Fatal(err)
			}
			if counter.n != c.statements {
				t.Errorf("%d statements, want %d", counter.n, c.statements)
			}
			for i, r := range got {
				if r.Counts.Card != c.card[i] || r.Counts.DS != c.ds[i] {
					t.Errorf("AReq %d: counts %+v, want card %d, DS %d", i, r.Counts, c.card[i], c.ds[i])
				}
			}
		})
	}
}
