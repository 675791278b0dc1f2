package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// getQuick fetches a URL as a browser would, giving up after dsPatience; it never fails the test, so
// that a hang shows as an answer ("" and the error).
func getQuick(u *testkit.User, path string) (int, string, error) {
	c := *u.Client
	c.Timeout = dsPatience
	resp, err := c.Get(u.Base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		b.Write(buf[:n])
		if rerr != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), nil
}

// friendlyUnavailable fails unless a page is the friendly "try again later" page: HTTP 503, the
// message in Japanese or English, and nothing of the server's insides.
func friendlyUnavailable(t *testing.T, what string, status int, body string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s while the database is away: %v", what, err)
		return
	}
	text := testkit.VisibleText(body)
	if status != http.StatusServiceUnavailable {
		t.Errorf("%s: HTTP %d, want 503: %s", what, status, testkit.Excerpt(text))
	}
	if !strings.Contains(text, ja("error.unavailable")) && !strings.Contains(text, en("error.unavailable")) {
		t.Errorf("%s: not the friendly unavailable page: %s", what, testkit.Excerpt(text))
	}
	for _, leak := range []string{"goroutine", ".go:", "panic", "pgx", "SQLSTATE", "dial tcp", "127.0.0.1:", "Internal Server Error"} {
		if strings.Contains(body, leak) {
			t.Errorf("%s shows %q: %s", what, leak, testkit.Excerpt(text))
		}
	}
}

// challengeUnavailable fails unless a challenge page says the system cannot go on for the moment
// (HTTP 503, in the iframe's words), with neither a form nor a CRes.
func challengeUnavailable(t *testing.T, what string, p page) {
	t.Helper()
	text := p.Text()
	if p.Status != http.StatusServiceUnavailable || p.field("token") != "" || p.field("cres") != "" ||
		(!strings.Contains(text, ja("acs.problem.system")) && !strings.Contains(text, en("acs.problem.system"))) {
		t.Errorf("%s: HTTP %d, cres %q: %s", what, p.Status, p.field("cres"), testkit.Excerpt(text))
	}
}

func getStatus(url string) (int, error) {
	resp, err := quickClient().Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestFaultsDatabaseUnreachable: PostgreSQL becomes unreachable for one Honnin while AReqs, portal
// pages and challenges are under way. The Directory Server gets Erro 403 at once (never a hang or a
// page), people get the friendly error page, /healthz still answers while /readyz says unavailable;
// when the database is back, service resumes by itself, the interrupted challenges can be finished,
// each ends once and every RReq is delivered once.
func TestFaultsDatabaseUnreachable(t *testing.T) {
	dbURL, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	proxy, viaProxy := testkit.ProxyDatabase(t, dbURL)
	ds := newFakeDS(t)
	app := testkit.Start(t, testkit.Postgres, testkit.Options{DatabaseURL: viaProxy, DataDir: dir,
		Env: map[string]string{"HONNIN_DS_RESULTS_URL": ds.URL, "HONNIN_RREQ_RETRY_MIN": "50ms", "HONNIN_RREQ_RETRY_MAX": "200ms"}})

	member := loggedIn(t, app, "yamada01", "fuji-san-2026")
	// Challenges under way when the database goes: two with the password page open, one whose CReq
	// has not arrived yet.
	aresOK, pageOK := challengeFor(t, app, mandatedAReq(demodata.YamadaJCB))
	aresCancel, pageCancel := challengeFor(t, app, mandatedAReq(demodata.YamadaVisa))
	aresLate := postAReq(t, app.URL, mandatedAReq(demodata.YamadaJCB))
	if str(aresLate, "transStatus") != "C" {
		t.Fatalf("no challenge: %v", aresLate)
	}

	traffic := sendAReqs(app.URL, demodata.TanakaJCB, 4)
	eventually(t, "AReqs answered before the cut", func() bool { n, _ := traffic.counts(); return n >= 5 })

	proxy.Cut()
	t.Log("database cut")
	_, erroBefore := traffic.counts()
	eventually(t, "Erro 403 answers while the database is away", func() bool { _, n := traffic.counts(); return n >= erroBefore+10 })

	m, err := tryAReq(app.URL, mandatedAReq(demodata.YamadaVisa))
	if err != nil || !isErro403(m) {
		t.Errorf("AReq while the database is away: %v %v; want Erro 403 within %v", m, err, dsPatience)
	} else {
		checkErro(t, m, "403", "")
	}
	status, body, err := getQuick(member, "/my/cards")
	friendlyUnavailable(t, "a member's page", status, body, err)
	// Someone logs in meanwhile: the login page (no database needed) shows, the login itself gets
	// the friendly page, not a "wrong password" that would count towards a lock.
	anon := testkit.NewUser(t, app.URL)
	anon.Get("/login")
	if anon.Status != http.StatusOK || anon.CSRF() == "" {
		t.Errorf("the login page while the database is away: HTTP %d", anon.Status)
	}
	anon.Submit("/login", url.Values{"login_id": {"yamada01"}, "password": {"fuji-san-2026"}})
	friendlyUnavailable(t, "logging in", anon.Status, anon.Last, nil)
	if st, err := getStatus(app.URL + "/healthz"); st != http.StatusOK {
		t.Errorf("/healthz while the database is away: %d %v; want 200 (the process is alive)", st, err)
	}
	if st, err := getStatus(app.URL + "/readyz"); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is away: %d %v; want 503", st, err)
	}
	// The shopper answers while the database is away: a page saying so, no CRes.
	for _, tc := range []struct {
		name string
		p    page
		act  string
	}{{"right password", pageOK, "submit"}, {"cancel", pageCancel, "cancel"}} {
		challengeUnavailable(t, tc.name+" while the database is away", answer(t, app.URL, tc.p, "yamada01", "fuji-san-2026", tc.act))
	}
	late := openChallenge(t, aresLate, creqFor(aresLate, "05"), "sd")
	challengeUnavailable(t, "CReq while the database is away", late)

	proxy.Restore()
	t.Log("database back")
	eventually(t, "AReqs answered with an ARes again", func() bool {
		m, err := tryAReq(app.URL, mandatedAReq(demodata.YamadaJCB))
		return err == nil && str(m, "messageType") == "ARes"
	})
	aresAfter, _ := traffic.counts()
	eventually(t, "the traffic gets ARes again", func() bool { n, _ := traffic.counts(); return n >= aresAfter+5 })
	traffic.end(t)
	eventually(t, "member pages load again", func() bool { st, _, _ := getQuick(member, "/my/cards"); return st == http.StatusOK })
	member.Get("/my/cards")
	testkit.Contains(t, member.Text(), "0019")
	logIn(t, anon, "yamada01", "fuji-san-2026")
	at(t, anon, "/my")
	if st, err := getStatus(app.URL + "/readyz"); st != http.StatusOK {
		t.Errorf("/readyz after recovery: %d %v", st, err)
	}

	// The interrupted challenges go on from where they were: the same forms work and end once.
	checkCRes(t, answer(t, app.URL, pageOK, "yamada01", "fuji-san-2026", "submit"), aresOK, "Y")
	checkCRes(t, answer(t, app.URL, pageCancel, "", "", "cancel"), aresCancel, "N")
	late = openChallenge(t, aresLate, creqFor(aresLate, "05"), "sd")
	checkCRes(t, answer(t, app.URL, late, "yamada01", "fuji-san-2026", "submit"), aresLate, "Y")
	checkRReq(t, ds.waitRReqs(t, str(aresOK, "acsTransID"), 1)[0], aresOK, "Y", "", "")
	checkRReq(t, ds.waitRReqs(t, str(aresCancel, "acsTransID"), 1)[0], aresCancel, "N", "01", "01")
	checkEveryResultOnce(t, app, ds)
}

