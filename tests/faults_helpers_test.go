package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

// dsPatience is how long a Directory Server waits for an ARes before it gives up on the ACS: a fault
// must never make Honnin slower than this to answer. Real Directory Servers wait a few seconds; the
// tests allow well under that.
const dsPatience = 2 * time.Second

// quickClient is a Directory Server's or a browser's HTTP client that gives up after dsPatience.
func quickClient() *http.Client {
	return &http.Client{Timeout: dsPatience, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// tryAReq posts an AReq the way a Directory Server does (giving up after dsPatience) and returns the
// decoded answer, or an error describing anything that is not an HTTP 200 JSON message in time. It
// is safe to call from any goroutine.
func tryAReq(base string, areq map[string]any) (map[string]any, error) {
	b, err := json.Marshal(areq)
	if err != nil {
		return nil, err
	}
	resp, err := quickClient().Post(base+"/3ds/areq", "application/json; charset=utf-8", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, fmt.Errorf("HTTP %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), testkit.Excerpt(string(body)))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("not JSON: %v: %s", err, body)
	}
	return m, nil
}

// isErro403 reports whether m is the Erro a Directory Server gets when the ACS cannot work for a moment.
func isErro403(m map[string]any) bool {
	return str(m, "messageType") == "Erro" && str(m, "errorCode") == "403"
}

// areqTraffic is a Directory Server sending AReqs in a loop, recording what it got back.
type areqTraffic struct {
	mu      sync.Mutex
	ares    int
	erro403 int
	wrong   []string // anything else: another Erro, a non-JSON page, a hang, a refused connection
	stop    chan struct{}
	done    chan struct{}
}

// sendAReqs starts workers goroutines posting AReqs for pan to base until stop is called.
func sendAReqs(base, pan string, workers int) *areqTraffic {
	tr := &areqTraffic{stop: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-tr.stop:
					return
				default:
				}
				m, err := tryAReq(base, areqFor(pan))
				tr.mu.Lock()
				switch {
				case err != nil:
					tr.wrong = append(tr.wrong, err.Error())
				case str(m, "messageType") == "ARes":
					tr.ares++
				case isErro403(m):
					tr.erro403++
				default:
					tr.wrong = append(tr.wrong, fmt.Sprint(m))
				}
				tr.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	go func() { wg.Wait(); close(tr.done) }()
	return tr
}

// counts returns the ARes and Erro 403 answers so far.
func (tr *areqTraffic) counts() (ares, erro403 int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.ares, tr.erro403
}

// end stops the traffic and fails the test for any answer that was neither an ARes nor an Erro 403.
func (tr *areqTraffic) end(t *testing.T) {
	t.Helper()
	close(tr.stop)
	<-tr.done
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i, w := range tr.wrong {
		if i == 5 {
			t.Errorf("... and %d more", len(tr.wrong)-5)
			break
		}
		t.Errorf("AReq answered neither an ARes nor Erro 403 within %v: %s", dsPatience, w)
	}
	t.Logf("AReq traffic: %d ARes, %d Erro 403", tr.ares, tr.erro403)
}

// eventually waits (up to 30 s) until cond holds, failing the test with what otherwise.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkEveryResultOnce asserts the exactly-once rules over a whole database: every finished challenge
// has exactly one result event and one RReq, every RReq belongs to a finished challenge, every RReq
// was delivered, and the Directory Server received each exactly once with the stored result.
func checkEveryResultOnce(t *testing.T, app *testkit.App, ds *fakeDS) {
	t.Helper()
	eventually(t, "every RReq delivered", func() bool {
		var pending int64
		return app.DB.Model(&db.OutboxMessage{}).Where("delivered_at IS NULL").Count(&pending).Error == nil && pending == 0
	})
	var chs []db.Challenge
	if err := app.DB.Where("state NOT IN ?", []string{db.ChallengeAnswered}).Find(&chs).Error; err != nil {
		t.Fatal(err)
	}
	var rows []db.OutboxMessage
	if err := app.DB.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	outbox := map[string]int{}
	for _, r := range rows {
		outbox[r.ACSTransID]++
	}
	finished := 0
	for _, ch := range chs {
		results := len(events(t, app, ch.ACSTransID, db.EventChallengeResult))
		switch {
		case finishedState(ch.State):
			finished++
			if outbox[ch.ACSTransID] != 1 || results != 1 {
				t.Errorf("challenge %s ended %s with %d RReq rows and %d result events; want one each", ch.ACSTransID, ch.State, outbox[ch.ACSTransID], results)
			}
			got := ds.received(ch.ACSTransID)
			if len(got) != 1 {
				t.Errorf("challenge %s: the Directory Server received %d RReqs, want 1", ch.ACSTransID, len(got))
			} else if str(got[0], "transStatus") != ch.TransStatus {
				t.Errorf("challenge %s: RReq transStatus %s, stored %s", ch.ACSTransID, str(got[0], "transStatus"), ch.TransStatus)
			}
		default:
			if outbox[ch.ACSTransID] != 0 || results != 0 {
				t.Errorf("challenge %s is still %s but has %d RReq rows and %d result events", ch.ACSTransID, ch.State, outbox[ch.ACSTransID], results)
			}
		}
		delete(outbox, ch.ACSTransID)
	}
	for id := range outbox {
		t.Errorf("RReq row %s has no finished challenge", id)
	}
	t.Logf("%d finished challenges, each with one RReq delivered once", finished)
}

// finishedState reports whether a challenge state is a challenge's end (answered AReqs had none).
func finishedState(state string) bool {
	switch state {
	case db.ChallengeSucceeded, db.ChallengeFailed, db.ChallengeCancelled, db.ChallengeExpired:
		return true
	}
	return false
}
