package tests

import (
	"net/url"
	"sync"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestACSExpiryInBatches: more challenges than the sweeper ends in one transaction (200) expire at
// about the same time, on both databases (on PostgreSQL with two nodes sweeping), while CReqs arrive
// for some of them around their deadline: each challenge ends exactly once, with one RReq that the
// Directory Server receives and one result event; the opened ones end as unanswered (04), the others
// as never opened (05).
func TestACSExpiryInBatches(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, map[string]string{"HONNIN_CREQ_TIMEOUT": "4s", "HONNIN_CHALLENGE_TIMEOUT": "2s",
			"HONNIN_AREQ_LIMIT_PER_CARD": "100000", "HONNIN_RREQ_RETRY_MIN": "50ms", "HONNIN_RREQ_RETRY_MAX": "200ms"})
		nodes := []*testkit.App{app}
		if b == testkit.Postgres {
			nodes = append(nodes, app.Join(t, nil))
		}
		allowStorms(t, nodes...)
		pans := []string{demodata.YamadaJCB, demodata.YamadaVisa, demodata.TanakaJCB}
		const total = 260
		challenges := make([]map[string]any, total)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < total; i += 8 {
					var err error
					if challenges[i], err = postAReqQuietly(nodes[i%len(nodes)].URL, mandatedAReq(pans[i%len(pans)])); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for _, ares := range challenges {
			if str(ares, "transStatus") != "C" {
				t.Fatalf("no challenge: %v", ares)
			}
		}
		// Every 13th is opened around its CReq deadline: before it (a form that then goes unanswered)
		// or after it (the sweeper or the CReq itself ends it); either way once.
		time.Sleep(3500 * time.Millisecond)
		for i := 0; i < total; i += 13 {
			wg.Go(func() {
				resp, err := testkit.HTTPClient().PostForm(nodes[i%len(nodes)].URL+"/3ds/challenge", url.Values{"creq": {creqFor(challenges[i], "05")}})
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		wg.Wait()
		eventually(t, "every challenge ended", func() bool {
			var open int64
			return app.DB.Model(&db.Challenge{}).Where("state IN ?", []string{db.ChallengeCreated, db.ChallengeShown, db.ChallengeChecking}).
				Count(&open).Error == nil && open == 0
		})
		for _, ares := range challenges {
			id := str(ares, "acsTransID")
			var ch db.Challenge
			if err := app.DB.Where("acs_trans_id = ?", id).Take(&ch).Error; err != nil {
				t.Fatal(err)
			}
			want := "05"
			if ch.ShownAt != nil {
				want = "04"
			}
			checkRReq(t, ds.waitRReqs(t, id, 1)[0], ares, "N", "14", want)
		}
		checkEveryResultOnce(t, app, ds)
	})
}
