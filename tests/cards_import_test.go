package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
	"honnin/tests/testkit"
)

// heapPeak samples the heap of this process (where the import runs) until stop is called, and
// returns the highest value seen. Sampling is often enough to catch a heap that holds the file.
func heapPeak() (stop func() uint64) {
	sample := []runtimemetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			runtimemetrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// TestCardImportStreamsInBoundedMemory: a generated file of 200,000 rows is imported while the heap
// of the process stays within 64 MiB of where it started (holding the rows, as the importer once did,
// took about 1.5 KiB each: some 300 MiB here).
func TestCardImportStreamsInBoundedMemory(t *testing.T) {
	const rows = 200_000
	const bound = 64 << 20
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{NoWorkers: true})
		// Collect often while measuring, so the peak is what the import holds, not garbage the
		// collector's pacing (proportional to the heap the rest of the test process keeps) lets pile up.
		defer debug.SetGCPercent(debug.SetGCPercent(10))
		runtime.GC()
		stop := heapPeak()
		start := heapNow()
		sum, err := cards.Import(context.Background(), app.DB, app.Server.Sealer, demodata.CardFile(rows, "LOAD TEST"), cards.ImportOptions{})
		peak := stop()
		if err != nil {
			t.Fatal(err)
		}
		if want := (cards.Summary{Rows: rows, Added: rows, Absent: int64(len(demodata.Cards))}); sum != want {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
		var stored int64
		app.DB.Model(&db.Card{}).Where("holder_name = ?", "LOAD TEST").Count(&stored)
		if stored != rows {
			t.Errorf("%d cards stored, want %d", stored, rows)
		}
		t.Logf("heap %d MiB before, peak %d MiB", start>>20, peak>>20)
		if peak > start+bound {
			t.Errorf("heap peaked at %d MiB, %d MiB above the start: more than %d MiB for %d rows", peak>>20, (peak-start)>>20, bound>>20, rows)
		}
	})
}

func heapNow() uint64 {
	sample := []runtimemetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtimemetrics.Read(sample)
	return sample[0].Value.Uint64()
}

// TestCardImportBadLastRowWritesNothing: a bad row, or a repeated card, at the very end of a long file
// rejects the whole file, names the line and field, and no card is added or changed.
func TestCardImportBadLastRowWritesNothing(t *testing.T) {
	const rows = 30_000
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{NoWorkers: true})
		ctx := context.Background()
		var before int64
		app.DB.Model(&db.Card{}).Count(&before)
		yamadaChanged := demodata.YamadaJCB + ",2912,1980-04-01,0541234567,YAMADA TARO,lost\n"
		for _, tt := range []struct {
			name, last, field, reason string
		}{
			{"bad status", demodata.GeneratedPAN(rows) + ",3012,1990-01-01,0540000000,LAST,frozen\n", "status", "must be active"},
			{"repeated card", demodata.GeneratedPAN(0) + ",3012,1990-01-01,0540000000,LAST,active\n", "pan", "repeats the card on line 2"},
		} {
			file := io.MultiReader(demodata.CardFile(rows, "NEVER STORED"), strings.NewReader(yamadaChanged+tt.last))
			_, err := cards.Import(ctx, app.DB, app.Server.Sealer, file, cards.ImportOptions{Absent: cards.CloseAbsent})
			var lineErr *cards.LineError
			if !errors.As(err, &lineErr) || lineErr.Line != rows+3 || lineErr.Field != tt.field || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("%s: err = %v, want line %d, field %s", tt.name, err, rows+3, tt.field)
			}
			if strings.Contains(err.Error(), demodata.GeneratedPAN(0)) {
				t.Errorf("%s: the error shows a card number: %v", tt.name, err)
			}
		}
		var after, stored int64
		app.DB.Model(&db.Card{}).Count(&after)
		app.DB.Model(&db.Card{}).Where("holder_name = ?", "NEVER STORED").Count(&stored)
		var yamada, stolen db.Card
		app.DB.Where("pan_hash = ?", app.Server.Sealer.PANHash(demodata.YamadaJCB)).Take(&yamada)
		app.DB.Where("pan_hash = ?", app.Server.Sealer.PANHash(demodata.StolenJCB)).Take(&stolen)
		if after != before || stored != 0 || yamada.Status != db.CardActive || stolen.Status != db.CardStolen {
			t.Errorf("rejected files changed the cards: %d → %d cards (%d from the file), yamada %s, absent card %s",
				before, after, stored, yamada.Status, stolen.Status)
		}
	})
}

