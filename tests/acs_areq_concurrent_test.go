package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestACSConcurrentAReqs: AReqs arriving together share the database's commits, yet each gets its own
// ARes (its IDs, its card's decision) and its own stored row, and of several AReqs with one dsTransID
// exactly one is answered with an ARes and stored, the others with Erro 305.
func TestACSConcurrentAReqs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		// The AReqs' own time is HONNIN_REQUEST_TIMEOUT's rather than production's 1.5 s: the test is of
		// what each answer and row hold, not of how fast they come (the bench's question). With 1.5 s,
		// when other suites and benches loaded the machine (load average 10 to 26 on 2 cores), 9 runs in
		// 89 answered some AReqs Erro 403: the burst came to a node just started, whose pool had yet to
		// open its connections, each a PostgreSQL process to start, and the deadline passed in the card
		// look-up or in the connection's dial.
		app, _ := startACS(t, b, map[string]string{"HONNIN_AREQ_LIMIT_PER_CARD": "1000", "HONNIN_AREQ_TIMEOUT": "30s"})
		// Sixty AReqs for one card at once look like card testing to the default risk rules.
		allowStorms(t, app)
		cardsByStatus := map[string]string{
			"C": demodata.YamadaJCB,
			"N": cards.WithCheckDigit("354000000009999"), // no such card: N/08
			"R": demodata.StolenJCB,                      // R/10
		}
		const perStatus, sameDSTransID = 20, 5
		shared := uuid.NewString()
		type sent struct {
			areq   map[string]any
			status string
		}
		var all []sent
		for status, pan := range cardsByStatus {
			for range perStatus {
				all = append(all, sent{areqFor(pan), status})
			}
		}
		for range sameDSTransID {
			areq := areqFor(demodata.YamadaJCB)
			areq["dsTransID"] = shared
			all = append(all, sent{areq, "C"})
		}
		answers := make([]map[string]any, len(all))
		errs := make([]error, len(all))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i], errs[i] = postAReqQuietly(app.URL, s.areq)
			}()
		}
		close(start)
		wg.Wait()

		acsTransIDs, sharedAnswered, sharedRefused := map[string]bool{}, 0, 0
		for i, s := range all {
			ares := answers[i]
			if errs[i] != nil {
				t.Errorf("AReq %d: %v", i, errs[i])
				continue
			}
			isShared := s.areq["dsTransID"] == shared
			if isShared && str(ares, "messageType") == "Erro" && str(ares, "errorCode") == "305" {
				sharedRefused++
				continue
			}
			if str(ares, "messageType") != "ARes" || str(ares, "dsTransID") != s.areq["dsTransID"] ||
				str(ares, "threeDSServerTransID") != s.areq["threeDSServerTransID"] || str(ares, "transStatus") != s.status {
				t.Errorf("AReq %d (%s, want %s): answered %v", i, s.areq["dsTransID"], s.status, ares)
				continue
			}
			id := str(ares, "acsTransID")
			if acsTransIDs[id] {
				t.Errorf("acsTransID %s given twice", id)
			}
			acsTransIDs[id] = true
			if isShared {
				sharedAnswered++
			}
			var row db.Challenge
			if err := app.DB.Where("acs_trans_id = ?", id).Take(&row).Error; err != nil {
				t.Errorf("ARes %s without its stored row: %v", id, err)
				continue
			}
			if row.DSTransID != s.areq["dsTransID"] || row.ThreeDSServerTransID != s.areq["threeDSServerTransID"] || row.TransStatus != s.status {
				t.Errorf("row %s (%s %s %s) is not its AReq's (%s %s %s)", id, row.DSTransID, row.ThreeDSServerTransID, row.TransStatus,
					s.areq["dsTransID"], s.areq["threeDSServerTransID"], s.status)
			}
		}
		if sharedAnswered != 1 || sharedRefused != sameDSTransID-1 {
			t.Errorf("one dsTransID sent %d times: %d ARes and %d Erro 305, want 1 and %d", sameDSTransID, sharedAnswered, sharedRefused, sameDSTransID-1)
		}
		var stored int64
		app.DB.Model(&db.Challenge{}).Count(&stored)
		if want := int64(3*perStatus + 1); stored != want {
			t.Errorf("%d rows stored, want %d (one per ARes)", stored, want)
		}
		if t.Failed() {
			t.Logf("the server's errors: %q", app.LoggedErrors(3))
		}
	})
}

