package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// exchange is one request during the shutdown and what became of it.
type exchange struct {
	status  int
	body    string
	refused bool  // no answer at all: the connection was refused or closed before an answer began
	broken  error // an answer began but did not arrive whole
}

// send makes one request on a fresh connection (no keep-alive, as a new client would) and reads the
// whole answer.
func send(req *http.Request) exchange {
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return exchange{refused: true, broken: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		err = fmt.Errorf("%d of %d bytes", len(b), resp.ContentLength)
	}
	return exchange{status: resp.StatusCode, body: string(b), broken: err}
}

// TestFaultsGracefulShutdown: Honnin is stopped (as on SIGTERM) while AReqs and challenge answers are
// in flight. Every request either gets its whole answer or, once the shutdown began, finds no
// listener; nothing is half-written: every finished challenge has its RReq and result event, every
// RReq its finished challenge, every ARes its stored transaction; a new process delivers what waited.
func TestFaultsGracefulShutdown(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ds := newFakeDS(t)
		app := testkit.Start(t, b, testkit.Options{Serve: true, Env: map[string]string{
			"HONNIN_DS_RESULTS_URL": ds.URL,
			// Slow, one-at-a-time password checks keep challenge answers queued when the shutdown comes.
			"HONNIN_ARGON2_TIME": "3", "HONNIN_ARGON2_MEMORY_KIB": "32768", "HONNIN_ARGON2_MAX_CONCURRENT": "1"}})

		type open struct {
			ares map[string]any
			p    page
		}
		var pages []open
		for i := range 10 {
			pan := demodata.YamadaJCB
			if i%2 == 1 {
				pan = demodata.YamadaVisa
			}
			ares, p := challengeFor(t, app, areqFor(pan))
			pages = append(pages, open{ares, p})
		}

		// AReqs in a loop until the listener is gone.
		var mu sync.Mutex
		var aresGot []map[string]any
		var problems []string
		problem := func(format string, args ...any) {
			mu.Lock()
			problems = append(problems, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pan := []string{demodata.YamadaJCB, demodata.YamadaVisa, cards.WithCheckDigit("354000000000999")}[w%3]
				for {
					areq := areqFor(pan)
					body, _ := json.Marshal(areq)
					req, _ := http.NewRequest(http.MethodPost, app.URL+"/3ds/areq", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					ex := send(req)
					if ex.refused {
						return // the shutdown began: no new connections
					}
					var m map[string]any
					if ex.broken != nil || ex.status != http.StatusOK || json.Unmarshal([]byte(ex.body), &m) != nil {
						problem("AReq during shutdown: HTTP %d, %v: %q", ex.status, ex.broken, testkit.Excerpt(ex.body))
						return
					}
					if str(m, "messageType") != "ARes" {
						problem("AReq during shutdown answered %v", m)
						continue
					}
					mu.Lock()
					aresGot = append(aresGot, m)
					mu.Unlock()
				}
			}()
		}

		// All the challenge answers at once; the shutdown begins when every one of them is inside the
		// server (its try counted) and some still wait for their password check.
		var answered atomic.Int32
		finals := make([]exchange, len(pages))
		for i, o := range pages {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := url.Values{"acsTransID": {o.p.field("acsTransID")}, "token": {o.p.field("token")},
					"loginID": {"yamada01"}, "password": {"fuji-san-2026"}, "action": {"submit"}}
				req, _ := http.NewRequest(http.MethodPost, app.URL+"/3ds/challenge/submit", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				finals[i] = send(req)
				answered.Add(1)
			}()
		}
		ids := make([]string, len(pages))
		for i, o := range pages {
			ids[i] = str(o.ares, "acsTransID")
		}
		eventually(t, "every challenge answer inside the server", func() bool {
			var n int64
			app.DB.Model(&db.Challenge{}).Where("acs_trans_id IN ? AND tries > 0", ids).Count(&n)
			return n == int64(len(ids))
		})
		inFlight := len(pages) - int(answered.Load())
		app.Stop() // returns when the in-flight requests are done and the workers have stopped
		wg.Wait()
		if inFlight == 0 {
			t.Fatalf("every challenge answer was through before the shutdown began: nothing was tested (hashing too fast?)")
		}
		for _, p := range problems {
			t.Error(p)
		}

		finished := 0
		for i, ex := range finals {
			id := str(pages[i].ares, "acsTransID")
			switch {
			case ex.refused:
				t.Errorf("challenge %s: the answer was in the server when the shutdown began, yet got nothing back: %v", id, ex.broken)
			case ex.broken != nil || ex.status != http.StatusOK:
				t.Errorf("challenge %s: answer cut off by the shutdown: HTTP %d, %v", id, ex.status, ex.broken)
			case !strings.Contains(ex.body, "</html>"):
				t.Errorf("challenge %s: truncated page: %q", id, testkit.Excerpt(ex.body))
			default:
				checkCRes(t, page{Status: ex.status, Body: ex.body}, pages[i].ares, "Y")
				finished++
			}
		}
		t.Logf("%d challenge answers in flight at shutdown, %d finished, %d AReqs answered", inFlight, finished, len(aresGot))
		if finished == 0 {
			t.Errorf("no challenge answer finished: the shutdown dropped the requests in flight")
		}

		// A new process on the same database finds everything whole and delivers what waited.
		next := app.Join(t, nil)
		for _, m := range aresGot {
			var ch db.Challenge
			if err := next.DB.Where("acs_trans_id = ?", str(m, "acsTransID")).Take(&ch).Error; err != nil {
				t.Errorf("ARes %s was sent but its transaction was not stored: %v", str(m, "acsTransID"), err)
			} else if ch.TransStatus != str(m, "transStatus") && ch.State != db.ChallengeExpired {
				t.Errorf("ARes %s said %s, stored %s", ch.ACSTransID, str(m, "transStatus"), ch.TransStatus)
			}
		}
		for i, ex := range finals {
			var ch db.Challenge
			next.DB.Where("acs_trans_id = ?", str(pages[i].ares, "acsTransID")).Take(&ch)
			switch {
			case !ex.refused && ch.State != db.ChallengeSucceeded:
				t.Errorf("challenge %s showed CRes Y but is %s", ch.ACSTransID, ch.State)
			case ex.refused && ch.State != db.ChallengeShown:
				t.Errorf("challenge %s got no answer, yet it was processed (%s): the answer was lost", ch.ACSTransID, ch.State)
			}
		}
		checkEveryResultOnce(t, next, ds)
	})
}
