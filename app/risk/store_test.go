package risk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/emv"
	"honnin/db"
)

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// openDB is a fresh migrated SQLite database; two opens of the same directory are two nodes.
func openDB(t *testing.T, dir string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open("", dir, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	return gdb
}

func TestStoreStartsWithTheDefaults(t *testing.T) {
	s, err := NewStore(context.Background(), openDB(t, t.TempDir()), discardLog)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.InForce(); got.Version != 0 || got.Rules.ChallengeFrom != DefaultRules().ChallengeFrom {
		t.Fatalf("in force %+v, want the defaults as version 0", got)
	}
}

func TestStoreSaveReloadAndChain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	nodeA, err := NewStore(ctx, openDB(t, dir), discardLog)
	if err != nil {
		t.Fatal(err)
	}
	nodeB, err := NewStore(ctx, openDB(t, dir), discardLog)
	if err != nil {
		t.Fatal(err)
	}
	r := DefaultRules()
	r.ChallengeFrom = 55
	var audited []uint
	saved, err := nodeA.Save(ctx, r, 0, "tighten", 7, func(tx *gorm.DB, s db.RiskRuleSet) error {
		audited = append(audited, s.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(audited) != 1 || audited[0] != saved.ID || *saved.StaffID != 7 || saved.Reason != "tighten" {
		t.Fatalf("saved %+v, audit hook saw %v", saved, audited)
	}
	if got := nodeA.InForce(); got.Version != saved.ID || got.Rules.ChallengeFrom != 55 {
		t.Fatalf("the saving node runs %+v, want version %d at once", got, saved.ID)
	}
	if nodeB.Current().ChallengeFrom != DefaultRules().ChallengeFrom {
		t.Fatal("the other node changed before it reloaded")
	}
	if err := nodeB.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if nodeB.Current().ChallengeFrom != 55 {
		t.Fatal("the other node did not pick up the saved rules")
	}

	// An edit started from version 0 would undo version 1: refused, nothing written, nothing in force.
	stale := DefaultRules()
	stale.DenyFrom = 200
	if _, err := nodeB.Save(ctx, stale, 0, "stale", 8, nil); !errors.Is(err, ErrRulesChanged) {
		t.Fatalf("stale save: %v, want ErrRulesChanged", err)
	}
	if h, _ := History(ctx, nodeB.db, 10); len(h) != 1 {
		t.Fatalf("history has %d sets after a refused save, want 1", len(h))
	}

	// A failing audit hook leaves no rule set behind.
	if _, err := nodeA.Save(ctx, stale, saved.ID, "x", 7, func(*gorm.DB, db.RiskRuleSet) error { return errors.New("audit down") }); err == nil {
		t.Fatal("save succeeded although its audit failed")
	}
	if nodeA.Current().DenyFrom == 200 {
		t.Fatal("rules whose audit failed are in force")
	}

	// Invalid rules are never stored.
	bad := DefaultRules()
	bad.DenyFrom = bad.ChallengeFrom
	if _, err := nodeA.Save(ctx, bad, saved.ID, "x", 7, nil); err == nil {
		t.Fatal("invalid rules saved")
	}
}

// Two administrators saving from the same version at the same time: exactly one wins.
func TestStoreConcurrentSavesFromOneVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var stores []*Store
	for range 4 {
		s, err := NewStore(ctx, openDB(t, dir), discardLog)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() {
			r := DefaultRules()
			r.VelocityHour = 10 + i
			_, errs[i] = s.Save(ctx, r, 0, "race", 1, nil)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrRulesChanged):
			t.Fatalf("save: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d saves from one version succeeded, want exactly 1", won)
	}
}

func TestStoreKeepsItsRulesWhenTheStoredSetIsUnusable(t *testing.T) {
	ctx := context.Background()
	gdb := openDB(t, t.TempDir())
	s, err := NewStore(ctx, gdb, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	if err := gdb.Create(&db.RiskRuleSet{Rules: `{"challengeFrom": 0}`, Reason: "by hand"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.InForce(); got.Version != 0 || got.Rules.ChallengeFrom != DefaultRules().ChallengeFrom {
		t.Fatalf("in force %+v after an unusable row, want the defaults kept", got)
	}
}

func TestParseRulesFillsWeightsOfNewSignals(t *testing.T) {
	r := DefaultRules()
	delete(r.Weights, SignalTrustedMerchant)
	r.Weights[SignalNewDevice] = 5
	body, _ := json.Marshal(r)
	got, err := ParseRules(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if got.Weights[SignalTrustedMerchant] != DefaultRules().Weights[SignalTrustedMerchant] || got.Weights[SignalNewDevice] != 5 {
		t.Fatalf("weights %v: want the missing signal's default and the stored weight kept", got.Weights)
	}
	if _, err := ParseRules("not json"); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestWhatIfReplaysTheLastDays(t *testing.T) {
	ctx := context.Background()
	gdb := openDB(t, t.TempDir())
	now := db.Now()
	small := Facts{MessageVersion: "2.2.0", MessageCategory: "01", AmountMinor: 1000, Currency: CurrencyJPY,
		MethodData: true, DeviceKnown: true, MerchantKnown: true, AReqsHour: 1, AReqsDay: 1}
	large := small
	large.AmountMinor = 50000
	newDevice := small
	newDevice.DeviceKnown = false
	insert := func(id string, f any, at time.Time) {
		t.Helper()
		body, _ := json.Marshal(f)
		ch := db.Challenge{ACSTransID: id, ThreeDSServerTransID: id, DSTransID: id, MessageVersion: "2.2.0", MessageCategory: "01",
			State: db.ChallengeAnswered, TransStatus: "Y", Deadline: at, RiskFacts: string(body)}
		if err := gdb.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Model(&ch).UpdateColumn("created_at", at).Error; err != nil {
			t.Fatal(err)
		}
	}
	insert("a", small, now.Add(-time.Hour))
	insert("b", large, now.Add(-2*24*time.Hour))
	insert("c", newDevice, now.Add(-6*24*time.Hour))
	insert("old", large, now.Add(-8*24*time.Hour)) // before the window
	insert("bad", "not facts", now.Add(-time.Hour))
	// An AReq the decision table ended before risk (no facts) is not replayed.
	if err := gdb.Create(&db.Challenge{ACSTransID: "n", ThreeDSServerTransID: "n", DSTransID: "n", MessageVersion: "2.2.0",
		MessageCategory: "01", State: db.ChallengeAnswered, TransStatus: "N", Deadline: now}).Error; err != nil {
		t.Fatal(err)
	}

	draft := DefaultRules()
	draft.Weights[SignalNewDevice] = 10 // a new device alone no longer challenges
	draft.AmountThreshold[CurrencyJPY] = 100000
	res, err := WhatIf(ctx, gdb, DefaultRules(), draft, now.Add(-WhatIfDays*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := WhatIfResult{Since: res.Since, Total: 3, InForce: Counts{Y: 1, C: 2}, Draft: Counts{Y: 3}, Changed: 2, Unreadable: 1}
	if res != want {
		t.Fatalf("what-if %+v, want %+v", res, want)
	}
	if d := Decide(large, DefaultRules()); d.Status != emv.StatusC {
		t.Fatalf("fixture: a large amount should challenge under the defaults, got %s", d.Status)
	}
}

func TestDiff(t *testing.T) {
	a := DefaultRules()
	b := DefaultRules()
	b.ChallengeFrom = 50
	b.Weights[SignalNewDevice] = 30
	b.AmountThreshold["156"] = 1000
	delete(b.SmallAmount, "840")
	got := Diff(a, b)
	want := []Change{{"challengeFrom", "40", "50"}, {"amountThreshold.156", "", "1000"}, {"smallAmount.840", "500", ""},
		{"weights.new_device", "40", "30"}}
	if len(got) != len(want) {
		t.Fatalf("diff %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("diff %v, want %v", got, want)
		}
	}
	if s := got[1].String(); s != "amountThreshold.156 —→1000" {
		t.Fatalf("change reads %q", s)
	}
	if len(Diff(a, DefaultRules())) != 0 {
		t.Fatal("equal rules differ")
	}
}