// postAReqQuietly is postAReq for a goroutine: it returns what went wrong instead of failing the test.
func postAReqQuietly(base string, areq map[string]any) (map[string]any, error) {
	body, err := json.Marshal(areq)
	if err != nil {
		return nil, err
	}
	resp, err := testkit.HTTPClient().Post(base+"/3ds/areq", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("HTTP %d, not a JSON answer: %w", resp.StatusCode, err)
	}
	return out, nil
}

// TestACSOverloadedAReqs: far more AReqs at once than Honnin can answer within its AReq timeout. Each
// gets an answer: an ARes, or an Erro 403 naming its transaction (no dropped connection, no HTML, no
// 500); the ones refused at the admission gate are counted in honnin_acs_areq_shed_total, and no
// refused AReq leaves a stored transaction behind.
func TestACSOverloadedAReqs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		// 200 ms for each AReq: 1,500 at once would need 7,500 answered a second, twice what this
		// machine's PostgreSQL baseline allows for an AReq's reads and writes alone.
		app, _ := startACS(t, b, map[string]string{"HONNIN_AREQ_TIMEOUT": "200ms",
			"HONNIN_AREQ_LIMIT_PER_CARD": "1000000", "HONNIN_AREQ_LIMIT_PER_DS": "1000000"})
		allowStorms(t, app)
		// A warm server first (the database pool open, the gate knowing what an AReq takes), as a
		// Directory Server's sale-day peak finds it. Its answers are not judged: 200 ms is short for a
		// database that waits on a busy disk's flush, and some may be refused.
		var warm sync.WaitGroup
		for range 8 {
			warm.Go(func() {
				for range 8 {
					_, _ = postAReqQuietly(app.URL, areqFor(demodata.YamadaJCB))
				}
			})
		}
		warm.Wait()
		shedBefore := scrape(t, app).get("honnin_acs_areq_shed_total")
		const sent = 1500
		areqs := make([]map[string]any, sent)
		answers := make([]map[string]any, sent)
		errs := make([]error, sent)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range areqs {
			areqs[i] = areqFor(demodata.YamadaJCB)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i], errs[i] = postAReqQuietly(app.URL, areqs[i])
			}()
		}
		close(start)
		wg.Wait()

		answered, refused, shed := 0, 0, 0
		var refusedIDs []string
		details := map[string]int{}
		for i, ares := range answers {
			if errs[i] != nil {
				t.Errorf("AReq %d: no answer: %v", i, errs[i])
				continue
			}
			areq := areqs[i]
			switch str(ares, "messageType") {
			case "ARes":
				answered++
				if str(ares, "dsTransID") != areq["dsTransID"] || str(ares, "acsTransID") == "" {
					t.Errorf("AReq %d answered with another transaction's ARes: %v", i, ares)
				}
			case "Erro":
				refused++
				refusedIDs = append(refusedIDs, areq["dsTransID"].(string))
				if str(ares, "errorCode") != "403" || str(ares, "errorComponent") != "A" || str(ares, "errorMessageType") != "AReq" ||
					str(ares, "messageVersion") != areq["messageVersion"] || str(ares, "errorDescription") == "" || str(ares, "errorDetail") == "" ||
					str(ares, "dsTransID") != areq["dsTransID"] || str(ares, "threeDSServerTransID") != areq["threeDSServerTransID"] {
					t.Errorf("AReq %d refused with %v, want a complete Erro 403 (transient failure) naming its transaction", i, ares)
				}
				if str(ares, "errorDetail") == "the ACS cannot answer in time for the moment" {
					shed++
				}
				details[str(ares, "errorDetail")]++
			default:
				t.Errorf("AReq %d answered %v", i, ares)
			}
		}
		if answered+refused != sent {
			t.Errorf("%d answered and %d refused of %d sent", answered, refused, sent)
		}
		if shed == 0 {
			t.Errorf("%d AReqs at once, %d answered, none refused at the gate", sent, answered)
		}
		if got := scrape(t, app).get("honnin_acs_areq_shed_total") - shedBefore; got != float64(shed) {
			t.Errorf("honnin_acs_areq_shed_total rose by %v, want the %d refusals at the gate", got, shed)
		}
		var stored int64
		for ids := range slices.Chunk(refusedIDs, 500) {
			var n int64
			app.DB.Model(&db.Challenge{}).Where("ds_trans_id IN ?", ids).Count(&n)
			stored += n
		}
		if stored != 0 {
			t.Errorf("%d of the %d refused AReqs left a stored transaction", stored, refused)
		}
		t.Logf("%d AReqs at once: %d answered, %d refused (%d at the gate); refusals by detail: %v", sent, answered, refused, shed, details)
	})
}