// TestFaultsDatabaseRestart: PostgreSQL restarts under Honnin again and again (every one of its
// database connections is killed) while AReqs flow and challenges are under way. Every AReq gets an
// ARes or Erro 403 in time, service resumes after each restart without restarting Honnin, and the
// challenges started before a restart are finished after it, each once, with its RReq delivered once.
func TestFaultsDatabaseRestart(t *testing.T) {
	dbURL, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	ds := newFakeDS(t)
	app := testkit.Start(t, testkit.Postgres, testkit.Options{DatabaseURL: dbURL, DataDir: dir,
		Env: map[string]string{"HONNIN_DS_RESULTS_URL": ds.URL, "HONNIN_RREQ_RETRY_MIN": "50ms", "HONNIN_RREQ_RETRY_MAX": "200ms"}})
	admin, err := gorm.Open(postgres.Open(testkit.AdminURL()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(admin)
	name := dbName(dbURL)
	restart := func() {
		t.Helper()
		var n int64
		// Only this test's database: other test packages use the same server at the same time.
		if err := admin.Raw("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()", name).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("Honnin had no database connection to kill: the test would test nothing")
		}
	}

	traffic := sendAReqs(app.URL, demodata.TanakaJCB, 4)
	var started []map[string]any
	for round := range 3 {
		// Before the restart: a challenge with its page open, and one whose CReq is yet to come.
		aresOpen, pOpen := challengeFor(t, app, mandatedAReq(demodata.YamadaJCB))
		aresLater := postAReq(t, app.URL, mandatedAReq(demodata.YamadaVisa))
		started = append(started, aresOpen, aresLater)
		before, _ := traffic.counts()

		restart()
		t.Logf("round %d: database restarted", round)
		eventually(t, "ARes answers again after the restart", func() bool { n, _ := traffic.counts(); return n >= before+20 })

		// After it the shopper goes on; a step that still meets a dead connection gets the "try again"
		// page, and the shopper tries again.
		finishChallenge(t, app, aresOpen, pOpen)
		var p page
		eventually(t, "the challenge page after the restart", func() bool {
			p = openChallenge(t, aresLater, creqFor(aresLater, "05"), "sd")
			return p.Status == http.StatusOK && p.field("token") != ""
		})
		finishChallenge(t, app, aresLater, p)
	}
	traffic.end(t)
	for _, ares := range started {
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "")
	}
	checkEveryResultOnce(t, app, ds)
}

