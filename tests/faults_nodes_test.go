package tests

import (
	"net/http"
	"sync"
	"testing"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestFaultsTwoNodes: two Honnin processes serve one PostgreSQL database behind a load balancer. A
// challenge started through one (AReq and CReq) is finished through the other; the same answer sent
// to both at once ends the challenge once and both browsers see the same CRes; both nodes sweep and
// deliver at the same time, yet every expired challenge ends once and the Directory Server receives
// each RReq once.
func TestFaultsTwoNodes(t *testing.T) {
	ds := newFakeDS(t)
	a := testkit.Start(t, testkit.Postgres, testkit.Options{Env: map[string]string{
		"HONNIN_DS_RESULTS_URL": ds.URL, "HONNIN_CREQ_TIMEOUT": "1s", "HONNIN_CHALLENGE_TIMEOUT": "2s",
		"HONNIN_RREQ_RETRY_MIN": "50ms", "HONNIN_RREQ_RETRY_MAX": "200ms"}})
	b := a.Join(t, nil)
	nodes := []*testkit.App{a, b}

	// Started on A, finished on B.
	ares := postAReq(t, a.URL, mandatedAReq(demodata.YamadaJCB))
	if str(ares, "transStatus") != "C" {
		t.Fatalf("no challenge: %v", ares)
	}
	p := postForm(t, a.URL+"/3ds/challenge", map[string][]string{"creq": {creqFor(ares, "05")}, "threeDSSessionData": {"sd"}})
	if p.field("token") == "" {
		t.Fatalf("no password page on A: %s", p.Text())
	}
	final := answer(t, b.URL, p, "yamada01", "fuji-san-2026", "submit")
	checkCRes(t, final, ares, "Y")
	if final.field("threeDSSessionData") != "sd" {
		t.Errorf("node B lost the session data: %q", final.field("threeDSSessionData"))
	}

	// The same answer reaches both nodes at once (a double click split by the load balancer).
	var raced []map[string]any
	for i := range 6 {
		pan := demodata.YamadaJCB
		if i%2 == 1 {
			pan = demodata.YamadaVisa
		}
		start := nodes[i%2]
		ares, p := challengeFor(t, start, mandatedAReq(pan))
		raced = append(raced, ares)
		var wg sync.WaitGroup
		pages := make([]page, 2)
		for j, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pages[j] = answer(t, n.URL, p, "yamada01", "fuji-san-2026", "submit")
			}()
		}
		wg.Wait()
		crA, crB := checkCRes(t, pages[0], ares, "Y"), checkCRes(t, pages[1], ares, "Y")
		if str(crA, "transStatus") != str(crB, "transStatus") {
			t.Errorf("the two nodes showed different results: %v / %v", crA, crB)
		}
	}

	// Challenges nobody opens, and pages nobody answers, spread over both nodes; both sweep them.
	var unopened, unanswered []map[string]any
	for i := range 8 {
		n := nodes[i%2]
		unopened = append(unopened, postAReq(t, n.URL, mandatedAReq(demodata.YamadaVisa)))
		ares, _ := challengeFor(t, n, mandatedAReq(demodata.YamadaJCB))
		unanswered = append(unanswered, ares)
	}
	for _, ares := range unopened {
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "14", "05")
	}
	for _, ares := range unanswered {
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "14", "04")
	}
	checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "")
	for _, ares := range raced {
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "")
		if n := len(events(t, a, str(ares, "acsTransID"), db.EventChallengeTry)); n != 1 {
			t.Errorf("challenge %s: %d tries recorded for one answer sent twice", str(ares, "acsTransID"), n)
		}
	}
	// Both nodes are still ready after all that.
	for _, n := range nodes {
		if st, err := getStatus(n.URL + "/readyz"); st != http.StatusOK {
			t.Errorf("readyz: %d %v", st, err)
		}
	}
	checkEveryResultOnce(t, a, ds)
}
