package tests

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/server"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestACSRReqRetry: the Directory Server answers 500 first; the RReq is sent again (same message) and
// completed by the RRes.
func TestACSRReqRetry(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		ds.mu.Lock()
		ds.fails = 1
		ds.mu.Unlock()
		ares, p := challengeFor(t, app, areqFor(demodata.YamadaJCB))
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), ares, "Y")
		got := ds.waitRReqs(t, str(ares, "acsTransID"), 2)
		checkRReq(t, got[1], ares, "Y", "", "")
		if str(got[0], "authenticationValue") != str(got[1], "authenticationValue") {
			t.Errorf("the retry sent another result")
		}
		var m db.OutboxMessage
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&m)
			if m.DeliveredAt != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if m.DeliveredAt == nil || m.Attempts != 2 || m.LastError != "" {
			t.Errorf("outbox row after the retry: delivered %v, attempts %d, last error %q", m.DeliveredAt, m.Attempts, m.LastError)
		}
	})
}

// TestACSOutboxSurvivesRestartAndSharesNodes: results written while no deliverer ran (a node that
// stopped) are delivered by the next nodes; two nodes sweeping and delivering at once end each expired
// challenge once and send each RReq once.
func TestACSOutboxSurvivesRestartAndSharesNodes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ds := newFakeDS(t)
		app := testkit.Start(t, b, testkit.Options{NoWorkers: true,
			Env: map[string]string{"HONNIN_DS_RESULTS_URL": ds.URL, "HONNIN_CREQ_TIMEOUT": "1s"}})

		// A cancelled challenge: its RReq waits in the outbox, as no deliverer runs.
		ares, p := challengeFor(t, app, areqFor(demodata.YamadaVisa))
		checkCRes(t, answer(t, app.URL, p, "", "", "cancel"), ares, "N")
		// Challenges nobody opens: they expire while no sweeper runs.
		var idle []map[string]any
		for range 6 {
			idle = append(idle, postAReq(t, app.URL, areqFor(demodata.YamadaJCB)))
		}
		time.Sleep(1100 * time.Millisecond) // let the CReq timeout pass
		if len(ds.received(str(ares, "acsTransID"))) != 0 {
			t.Fatalf("delivered without a deliverer")
		}

		// Two new nodes on the same database start their workers at once.
		ctx, cancel := context.WithCancel(context.Background())
		var waits []func()
		for range 2 {
			node, err := server.New(app.Server.Config, app.DB, slog.New(slog.NewTextHandler(io.Discard, nil)),
				app.Server.Keys, app.Server.Sealer, app.Server.Hasher)
			if err != nil {
				t.Fatal(err)
			}
			waits = append(waits, node.StartWorkers(ctx))
		}
		defer func() {
			cancel()
			for _, w := range waits {
				w()
			}
		}()

		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "01", "01")
		for _, a := range idle {
			checkRReq(t, ds.waitRReqs(t, str(a, "acsTransID"), 1)[0], a, "N", "14", "05")
		}
		// Wait until every row is marked delivered, then check nothing happened twice.
		deadline := time.Now().Add(10 * time.Second)
		var pending int64
		for time.Now().Before(deadline) {
			app.DB.Model(&db.OutboxMessage{}).Where("delivered_at IS NULL").Count(&pending)
			if pending == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if pending != 0 {
			t.Fatalf("%d RReqs still pending", pending)
		}
		var rows []db.OutboxMessage
		app.DB.Find(&rows)
		if len(rows) != 7 {
			t.Errorf("%d outbox rows, want 7", len(rows))
		}
		for _, r := range rows {
			if r.Attempts != 1 {
				t.Errorf("RReq %s was claimed %d times", r.ACSTransID, r.Attempts)
			}
			if n := len(ds.received(r.ACSTransID)); n != 1 {
				t.Errorf("RReq %s received %d times", r.ACSTransID, n)
			}
			if n := len(events(t, app, r.ACSTransID, db.EventChallengeResult)); n != 1 {
				t.Errorf("challenge %s ended %d times", r.ACSTransID, n)
			}
		}
	})
}

// TestACSRReqRouting: the RReq goes to the configured URL of the card's brand, or to the AReq's dsURL
// when that is one of the configured URLs; any other dsURL is ignored.
func TestACSRReqRouting(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		general, visa := newFakeDS(t), newFakeDS(t)
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{
			"HONNIN_DS_RESULTS_URL": general.URL, "HONNIN_DS_RESULTS_URL_VISA": visa.URL}})
		cancelWith := func(areq map[string]any) string {
			t.Helper()
			ares, p := challengeFor(t, app, areq)
			checkCRes(t, answer(t, app.URL, p, "", "", "cancel"), ares, "N")
			return str(ares, "acsTransID")
		}
		jcb := cancelWith(areqFor(demodata.YamadaJCB))
		visaCard := cancelWith(areqFor(demodata.YamadaVisa))
		withKnown := areqFor(demodata.YamadaJCB)
		withKnown["dsURL"] = visa.URL
		known := cancelWith(withKnown)
		withUnknown := areqFor(demodata.YamadaVisa)
		withUnknown["dsURL"] = "https://attacker.example/results"
		unknown := cancelWith(withUnknown)

		general.waitRReqs(t, jcb, 1)
		visa.waitRReqs(t, visaCard, 1)
		visa.waitRReqs(t, known, 1)
		visa.waitRReqs(t, unknown, 1)
		if len(visa.received(jcb)) != 0 || len(general.received(visaCard)) != 0 || len(general.received(known)) != 0 {
			t.Errorf("an RReq went to the wrong Directory Server")
		}
	})
}

// TestACSOutboxWaitsForAURL: a result written while no Directory Server URL is configured is kept and
// delivered once a restart brings the URL.
func TestACSOutboxWaitsForAURL(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		// Without demo mode no results URL has a default; the demo cards are seeded by hand.
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_DEMO": "false"}})
		if err := demodata.Seed(context.Background(), app.DB, app.Server.Sealer, app.Server.Hasher, "legacy"); err != nil {
			t.Fatal(err)
		}
		ares, p := challengeFor(t, app, areqFor(demodata.YamadaJCB))
		checkCRes(t, answer(t, app.URL, p, "", "", "cancel"), ares, "N")
		var m db.OutboxMessage
		if err := app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&m).Error; err != nil || m.URL != "" {
			t.Fatalf("outbox row: %+v %v", m, err)
		}

		ds := newFakeDS(t)
		cfg := app.Server.Config
		cfg.DSResultsURL = ds.URL
		node, err := server.New(cfg, app.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Server.Keys, app.Server.Sealer, app.Server.Hasher)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		wait := node.StartWorkers(ctx)
		defer func() { cancel(); wait() }()
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "01", "01")
	})
}
