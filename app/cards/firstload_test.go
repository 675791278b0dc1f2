package cards_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// generatedFile is a card file of the generated cards from to to (exclusive), each with its own data.
func generatedFile(from, to int) string {
	var b strings.Builder
	b.WriteString(header)
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s,%d,19%02d-01-%02d,054%07d,HOLDER %d,%s\n", demodata.GeneratedPAN(i), 3001+i%12, i%100, 1+i%28, i, i,
			[]string{"active", "lost", "stolen", "closed"}[i%4])
	}
	return b.String()
}

// cardsOID is the cards table's identity: a first load on PostgreSQL puts a new table in its place.
func cardsOID(t *testing.T, gdb *gorm.DB) uint32 {
	t.Helper()
	var oid uint32
	if err := gdb.Raw("SELECT 'cards'::regclass::oid").Scan(&oid).Error; err != nil {
		t.Fatal(err)
	}
	return oid
}

// loadTableLeft says whether a first load left its new table behind.
func loadTableLeft(t *testing.T, gdb *gorm.DB) bool {
	t.Helper()
	var left bool
	if err := gdb.Raw("SELECT to_regclass('cards_load') IS NOT NULL").Scan(&left).Error; err != nil {
		t.Fatal(err)
	}
	return left
}

// schemaOfCards is the cards table's indexes, constraints and ID default, as text to compare.
func schemaOfCards(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var out []string
	if err := gdb.Raw(`SELECT indexdef FROM pg_indexes WHERE tablename = 'cards'
		UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE conrelid = 'cards'::regclass
		UNION ALL SELECT column_name || ' ' || coalesce(column_default, '') || ' ' || is_nullable || ' ' || data_type FROM information_schema.columns WHERE table_name = 'cards'
		UNION ALL SELECT 'sequence ' || coalesce(pg_get_serial_sequence('cards', 'id'), 'none')
		UNION ALL SELECT 'options ' || coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE oid = 'cards'::regclass
		ORDER BY 1`).Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// cardRow is what an import decides about a card, sealed number opened.
type cardRow struct {
	PAN                                   string
	Expiry, BirthDateHash, PhoneHash      string
	HolderName, HolderNameKey, Status     string
	BIN, Last4, Brand, ThreeDS, RowDigest string
	PANLength, KeyVersion                 int
	HashKeyVersion, HolderHashKeyVersion  int
	ChallengeFailures                     int
	Member                                bool
}

func cardRows(t *testing.T, gdb *gorm.DB, open func(db.Card) string) map[string]cardRow {
	t.Helper()
	var stored []db.Card
	if err := gdb.Find(&stored).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]cardRow{}
	for _, c := range stored {
		if c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
			t.Errorf("card %d has no times: %v %v", c.ID, c.CreatedAt, c.UpdatedAt)
		}
		out[c.PANHash] = cardRow{open(c), c.Expiry, c.BirthDateHash, c.PhoneHash, c.HolderName, c.HolderNameKey, c.Status,
			c.BIN, c.Last4, c.Brand, string(c.ThreeDS), c.RowDigest, c.PANLength, c.KeyVersion, c.HashKeyVersion,
			c.HolderHashKeyVersion, c.ChallengeFailures, c.MemberID != nil}
	}
	return out
}

