package tests

import (
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestFaultsDirectoryServerDown: the Directory Server is down while challenges end: the RReqs wait in
// the outbox and are tried again with a growing back-off. Honnin is then restarted while a delivery
// hangs on a Directory Server that stopped answering; the new process delivers every RReq once when
// the Directory Server is back, results it wrote itself included.
func TestFaultsDirectoryServerDown(t *testing.T) {
	const retryMin, retryMax = 50 * time.Millisecond, 400 * time.Millisecond
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ds := newFakeDS(t)
		proxy := testkit.NewTCPProxy(t, strings.TrimPrefix(ds.URL, "http://"))
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{
			"HONNIN_DS_RESULTS_URL": "http://" + proxy.Addr, "HONNIN_CREQ_TIMEOUT": "1s",
			"HONNIN_RREQ_RETRY_MIN": retryMin.String(), "HONNIN_RREQ_RETRY_MAX": retryMax.String()}})

		proxy.Cut()
		aresY, p := challengeFor(t, app, mandatedAReq(demodata.YamadaJCB))
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), aresY, "Y")
		aresN, p := challengeFor(t, app, mandatedAReq(demodata.YamadaVisa))
		checkCRes(t, answer(t, app.URL, p, "", "", "cancel"), aresN, "N")
		aresIdle := postAReq(t, app.URL, mandatedAReq(demodata.YamadaJCB)) // nobody opens it: it expires

		// The RReqs are tried again and again, each wait longer than the one before, up to the maximum.
		var rows []db.OutboxMessage
		eventually(t, "three RReqs tried at least 5 times each", func() bool {
			rows = nil
			if app.DB.Order("id").Find(&rows).Error != nil || len(rows) != 3 {
				return false
			}
			for _, r := range rows {
				if r.Attempts < 5 {
					return false
				}
			}
			return true
		})
		for _, r := range rows {
			if r.DeliveredAt != nil || r.LastError == "" {
				t.Errorf("RReq %s while the Directory Server is down: delivered %v, last error %q", r.ACSTransID, r.DeliveredAt, r.LastError)
			}
			if r.NextAttemptAt.After(time.Now().Add(time.Minute)) {
				continue // claimed by a delivery right now
			}
			want := min(retryMin<<(r.Attempts-1), retryMax)
			if gap := r.NextAttemptAt.Sub(r.UpdatedAt); gap < want-5*time.Millisecond || gap > want+100*time.Millisecond {
				t.Errorf("RReq %s after %d failed attempts waits %v, want the back-off %v", r.ACSTransID, r.Attempts, gap, want)
			}
		}
		ds.mu.Lock()
		got := len(ds.got)
		ds.mu.Unlock()
		if got != 0 {
			t.Fatalf("the Directory Server received %d RReqs while down", got)
		}

		// The Directory Server stops answering (no error either); a delivery hangs on it; Honnin restarts.
		before := proxy.Accepted()
		proxy.Stall()
		eventually(t, "a delivery waiting on the silent Directory Server", func() bool { return proxy.Accepted() > before })
		app.Stop()
		app2 := app.Join(t, nil)
		aresY2, p := challengeFor(t, app2, mandatedAReq(demodata.YamadaVisa))
		checkCRes(t, answer(t, app2.URL, p, "yamada01", "fuji-san-2026", "submit"), aresY2, "Y")

		proxy.Restore()
		checkRReq(t, ds.waitRReqs(t, str(aresY, "acsTransID"), 1)[0], aresY, "Y", "", "")
		checkRReq(t, ds.waitRReqs(t, str(aresN, "acsTransID"), 1)[0], aresN, "N", "01", "01")
		checkRReq(t, ds.waitRReqs(t, str(aresIdle, "acsTransID"), 1)[0], aresIdle, "N", "14", "05")
		checkRReq(t, ds.waitRReqs(t, str(aresY2, "acsTransID"), 1)[0], aresY2, "Y", "", "")
		checkEveryResultOnce(t, app2, ds)
	})
}
