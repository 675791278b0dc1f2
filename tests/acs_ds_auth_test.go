package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"honnin/app/demodata"
	"honnin/tests/testkit"
)

// Fingerprints of two Directory Servers' client certificates, as a TLS-terminating proxy passes them.
const (
	jcbOnlyDS = "1111111111111111111111111111111111111111111111111111111111111111"
	anyDS     = "2222222222222222222222222222222222222222222222222222222222222222"
)

// postAReqFrom posts an AReq with the proxy's fingerprint header (none when fingerprint is "").
func postAReqFrom(t *testing.T, base, fingerprint string, areq map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(areq)
	req, _ := http.NewRequest(http.MethodPost, base+"/3ds/areq", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if fingerprint != "" {
		req.Header.Set("X-SSL-Client-SHA256", fingerprint)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(testkit.ReadAll(t, resp.Body)), &out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("AReq answered HTTP %d: %v %v", resp.StatusCode, out, err)
	}
	return out
}

// TestACSDirectoryServerAuthentication: outside demo mode the AReq endpoint answers only a Directory
// Server the proxy vouches for, and a Directory Server bound to a brand only for that brand's cards.
// Nobody else learns a card's status (the card-number oracle).
func TestACSDirectoryServerAuthentication(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_DEMO": "false",
			"HONNIN_DS_PROXY_ADDRS": "127.0.0.1", "HONNIN_DS_CERT_HEADER": "X-SSL-Client-SHA256",
			"HONNIN_DS_CLIENT_FINGERPRINTS": "jcb:" + strings.ToUpper(jcbOnlyDS) + ",*:" + anyDS}})
		if err := demodata.Seed(context.Background(), app.DB, app.Server.Sealer, app.Server.Hasher, "legacy"); err != nil {
			t.Fatal(err)
		}
		for _, pan := range []string{demodata.YamadaJCB, demodata.StolenJCB, "3540000000000993"} {
			for _, who := range []string{"", "3333333333333333333333333333333333333333333333333333333333333333"} {
				checkErro(t, postAReqFrom(t, app.URL, who, areqFor(pan)), "303", "")
			}
		}
		if m := postAReqFrom(t, app.URL, jcbOnlyDS, areqFor(demodata.YamadaJCB)); str(m, "transStatus") != "C" {
			t.Errorf("the JCB Directory Server's AReq for a JCB card: %v", m)
		}
		m := postAReqFrom(t, app.URL, jcbOnlyDS, areqFor(demodata.YamadaVisa))
		checkErro(t, m, "303", "brand")
		if str(m, "dsTransID") == "" {
			t.Errorf("the Erro for another brand's card does not name the transaction: %v", m)
		}
		for _, pan := range []string{demodata.YamadaJCB, demodata.YamadaVisa} {
			if m := postAReqFrom(t, app.URL, anyDS, areqFor(pan)); str(m, "transStatus") != "C" {
				t.Errorf("the all-brand Directory Server's AReq for ****%s: %v", pan[len(pan)-4:], m)
			}
		}
	})
}

// TestACSExpiryMismatch: an AReq whose cardExpiryDate is not the card's ends N, reason 01, without a
// challenge and without telling the card's status, and counts as a failed card check.
func TestACSExpiryMismatch(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		for _, pan := range []string{demodata.YamadaJCB, demodata.StolenJCB, demodata.SuzukiJCB} {
			areq := areqFor(pan)
			areq["cardExpiryDate"] = "3101"
			ares := postAReq(t, app.URL, areq)
			checkARes(t, areq, ares)
			if str(ares, "transStatus") != "N" || str(ares, "transStatusReason") != "01" || ares["acsURL"] != nil {
				t.Errorf("wrong expiry for ****%s: %v, want N/01 without a challenge", pan[len(pan)-4:], ares)
			}
		}
		if got := scrape(t, app).get("honnin_acs_card_check_failures_total", "check", "expiry"); got != 3 {
			t.Errorf("failed expiry checks counted %v, want 3", got)
		}
		if ares := postAReq(t, app.URL, areqFor(demodata.YamadaJCB)); str(ares, "transStatus") != "C" {
			t.Errorf("the right expiry: %v", ares)
		}
	})
}

// sendParallel posts n AReqs at once through the nodes in turn and returns how many were answered
// other than N/04, and how many N/04.
func sendParallel(t *testing.T, nodes []*testkit.App, n int, pan func(i int) string) (passed, limited int) {
	t.Helper()
	answers := make([]map[string]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = postAReq(t, nodes[i%len(nodes)].URL, areqFor(pan(i)))
		}()
	}
	wg.Wait()
	for _, a := range answers {
		switch {
		case str(a, "transStatus") == "N" && str(a, "transStatusReason") == "04":
			limited++
		case str(a, "messageType") == "ARes":
			passed++
		default:
			t.Errorf("unexpected answer: %v", a)
		}
	}
	return passed, limited
}

// slowMachine is the AReq time limit of the rate-limit tests: they count answers, and 30 AReqs opening
// database connections at once on a busy two-core machine can take longer than a Directory Server waits.
const slowMachine = "20s"

// TestACSAReqRateLimits: 30 AReqs at once for one card with a limit of 10 give exactly 10 answers
// that are not N/04; the per-Directory-Server limit holds the same way over many cards.
func TestACSAReqRateLimits(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_AREQ_LIMIT_PER_CARD": "10", "HONNIN_AREQ_LIMIT_WINDOW": "1h", "HONNIN_AREQ_TIMEOUT": slowMachine}})
		if passed, limited := sendParallel(t, []*testkit.App{app}, 30, func(int) string { return demodata.YamadaJCB }); passed != 10 || limited != 20 {
			t.Errorf("one card: %d answered, %d N/04; want 10 and 20", passed, limited)
		}
		if a := postAReq(t, app.URL, areqFor(demodata.YamadaVisa)); str(a, "transStatus") != "C" {
			t.Errorf("another card is not limited: %v", a)
		}

		perDS := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_AREQ_LIMIT_PER_DS": "12", "HONNIN_AREQ_LIMIT_WINDOW": "1h", "HONNIN_AREQ_TIMEOUT": slowMachine}})
		cards := []string{demodata.YamadaJCB, demodata.YamadaVisa, demodata.TanakaJCB, demodata.TanakaVisa}
		if passed, limited := sendParallel(t, []*testkit.App{perDS}, 20, func(i int) string { return cards[i%len(cards)] }); passed != 12 || limited != 8 {
			t.Errorf("one Directory Server: %d answered, %d N/04; want 12 and 8", passed, limited)
		}
	})
}

// TestACSAReqRateLimitAcrossNodes: two nodes on one PostgreSQL share the per-card limit.
func TestACSAReqRateLimitAcrossNodes(t *testing.T) {
	a := testkit.Start(t, testkit.Postgres, testkit.Options{Env: map[string]string{"HONNIN_AREQ_LIMIT_PER_CARD": "10", "HONNIN_AREQ_LIMIT_WINDOW": "1h", "HONNIN_AREQ_TIMEOUT": slowMachine}})
	b := a.Join(t, nil)
	if passed, limited := sendParallel(t, []*testkit.App{a, b}, 30, func(int) string { return demodata.YamadaJCB }); passed != 10 || limited != 20 {
		t.Errorf("two nodes: %d answered, %d N/04; want 10 and 20", passed, limited)
	}
}