// TestCardImportWhileAReqsAreAnswered: while a card file is imported, AReqs keep being answered with
// an ARes, none with an Erro (the ACS's database deadline would give 403), also while the file is
// merged in its transaction. The daily file (every card known, a thousand new) is tested on both
// databases; the first load of every card only on PostgreSQL, because on SQLite the merge holds the
// single write lock while it writes every card (README, "The card file").
func TestCardImportWhileAReqsAreAnswered(t *testing.T) {
	const rows = 40_000
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{NoWorkers: true, Env: map[string]string{
			"HONNIN_AREQ_LIMIT_PER_CARD": "1000000", "HONNIN_AREQ_LIMIT_PER_DS": "1000000"}})
		ctx := context.Background()
		first := func(opts cards.ImportOptions) (cards.Summary, error) {
			return cards.Import(ctx, app.DB, app.Server.Sealer, demodata.CardFile(rows, "DAILY"), opts)
		}
		if b == testkit.SQLite {
			if _, err := first(cards.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
		} else {
			sum := answerAReqsDuring(t, app.URL, cards.PhaseMerging, first)
			if sum.Added != rows {
				t.Fatalf("first import: %+v", sum)
			}
		}
		var more strings.Builder
		for i := rows; i < rows+1000; i++ {
			more.WriteString(demodata.GeneratedPAN(i) + ",3012,1990-01-01,0540000000,DAILY,active\n")
		}
		sum := answerAReqsDuring(t, app.URL, cards.PhaseMerging, func(opts cards.ImportOptions) (cards.Summary, error) {
			return cards.Import(ctx, app.DB, app.Server.Sealer, io.MultiReader(demodata.CardFile(rows, "DAILY"), strings.NewReader(more.String())), opts)
		})
		if sum.Added != 1000 || sum.Unchanged != rows {
			t.Errorf("daily import: %+v", sum)
		}
	})
}

// TestCardFirstLoadWhileAReqsAreAnswered: the first load of an empty cards table on PostgreSQL, whose
// new table is swapped in, answers every AReq sent meanwhile with an ARes, also while it swaps; after
// it, the loaded cards are found.
func TestCardFirstLoadWhileAReqsAreAnswered(t *testing.T) {
	const rows = 40_000
	app := testkit.Start(t, testkit.Postgres, testkit.Options{NoWorkers: true, Env: map[string]string{
		"HONNIN_AREQ_LIMIT_PER_CARD": "1000000", "HONNIN_AREQ_LIMIT_PER_DS": "1000000"}})
	if err := app.DB.Exec("DELETE FROM cards").Error; err != nil {
		t.Fatal(err)
	}
	var file strings.Builder
	file.WriteString("pan,expiry,birth_date,phone,holder_name,status\n")
	for _, c := range demodata.Cards {
		file.WriteString(c.PAN.Digits() + ",3012,1990-01-01,0540000000,FIRST LOAD,active\n")
	}
	generated, _ := io.ReadAll(demodata.CardFile(rows, "FIRST LOAD"))
	file.Write(generated[bytes.IndexByte(generated, '\n')+1:])
	sum := answerAReqsDuring(t, app.URL, cards.PhaseSwapping, func(opts cards.ImportOptions) (cards.Summary, error) {
		return cards.Import(context.Background(), app.DB, app.Server.Sealer, strings.NewReader(file.String()), opts)
	})
	if want := int64(rows + len(demodata.Cards)); sum.Added != want {
		t.Fatalf("first load: %+v, want %d added", sum, want)
	}
	ares, err := sendAReq(app.URL, areqFor(demodata.Cards[0].PAN.Digits()))
	if err != nil || str(ares, "messageType") != "ARes" || str(ares, "transStatusReason") == string(emv.ReasonNoCardRecord) {
		t.Errorf("a loaded card after the swap: %v %v", ares, err)
	}
}

// answerAReqsDuring sends AReqs for the demo cards from two goroutines while run imports, and fails
// the test for every answer that is not an ARes, or when no AReq overlapped the phase hold (the merge,
// or a first load's swap).
func answerAReqsDuring(t *testing.T, base string, hold cards.Phase, run func(cards.ImportOptions) (cards.Summary, error)) cards.Summary {
	t.Helper()
	var merging atomic.Bool
	var sentInMerge atomic.Int64
	var phase atomic.Value
	phase.Store(cards.PhaseReading)
	importDone := make(chan struct{})
	var (
		mu          sync.Mutex
		answers     int
		duringMerge int
		bad         []string
	)
	var senders sync.WaitGroup
	for w := range 2 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := 0; ; i++ {
				select {
				case <-importDone:
					return
				default:
				}
				inMerge := merging.Load()
				if inMerge {
					sentInMerge.Add(1)
				}
				ares, err := sendAReq(base, areqFor(demodata.Cards[(w+2*i)%len(demodata.Cards)].PAN.Digits()))
				mu.Lock()
				answers++
				if inMerge {
					duringMerge++
				}
				if err != nil {
					bad = append(bad, err.Error())
				} else if str(ares, "messageType") != "ARes" {
					bad = append(bad, fmt.Sprintf("while %s (sent while merging: %v): %s %s: %s", phase.Load(), inMerge,
						str(ares, "messageType"), str(ares, "errorCode"), str(ares, "errorDescription")))
				}
				mu.Unlock()
			}
		}()
	}
	sum, err := run(cards.ImportOptions{Progress: func(p cards.Progress) {
		merging.Store(p.Phase == hold)
		phase.Store(p.Phase)
		if p.Phase == hold {
			// A short merge must still meet an AReq: hold it until one has been sent (2 s at most).
			for deadline := time.Now().Add(2 * time.Second); sentInMerge.Load() == 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
		}
	}})
	close(importDone)
	senders.Wait()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	t.Logf("%d AReqs answered during the import, %d of them sent while it merged", answers, duringMerge)
	if duringMerge == 0 {
		t.Error("no AReq was sent while the import merged: the test proved nothing")
	}
	for _, s := range bad {
		t.Error(s)
	}
	return sum
}