// finishChallenge answers a challenge's form with the right password as a shopper does when the
// database comes and goes: on the "try again" page, submit again; when the form comes back (a try
// counted whose check was lost), answer the form it shows.
func finishChallenge(t *testing.T, app *testkit.App, ares map[string]any, p page) {
	t.Helper()
	eventually(t, "the challenge's end", func() bool {
		got := answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
		switch {
		case got.Status == http.StatusOK && got.field("cres") != "":
			checkCRes(t, got, ares, "Y")
			return true
		case got.Status == http.StatusOK && got.field("token") != "":
			t.Logf("challenge %s: a try was counted but its check was lost; the form came back", str(ares, "acsTransID"))
			p = got
		case got.Status != http.StatusServiceUnavailable:
			t.Fatalf("submit after a database restart: HTTP %d: %s", got.Status, got.Text())
		}
		return false
	})
}

func dbName(databaseURL string) string {
	i := strings.LastIndex(databaseURL, "/")
	name := databaseURL[i+1:]
	if j := strings.IndexByte(name, '?'); j >= 0 {
		name = name[:j]
	}
	return name
}

// TestFaultsDatabaseSilent: the database stops answering without closing anything (a network
// partition: no error, no data). A Directory Server still gets Erro 403 before it gives up, a member
// and a shopper get the "try again later" page rather than a page that never comes, /healthz answers
// and /readyz says unavailable; when the network heals, everything works again by itself.
func TestFaultsDatabaseSilent(t *testing.T) {
	dbURL, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	proxy, viaProxy := testkit.ProxyDatabase(t, dbURL)
	// The AReq timeout is left at its default: it must be inside the Directory Server's patience.
	app := testkit.Start(t, testkit.Postgres, testkit.Options{DatabaseURL: viaProxy, DataDir: dir,
		Env: map[string]string{"HONNIN_REQUEST_TIMEOUT": "1s"}})
	member := loggedIn(t, app, "yamada01", "fuji-san-2026")
	aresLate := postAReq(t, app.URL, mandatedAReq(demodata.YamadaJCB))
	if str(aresLate, "transStatus") != "C" {
		t.Fatalf("no challenge: %v", aresLate)
	}

	proxy.Stall()
	traffic := sendAReqs(app.URL, demodata.TanakaJCB, 4)
	eventually(t, "Erro 403 answers while the database is silent", func() bool { _, n := traffic.counts(); return n >= 8 })
	status, body, err := getQuick(member, "/my/cards")
	friendlyUnavailable(t, "a member's page", status, body, err)
	late := openChallenge(t, aresLate, creqFor(aresLate, "05"), "sd")
	challengeUnavailable(t, "CReq while the database is silent", late)
	if st, err := getStatus(app.URL + "/healthz"); st != http.StatusOK {
		t.Errorf("/healthz while the database is silent: %d %v", st, err)
	}
	if st, err := getStatus(app.URL + "/readyz"); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is silent: %d %v; want 503 in time", st, err)
	}

	proxy.Restore()
	before, _ := traffic.counts()
	eventually(t, "ARes answers after the network healed", func() bool { n, _ := traffic.counts(); return n >= before+10 })
	traffic.end(t)
	eventually(t, "member pages load again", func() bool { st, _, _ := getQuick(member, "/my/cards"); return st == http.StatusOK })
	late = openChallenge(t, aresLate, creqFor(aresLate, "05"), "sd")
	checkCRes(t, answer(t, app.URL, late, "yamada01", "fuji-san-2026", "submit"), aresLate, "Y")
}

// TestFaultsDatabaseStallShorterThanTimeout: the database holds every connection for half a second
// (a disk stall: delayed, nothing lost) while AReqs keep coming. The stall is well inside
// HONNIN_AREQ_TIMEOUT, so it may cost latency but no answer: every AReq during and after it gets
// its ARes, none an Erro, and traffic flows again once the stall ends.
func TestFaultsDatabaseStallShorterThanTimeout(t *testing.T) {
	dbURL, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	proxy, viaProxy := testkit.ProxyDatabase(t, dbURL)
	app := testkit.Start(t, testkit.Postgres, testkit.Options{DatabaseURL: viaProxy, DataDir: dir,
		Env: map[string]string{"HONNIN_AREQ_TIMEOUT": "3s"}})
	traffic := sendAReqs(app.URL, demodata.TanakaJCB, 8)
	eventually(t, "AReqs answered before the stall", func() bool { n, _ := traffic.counts(); return n >= 40 })

	proxy.Pause()
	time.Sleep(500 * time.Millisecond) // the stall's length: setup, not an assertion
	during, _ := traffic.counts()
	proxy.Restore()
	eventually(t, "AReqs answered after the stall", func() bool { n, _ := traffic.counts(); return n >= during+80 })
	traffic.end(t)
	if _, erro := traffic.counts(); erro != 0 {
		t.Errorf("%d AReqs answered Erro 403 for a stall shorter than the AReq timeout, want none", erro)
	}
}