// TestACSLastingOverload: AReqs keep coming faster than Honnin can answer them, for several times
// HONNIN_AREQ_TIMEOUT (a database far away bounds what it sustains, whatever the machine's speed).
// Every AReq gets an answer, an ARes or a complete Erro 403 naming its transaction (no 500, no
// dropped connection); the gate refuses some (each counted in honnin_acs_areq_shed_total);
// every ARes has its stored row and no refused AReq left one (with the overload bound taken out, AReqs
// wait to their deadline, and in one run at 600/s with a database 20 ms away 70 refused there had
// left a stored transaction).
func TestACSLastingOverload(t *testing.T) {
	const timeout = 4 * time.Second
	dbURL, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	proxy, viaProxy := testkit.ProxyDatabase(t, dbURL)
	app := testkit.Start(t, testkit.Postgres, testkit.Options{DatabaseURL: viaProxy, DataDir: dir, Env: map[string]string{
		"HONNIN_AREQ_TIMEOUT": timeout.String(), "HONNIN_AREQ_LIMIT_PER_CARD": "1000000", "HONNIN_AREQ_LIMIT_PER_DS": "1000000"}})
	allowStorms(t, app)
	client := &http.Client{Timeout: 3 * timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 4096}}
	send := func(areq map[string]any) (map[string]any, error) {
		body, err := json.Marshal(areq)
		if err != nil {
			return nil, err
		}
		resp, err := client.Post(app.URL+"/3ds/areq", "application/json; charset=utf-8", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, fmt.Errorf("not a JSON answer: %w", err)
		}
		return out, nil
	}
	// 40 ms each way on every database round trip: at most 16 card reads at once, 80 ms each, bound
	// the AReqs to 200 a second on any machine; 300 a second come, an overload of a half at least,
	// and few enough that a busy machine still sends and refuses them.
	proxy.Delay(40 * time.Millisecond)
	// A warm server first: the pool open, the gate knowing what an AReq takes.
	var warm sync.WaitGroup
	for range 16 {
		warm.Go(func() {
			for range 8 {
				_, _ = send(areqFor(demodata.YamadaJCB))
			}
		})
	}
	warm.Wait()
	shedBefore := scrape(t, app).get("honnin_acs_areq_shed_total")
	const rate, length = 300, 2*timeout + 2*time.Second
	type sent struct {
		areq   map[string]any
		due    time.Duration
		answer map[string]any
		took   time.Duration
		err    error
	}
	all := make([]*sent, int(length.Seconds()*rate))
	var wg sync.WaitGroup
	start := time.Now()
	for i := range all {
		s := &sent{areq: areqFor(demodata.YamadaJCB), due: time.Duration(i) * time.Second / rate}
		all[i] = s
		time.Sleep(time.Until(start.Add(s.due)))
		wg.Go(func() {
			s.answer, s.err = send(s.areq)
			s.took = time.Since(start.Add(s.due))
		})
	}
	wg.Wait()
	proxy.Delay(0)

	answered, refused, shed := 0, 0, 0
	var answeredIDs, refusedIDs []string
	var lateARes []time.Duration // the ARes of AReqs due once the overload was older than twice the timeout
	for i, s := range all {
		if s.err != nil {
			t.Errorf("AReq %d: no answer: %v", i, s.err)
			continue
		}
		ares, areq := s.answer, s.areq
		switch {
		case str(ares, "messageType") == "ARes" && str(ares, "dsTransID") == areq["dsTransID"] && str(ares, "acsTransID") != "":
			answered++
			answeredIDs = append(answeredIDs, str(ares, "acsTransID"))
			if s.due >= 2*timeout {
				lateARes = append(lateARes, s.took)
			}
		case isErro403(ares) && str(ares, "errorComponent") == "A" && str(ares, "errorMessageType") == "AReq" &&
			str(ares, "messageVersion") == areq["messageVersion"] && str(ares, "errorDescription") != "" && str(ares, "errorDetail") != "" &&
			str(ares, "dsTransID") == areq["dsTransID"] && str(ares, "threeDSServerTransID") == areq["threeDSServerTransID"]:
			refused++
			refusedIDs = append(refusedIDs, areq["dsTransID"].(string))
			if str(ares, "errorDetail") == "the ACS cannot answer in time for the moment" {
				shed++
			}
		default:
			t.Errorf("AReq %d answered %v, want its ARes or a complete Erro 403 naming its transaction", i, ares)
		}
	}
	t.Logf("%d AReqs at %d/s: %d ARes, %d Erro 403 (%d refused at the gate)", len(all), rate, answered, refused, shed)
	if answered == 0 || shed == 0 {
		t.Fatalf("%d ARes and %d refused at the gate: not an overload the gate answered", answered, shed)
	}
	if got := scrape(t, app).get("honnin_acs_areq_shed_total") - shedBefore; got != float64(shed) {
		t.Errorf("honnin_acs_areq_shed_total rose by %v, want the %d refusals at the gate", got, shed)
	}
	var stored, storedRefused int64
	for ids := range slices.Chunk(answeredIDs, 500) {
		var n int64
		app.DB.Model(&db.Challenge{}).Where("acs_trans_id IN ?", ids).Count(&n)
		stored += n
	}
	for ids := range slices.Chunk(refusedIDs, 500) {
		var n int64
		app.DB.Model(&db.Challenge{}).Where("ds_trans_id IN ?", ids).Count(&n)
		storedRefused += n
	}
	if stored != int64(answered) {
		t.Errorf("%d of %d ARes have their stored row", stored, answered)
	}
	if storedRefused != 0 {
		t.Errorf("%d of the %d refused AReqs left a stored transaction", storedRefused, refused)
	}
	// What the bound changes is time: the ARes of the AReqs due once the overload was older than
	// twice the timeout came 1.7 s after they were due (median) with the bound at a quarter of the
	// timeout, 4.0 s with it taken out (at the deadline; more were answered, 1,191 against 842). On a
	// busy machine the sender's own lateness moves that figure by seconds (6.1 s in one run with the
	// bound in), so it is logged, not asserted.
	if len(lateARes) > 0 {
		slices.Sort(lateARes)
		t.Logf("the ARes of the AReqs due from %v: median %v, p90 %v, max %v", 2*timeout, lateARes[len(lateARes)/2],
			lateARes[len(lateARes)*9/10], lateARes[len(lateARes)-1])
	}
}