// sendAReq posts an AReq from a goroutine other than the test's and returns the decoded answer.
func sendAReq(base string, areq map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(areq)
	resp, err := testkit.HTTPClient().Post(base+"/3ds/areq", "application/json; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, errors.New("answer HTTP " + http.StatusText(resp.StatusCode) + " is not JSON")
	}
	return out, nil
}

// TestCardImportLostConnectionChangesNothing: when the database connection is lost while the file is
// staged or just as the merge begins, the import says that nothing was imported and the cards are as
// they were (PostgreSQL: the connection goes through a proxy the test cuts).
func TestCardImportLostConnectionChangesNothing(t *testing.T) {
	app := testkit.Start(t, testkit.Postgres, testkit.Options{NoWorkers: true})
	for _, cutAt := range []cards.Phase{cards.PhaseReading, cards.PhaseMerging} {
		t.Run(string(cutAt), func(t *testing.T) {
			importCutOff(t, app, cutAt)
		})
	}
}

// TestCardFirstLoadLostConnectionChangesNothing: the same for the first load of an empty cards table,
// cut while its new table loads, while its indexes are built, and just before the swap; the next first
// load replaces the table the lost one left.
func TestCardFirstLoadLostConnectionChangesNothing(t *testing.T) {
	app := testkit.Start(t, testkit.Postgres, testkit.Options{NoWorkers: true})
	if err := app.DB.Exec("DELETE FROM cards").Error; err != nil {
		t.Fatal(err)
	}
	for _, cutAt := range []cards.Phase{cards.PhaseReading, cards.PhaseIndexing, cards.PhaseSwapping} {
		t.Run(string(cutAt), func(t *testing.T) {
			importCutOff(t, app, cutAt)
			var n int64
			if app.DB.Model(&db.Card{}).Count(&n); n != 0 {
				t.Errorf("%d cards after a lost first load", n)
			}
		})
	}
	sum, err := cards.Import(context.Background(), app.DB, app.Server.Sealer, demodata.CardFile(1000, "AFTER"), cards.ImportOptions{})
	if err != nil || sum.Added != 1000 {
		t.Errorf("first load after the lost ones: %+v %v", sum, err)
	}
}

// importCutOff imports a file through a proxy that is cut when the import reaches the phase cutAt,
// and checks that the import says nothing was imported and left none of its cards.
func importCutOff(t *testing.T, app *testkit.App, cutAt cards.Phase) {
	t.Helper()
	const rows = 20_000
	proxy, viaProxy := testkit.ProxyDatabase(t, app.Env["HONNIN_DATABASE_URL"])
	gdb, err := db.Open(viaProxy, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	var cut atomic.Bool
	_, err = cards.Import(context.Background(), gdb, app.Server.Sealer, demodata.CardFile(rows, "CUT OFF"), cards.ImportOptions{
		Absent: cards.CloseAbsent,
		Progress: func(p cards.Progress) {
			if p.Phase == cutAt && p.Rows >= 5000 && !cut.Swap(true) {
				proxy.Cut()
			}
		}})
	var notImported *cards.NotImportedError
	if !cut.Load() || !errors.As(err, &notImported) || !strings.Contains(err.Error(), "nothing was imported and the previous card data is intact") {
		t.Fatalf("cut %v, err = %v, want a stop that says the card data is intact", cut.Load(), err)
	}
	var stored, closed int64
	app.DB.Model(&db.Card{}).Where("holder_name = ?", "CUT OFF").Count(&stored)
	app.DB.Model(&db.Card{}).Where("status = ?", db.CardClosed).Count(&closed)
	if stored != 0 || closed != 0 {
		t.Errorf("a lost import left %d of its cards and closed %d", stored, closed)
	}
}