// TestFirstLoadGivesWhatAMergeGives: a file imported into an empty cards table (on PostgreSQL a new
// table swapped in) gives the cards a merge of the same file gives, in a table with the same indexes,
// constraints and ID sequence; the same file again finds every card unchanged, and cards added
// afterwards get new IDs.
func TestFirstLoadGivesWhatAMergeGives(t *testing.T) {
	const n = 3000
	file := generatedFile(0, n)
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		open := func(c db.Card) string {
			p, err := sealer.OpenPAN(c.PANSealed, c.KeyVersion)
			if err != nil {
				t.Fatal(err)
			}
			return p.Digits()
		}
		first, merged := testkit.OpenDB(t, b), testkit.OpenDB(t, b)
		var oid uint32
		var migrated []string
		if b == testkit.Postgres {
			oid, migrated = cardsOID(t, first), schemaOfCards(t, first)
		}
		if sum, err := importString(first, sealer, file, cards.ImportOptions{}); err != nil || sum != (cards.Summary{Rows: n, Added: n}) {
			t.Fatalf("first load: %+v %v", sum, err)
		}
		// The other database holds one card, so the same file is merged into it.
		if _, err := importString(merged, sealer, header+demodata.YamadaJCB+",2912,1980-04-01,0541234567,YAMADA TARO,active\n", cards.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if sum, err := importString(merged, sealer, file, cards.ImportOptions{}); err != nil || sum != (cards.Summary{Rows: n, Added: n, Absent: 1}) {
			t.Fatalf("merge: %+v %v", sum, err)
		}
		loaded, want := cardRows(t, first, open), cardRows(t, merged, open)
		delete(want, sealer.PANHash(demodata.YamadaJCB))
		if len(loaded) != n || len(want) != n {
			t.Fatalf("%d cards loaded, %d merged, want %d", len(loaded), len(want), n)
		}
		for hash, w := range want {
			if got := loaded[hash]; got != w {
				t.Fatalf("first load gave %+v, a merge %+v", got, w)
			}
		}
		if b == testkit.Postgres {
			if cardsOID(t, first) == oid {
				t.Error("the first load did not swap a new table in")
			}
			if loadTableLeft(t, first) {
				t.Error("the first load left cards_load")
			}
			if got := schemaOfCards(t, first); strings.Join(got, "\n") != strings.Join(migrated, "\n") {
				t.Errorf("cards after the first load:\n%s\nwant, as migrated:\n%s", strings.Join(got, "\n"), strings.Join(migrated, "\n"))
			}
		}
		if sum, err := importString(first, sealer, file, cards.ImportOptions{}); err != nil || sum != (cards.Summary{Rows: n, Unchanged: n}) {
			t.Errorf("the same file again: %+v %v", sum, err)
		}
		var maxID uint
		first.Model(&db.Card{}).Select("max(id)").Scan(&maxID)
		if added, err := cards.Upsert(context.Background(), first, sealer, []cards.Record{{PAN: demodata.YamadaJCB, Expiry: "2912",
			BirthDate: "1980-04-01", Phone: "0541234567", HolderName: "YAMADA TARO", Status: db.CardActive}}); err != nil || added != 1 {
			t.Fatalf("a card added after the first load: %d %v", added, err)
		}
		var c db.Card
		first.Where("pan_hash = ?", sealer.PANHash(demodata.YamadaJCB)).Take(&c)
		if c.ID <= maxID {
			t.Errorf("a card added after the first load got ID %d, not after the loaded %d", c.ID, maxID)
		}
	})
}

// TestInterruptedFirstLoadLeavesTheTableEmpty: a first load stopped by a bad row at the end, a
// repeated card, or an interruption while it reads or (PostgreSQL) builds the new table's indexes
// leaves the cards table empty and as it was, with nothing left behind; the next first load runs.
func TestInterruptedFirstLoadLeavesTheTableEmpty(t *testing.T) {
	const n = 20_000
	tests := []struct {
		name     string
		body     string
		cancelAt cards.Phase
		line     int // of the bad row, 0 for an interruption
	}{
		{"bad row at the end", generatedFile(0, n) + demodata.GeneratedPAN(n) + ",3013,1990-01-01,0540000000,X,active\n", "", n + 2},
		{"repeated card", generatedFile(0, n) + strings.SplitN(generatedFile(7, 8), "\n", 2)[1], "", n + 2},
		{"interrupted while reading", generatedFile(0, n), cards.PhaseReading, 0},
		{"interrupted while indexing", generatedFile(0, n), cards.PhaseIndexing, 0},
	}
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		var oid uint32
		if b == testkit.Postgres {
			oid = cardsOID(t, gdb)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if b == testkit.SQLite && tt.cancelAt == cards.PhaseIndexing {
					t.Skip("SQLite merges in batches: it builds no indexes")
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				_, err := cards.Import(ctx, gdb, sealer, strings.NewReader(tt.body), cards.ImportOptions{Progress: func(p cards.Progress) {
					if p.Phase == tt.cancelAt && p.Rows >= 5000 {
						cancel()
					}
				}})
				var le *cards.LineError
				var notImported *cards.NotImportedError
				switch {
				case tt.line != 0 && (!errors.As(err, &le) || le.Line != tt.line || le.Field != "pan" && le.Field != "expiry"):
					t.Errorf("err = %v, want line %d named", err, tt.line)
				case tt.line != 0 && tt.name == "repeated card" && !strings.Contains(err.Error(), "repeats the card on line 9"):
					t.Errorf("err = %v, want the first line of the card named", err)
				case tt.line == 0 && (!errors.As(err, &notImported) || !errors.Is(err, context.Canceled)):
					t.Errorf("err = %v, want an interruption", err)
				}
				if n := countCards(t, gdb); n != 0 {
					t.Errorf("%d cards written", n)
				}
				if b == testkit.Postgres && (cardsOID(t, gdb) != oid || loadTableLeft(t, gdb)) {
					t.Errorf("the cards table was replaced (%v) or the new table left (%v)", cardsOID(t, gdb) != oid, loadTableLeft(t, gdb))
				}
			})
		}
		if sum, err := importString(gdb, sealer, generatedFile(0, 100), cards.ImportOptions{}); err != nil || sum.Added != 100 {
			t.Errorf("a first load after the interruptions: %+v %v", sum, err)
		}
	})
}

