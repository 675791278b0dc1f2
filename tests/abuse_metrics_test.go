package tests

import (
	"bufio"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/tests/testkit"
)

// metrics is one scrape of GET /metrics on the internal listener: series (name and labels as
// Prometheus writes them, labels sorted) → value.
type metrics map[string]float64

// scrape reads the internal listener's /metrics.
func scrape(t *testing.T, app *testkit.App) metrics {
	t.Helper()
	resp, err := testkit.HTTPClient().Get(app.Internal + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body := testkit.ReadAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics answered %d: %s", resp.StatusCode, testkit.Excerpt(body))
	}
	out := metrics{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("unreadable metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// get returns a series' value; labels are name=value pairs in alphabetical order of name.
func (m metrics) get(name string, labels ...string) float64 {
	key := name
	if len(labels) > 0 {
		var parts []string
		for i := 0; i+1 < len(labels); i += 2 {
			parts = append(parts, labels[i]+`="`+labels[i+1]+`"`)
		}
		key += "{" + strings.Join(parts, ",") + "}"
	}
	return m[key]
}

// series returns the series of a metric name.
func (m metrics) series(name string) []string {
	var out []string
	for k := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			out = append(out, k)
		}
	}
	return out
}

// waitMetric scrapes until ok accepts the figures (the background workers are asynchronous).
func waitMetric(t *testing.T, app *testkit.App, what string, ok func(metrics) bool) metrics {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := scrape(t, app)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: never seen in /metrics", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAbuseMetrics drives AReqs, challenges with every outcome, lockouts through the portal and the
// challenge, and RReqs to a Directory Server that is down and then back, and reads what an operator's
// Prometheus would read.
func TestAbuseMetrics(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, map[string]string{
			"HONNIN_CHALLENGE_TRIES": "2", "HONNIN_LOCK_THRESHOLD": "3", "HONNIN_CREQ_TIMEOUT": "2s",
		})
		ds.mu.Lock()
		ds.fails = 1 << 30 // the Directory Server is down until further notice
		ds.mu.Unlock()

		before := scrape(t, app)
		for _, via := range []string{"portal", "challenge"} {
			if _, ok := before[`honnin_member_lockouts_total{via="`+via+`"}`]; !ok || before.get("honnin_member_lockouts_total", "via", via) != 0 {
				t.Errorf("lockouts via %s is not exported at 0 from the start", via)
			}
		}
		if before.get("honnin_acs_outbox_pending") != 0 || before.get("honnin_acs_outbox_oldest_pending_age_seconds") != 0 {
			t.Errorf("an empty outbox reports a backlog: %v %v", before.get("honnin_acs_outbox_pending"), before.get("honnin_acs_outbox_oldest_pending_age_seconds"))
		}

		// AReq outcomes.
		challenge := func(pan string) (map[string]any, page) {
			areq := areqFor(pan)
			ares := postAReq(t, app.URL, areq)
			if str(ares, "transStatus") != "C" {
				t.Fatalf("AReq for a challenge: %v", ares)
			}
			return ares, openChallenge(t, ares, creqFor(ares, "05"), "")
		}
		for _, pan := range []string{demodata.UnregJCB, demodata.StolenJCB, cards.WithCheckDigit("354099999999999")} {
			postAReq(t, app.URL, areqFor(pan))
		}
		bad, _ := json.Marshal(areqFor(demodata.YamadaJCB))
		postAReqAs(t, testkit.HTTPClient(), app.URL, "text/plain", bad)
		wrongType := areqFor(demodata.YamadaJCB)
		wrongType["acctNumber"] = 3540000000000019
		postAReq(t, app.URL, wrongType)

		// Challenges: too many wrong answers, a success, a cancel, one whose CReq never comes, and
		// tanaka04b's ID locked by wrong answers on the challenge page.
		_, p := challenge(demodata.YamadaJCB)
		p = answer(t, app.URL, p, "yamada01", "wrong-1", "submit")
		answer(t, app.URL, p, "yamada01", "wrong-2", "submit")
		_, p = challenge(demodata.YamadaJCB)
		answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
		_, p = challenge(demodata.YamadaJCB)
		answer(t, app.URL, p, "", "", "cancel")
		postAReq(t, app.URL, areqFor(demodata.YamadaVisa)) // C, and no CReq follows
		_, p = challenge(demodata.TanakaVisa)
		p = answer(t, app.URL, p, "tanaka04b", "wrong-1", "submit")
		answer(t, app.URL, p, "tanaka04b", "wrong-2", "submit")
		_, p = challenge(demodata.TanakaVisa)
		answer(t, app.URL, p, "tanaka04b", "wrong-3", "submit")

		// tanaka04a's ID locked by wrong portal logins.
		u := testkit.NewUser(t, app.URL)
		for range 3 {
			logIn(t, u, "tanaka04a", "not-the-password")
		}
		logIn(t, u, "tanaka04a", "tanaka-jcb-01")
		sees(t, u, strings.Split(ja("login.locked", "X"), "X")[0])

		m := waitMetric(t, app, "the expired challenge", func(m metrics) bool {
			return m.get("honnin_acs_challenges_total", "outcome", "expired") >= 1
		})
		want := []struct {
			name   string
			labels []string
			value  float64
		}{
			{"honnin_acs_ares_total", []string{"reason", "", "trans_status", "C"}, 6},
			{"honnin_acs_ares_total", []string{"reason", "13", "trans_status", "N"}, 1},
			{"honnin_acs_ares_total", []string{"reason", "10", "trans_status", "R"}, 1},
			{"honnin_acs_ares_total", []string{"reason", "08", "trans_status", "N"}, 1},
			{"honnin_acs_areq_erro_total", []string{"error_code", "101"}, 1},
			{"honnin_acs_areq_erro_total", []string{"error_code", "203"}, 1},
			{"honnin_acs_challenges_total", []string{"outcome", "succeeded"}, 1},
			{"honnin_acs_challenges_total", []string{"outcome", "failed"}, 3},
			{"honnin_acs_challenges_total", []string{"outcome", "cancelled"}, 1},
			{"honnin_acs_challenges_total", []string{"outcome", "expired"}, 1},
			{"honnin_member_lockouts_total", []string{"via", "portal"}, 1},
			{"honnin_member_lockouts_total", []string{"via", "challenge"}, 1},
		}
		for _, w := range want {
			if got := m.get(w.name, w.labels...); got != w.value {
				t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
			}
		}
		if m.get("honnin_password_hashes_total") <= before.get("honnin_password_hashes_total") {
			t.Errorf("honnin_password_hashes_total did not move with 8 password checks")
		}
		if _, ok := m["honnin_password_hashes_waiting"]; !ok {
			t.Errorf("honnin_password_hashes_waiting is not exported")
		}

		// Every label value is from a fixed set, whatever the requests carried: paths that match no
		// route share one series.
		for i := range 5 {
			resp, err := testkit.HTTPClient().Get(app.URL + "/no-such-page-" + strconv.Itoa(i) + "?q=" + strconv.Itoa(i))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		for _, s := range scrape(t, app).series("honnin_http_requests_total") {
			if strings.Contains(s, "no-such-page") {
				t.Errorf("a request path became a label: %s", s)
			}
		}
		bounded := map[string]*regexp.Regexp{
			"honnin_acs_ares_total":       regexp.MustCompile(`^honnin_acs_ares_total\{reason="([0-9]{2})?",trans_status="[YNUACDRI]"\}$`),
			"honnin_acs_areq_erro_total":  regexp.MustCompile(`^honnin_acs_areq_erro_total\{error_code="[1-4]0[0-9]"\}$`),
			"honnin_acs_challenges_total": regexp.MustCompile(`^honnin_acs_challenges_total\{outcome="(succeeded|failed|cancelled|expired)"\}$`),
		}
		for name, re := range bounded {
			for _, s := range m.series(name) {
				if !re.MatchString(s) {
					t.Errorf("unbounded or unexpected series %s", s)
				}
			}
		}

		// The six finished challenges' RReqs wait in the outbox while the Directory Server is down.
		if got := m.get("honnin_acs_outbox_pending"); got != 6 {
			t.Errorf("honnin_acs_outbox_pending = %v with the Directory Server down, want 6", got)
		}
		if m.get("honnin_acs_outbox_oldest_pending_age_seconds") <= 0 {
			t.Errorf("the oldest pending RReq has no age: %v", m.get("honnin_acs_outbox_oldest_pending_age_seconds"))
		}
		if m.get("honnin_acs_rreq_deliveries_total", "outcome", "retry") < 1 {
			t.Errorf("no failed delivery counted while the Directory Server was down")
		}

		// When it is back, the backlog drains to zero.
		ds.mu.Lock()
		ds.fails = 0
		ds.mu.Unlock()
		m = waitMetric(t, app, "an empty outbox", func(m metrics) bool { return m.get("honnin_acs_outbox_pending") == 0 })
		if m.get("honnin_acs_outbox_oldest_pending_age_seconds") != 0 {
			t.Errorf("an empty outbox reports an age of %v", m.get("honnin_acs_outbox_oldest_pending_age_seconds"))
		}
		if got := m.get("honnin_acs_rreq_deliveries_total", "outcome", "delivered"); got != 6 {
			t.Errorf("delivered RReqs = %v, want 6", got)
		}
	})
}