// TestFirstLoadDropsALeftoverTable: a first load whose connection was lost leaves its new table; the
// next first load replaces it.
func TestFirstLoadDropsALeftoverTable(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.Postgres)
	if err := gdb.Exec("CREATE TABLE cards_load (junk text)").Error; err != nil {
		t.Fatal(err)
	}
	sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
	if sum, err := importString(gdb, sealer, generatedFile(0, 100), cards.ImportOptions{}); err != nil || sum.Added != 100 {
		t.Errorf("first load over a leftover table: %+v %v", sum, err)
	}
	if loadTableLeft(t, gdb) {
		t.Error("cards_load is still there")
	}
}

// TestFirstLoadSwapWaitsForReaders: the swap does not wait for its lock behind a reader for longer
// than its lock timeout, so the reads queued behind it go on; it lets them through and tries again
// until it gets the table.
func TestFirstLoadSwapWaitsForReaders(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.Postgres)
	sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
	var reader sync.WaitGroup
	sum, err := importString(gdb, sealer, generatedFile(0, 100), cards.ImportOptions{Progress: func(p cards.Progress) {
		if p.Phase != cards.PhaseSwapping {
			return
		}
		started := make(chan struct{})
		reader.Add(1)
		go func() {
			defer reader.Done()
			// A long read of the empty table: five of the swap's lock timeouts.
			_ = gdb.Transaction(func(tx *gorm.DB) error {
				tx.Exec("LOCK TABLE cards IN ACCESS SHARE MODE")
				close(started)
				time.Sleep(time.Second)
				return nil
			})
		}()
		<-started
	}})
	reader.Wait()
	if err != nil || sum.Added != 100 {
		t.Errorf("first load past a reader: %+v %v", sum, err)
	}
}

// TestFirstLoadIntoATableThatGotCards: when cards appear while the file loads (another import, the
// demo cards), the swap finds the table no longer empty and imports nothing, saying so.
func TestFirstLoadIntoATableThatGotCards(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.Postgres)
	sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
	_, err := importString(gdb, sealer, generatedFile(0, 100), cards.ImportOptions{Progress: func(p cards.Progress) {
		if p.Phase == cards.PhaseIndexing {
			if _, err := cards.Upsert(context.Background(), gdb, sealer, []cards.Record{{PAN: demodata.YamadaJCB, Expiry: "2912",
				BirthDate: "1980-04-01", Phone: "0541234567", HolderName: "YAMADA TARO", Status: db.CardActive}}); err != nil {
				t.Error(err)
			}
		}
	}})
	var notImported *cards.NotImportedError
	if !errors.As(err, &notImported) || !strings.Contains(err.Error(), "cards were added while the file was loading") {
		t.Errorf("err = %v, want the file not imported because cards appeared", err)
	}
	if n := countCards(t, gdb); n != 1 || loadTableLeft(t, gdb) {
		t.Errorf("%d cards, new table left %v; want the one added", n, loadTableLeft(t, gdb))
	}
}
