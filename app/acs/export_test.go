package acs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
)

// CodeFlow drives one challenge through its forms for the code step's tests in package acs_test,
// which run on both databases (tests/testkit opens them; it cannot be imported from package acs).
type CodeFlow struct {
	f    *fixture
	s    step
	ARes *emv.ARes
	// Now is the time the next answer is sent at.
	Now time.Time
}

// Page is what a form answer showed: the kind of page and its message keys.
type Page struct {
	Kind             string // form, code, final, locked, problem
	ErrorKey         string
	InfoKey, NoteKey string
	TriesLeft        int
	MaskedAddress    string
	IDOnly           bool
	CanResend        bool
}

// NewCodeFlow sets the issuer's code policy (and the rules' codeFrom) on a fresh database with the
// demo data; AReq then sends the AReq, and Open shows the challenge's first form.
func NewCodeFlow(t *testing.T, gdb *gorm.DB, policy credentials.CodePolicy, codeFrom int) *CodeFlow {
	t.Helper()
	f := newFixtureOn(t, gdb)
	f.Notices = &mail.Outbox{Sealer: f.Sealer, Names: mail.Names{Issuer: "日専連静岡", Portal: "My日専連静岡", SupportPhone: "0120-000-000", Host: "acs.example"}}
	f.Checker.Notices = f.Notices
	rules := f.rules()
	rules.CodeFrom = codeFrom
	f.Risk = risk.Static(rules)
	if _, err := credentials.StoreCodePolicy(gdb, policy); err != nil {
		t.Fatal(err)
	}
	return &CodeFlow{f: f, Now: f.now}
}

// AReq sends an AReq for pan whose challenge the requestor mandates.
func (c *CodeFlow) AReq(t *testing.T, pan string) *CodeFlow {
	t.Helper()
	c.ARes, _ = c.f.aresFor(t, pan, nil)
	return c
}

// Open sends the first CReq.
func (c *CodeFlow) Open(t *testing.T) Page {
	t.Helper()
	s, err := c.f.showChallenge(c.f.ctx, creq(c.ARes), "session-data", c.Now, browser)
	if err != nil {
		t.Fatal(err)
	}
	return c.took(s)
}

// Answer submits the first form (the password is ignored by a code-only challenge).
func (c *CodeFlow) Answer(t *testing.T, loginID, password string) Page {
	return c.send(t, answer{LoginID: loginID, Password: password})
}

// Code submits the code form with code.
func (c *CodeFlow) Code(t *testing.T, code string) Page { return c.send(t, answer{Code: code}) }

// Resend asks for a new code.
func (c *CodeFlow) Resend(t *testing.T) Page { return c.send(t, answer{Resend: true}) }

// Token is the live form token; Replay sends a code with an earlier token (a form sent again).
func (c *CodeFlow) Token() string { return c.s.token }

// ResendWith asks for a new code with a given form token (parallel tabs of one form).
func (c *CodeFlow) ResendWith(t *testing.T, token string) Page {
	return c.send(t, answer{Token: token, Resend: true})
}

// Replay sends code with a form token the page had before.
func (c *CodeFlow) Replay(t *testing.T, token, code string) Page {
	return c.send(t, answer{Token: token, Code: code})
}

func (c *CodeFlow) send(t *testing.T, ans answer) Page {
	t.Helper()
	ans.ACSTransID = c.ARes.ACSTransID
	if ans.Token == "" {
		ans.Token = c.s.token
	}
	s, err := c.f.submitAnswer(c.f.ctx, ans, c.Now, browser)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return c.took(s)
}

func (c *CodeFlow) took(s step) Page {
	if s.token != "" {
		c.s = s
	}
	kind := map[stepKind]string{stepForm: "form", stepCode: "code", stepFinal: "final", stepLocked: "locked", stepProblem: "problem"}[s.kind]
	if s.kind == stepProblem {
		return Page{Kind: kind, ErrorKey: s.problemKey}
	}
	return Page{Kind: kind, ErrorKey: s.errorKey, InfoKey: s.infoKey, NoteKey: s.noteKey, TriesLeft: s.triesLeft,
		MaskedAddress: s.maskedAddress, IDOnly: s.idOnly, CanResend: s.resendable}
}

// Row is the challenge as stored.
func (c *CodeFlow) Row(t *testing.T) *db.Challenge { return c.f.row(t, c.ARes.ACSTransID) }

// RReqs are the RReqs written for the challenge.
func (c *CodeFlow) RReqs(t *testing.T) []emv.RReq { return c.f.outbox(t, c.ARes.ACSTransID) }

var mailedCode = regexp.MustCompile(`(?:認証コード：|Code: )(\d{6})`)

// Mails returns the challenge code mails written so far, newest first, opened: address and body.
func (c *CodeFlow) Mails(t *testing.T) [][2]string {
	t.Helper()
	var rows []db.MailNotice
	if err := c.f.DB.Where("kind = ?", string(mail.KindChallengeCode)).Order("id DESC").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([][2]string, len(rows))
	for i, r := range rows {
		addr, err := c.f.Sealer.Open(r.AddressSealed, r.KeyVersion, mail.PurposeAddress)
		if err != nil {
			t.Fatal(err)
		}
		body, err := c.f.Sealer.Open(r.BodySealed, r.KeyVersion, mail.PurposeBody)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = [2]string{string(addr), string(body)}
	}
	return out
}

// LastCode is the code of the newest challenge code mail.
func (c *CodeFlow) LastCode(t *testing.T) string {
	t.Helper()
	mails := c.Mails(t)
	if len(mails) == 0 {
		t.Fatal("no code mail was written")
	}
	m := mailedCode.FindStringSubmatch(mails[0][1])
	if m == nil {
		t.Fatalf("a code mail without a code:\n%s", mails[0][1])
	}
	return m[1]
}

// LockThreshold is the fixture's lockout threshold.
func (c *CodeFlow) LockThreshold() int { return c.f.Checker.Policy.Threshold }

// Code rules, for the tests.
const (
	CodeValidity  = codeValidity
	CodeResendGap = codeResendGap
	CodeTries     = codeTries
)

// DB is the flow's database.
func (c *CodeFlow) DB() *gorm.DB { return c.f.DB }

// The batched facts write, for the tests of package acs_test (which need the testkit's databases, and
// the testkit imports this package).
type (
	AReqFacts       = areqFacts
	RiskAsk         = riskAsk
	AReqFactsResult = areqFactsResult
)

var WriteAReqFacts = writeAReqFacts

// ChallengeColumns are the columns the AReq's written-out row insert names.
var ChallengeColumns = challengeColumns

// GatedAReq sends one AReq for Yamada's JCB card on gdb (migrated, without demo data) with the
// gate's average set to rest and the deadline left from now, and reports the answer and whether its
// transaction row was stored: for the gate's tests on both databases.
func GatedAReq(t *testing.T, gdb *gorm.DB, rest, left time.Duration) (ares *emv.ARes, erro *emv.Erro, stored bool) {
	t.Helper()
	f := newFixtureOn(t, gdb)
	f.gate.rest.Store(int64(rest))
	req := testAReq(t, demodata.YamadaJCB, nil)
	ctx, cancel := context.WithTimeout(context.Background(), left)
	defer cancel()
	ares, erro = f.authenticate(ctx, req, OpenDS, f.now)
	var n int64
	if err := gdb.Model(&db.Challenge{}).Where("ds_trans_id = ?", req.DSTransID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return ares, erro, n > 0
}

// ChallengeStepStatements runs one challenge on gdb (migrated, without demo data), its first CReq and
// an answer with password, and counts the SQL statements of each.
func ChallengeStepStatements(t *testing.T, gdb *gorm.DB, password string) (page, answer uint64) {
	t.Helper()
	f := newFixtureOn(t, gdb)
	ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
	ctx, pageCount := db.CountStatements(f.ctx)
	s, err := f.showChallenge(ctx, creq(ares), "session-data", f.now, browser)
	if err != nil || s.kind != stepForm {
		t.Fatalf("no form: %+v, %v", s, err)
	}
	ctx, answerCount := db.CountStatements(f.ctx)
	if _, err := f.submitAnswer(ctx, answerTo(s, "yamada01", password), f.now, browser); err != nil {
		t.Fatal(err)
	}
	return pageCount.Load(), answerCount.Load()
}

// OverdueSQL is the sweeper's look for overdue challenges, for its plan's test in package acs_test.
var OverdueSQL = overdueSQL

// FindCardRead returns the AReq's card read of a demo card on gdb (with the demo data), for
// BenchmarkFindCard on both databases.
func FindCardRead(t *testing.T, gdb *gorm.DB) func(ctx context.Context) error {
	f := newFixtureOn(t, gdb)
	pan := security.PAN(demodata.YamadaJCB)
	hash := f.Sealer.PANHash(pan)
	return func(ctx context.Context) error {
		_, err := f.findCard(ctx, pan, hash)
		return err
	}
}

// FindCardUnderOldHashKey stores a demo card's look-up hash under hash key 1 and looks the card up
// with hash keys 1 and 2 configured, 2 current (the card not yet re-derived by `honnin keys rotate`),
// and then with key 2 alone.
func FindCardUnderOldHashKey(t *testing.T, gdb *gorm.DB) (withOld, withoutOld *db.Card, err error) {
	f := newFixtureOn(t, gdb)
	seal, k1, k2 := make([]byte, 32), make([]byte, 32), make([]byte, 32)
	k1[0], k2[0] = 1, 2
	pan := security.PAN(demodata.YamadaJCB)
	old, err := security.NewSealer(1, map[int][]byte{1: seal}, k1)
	if err != nil {
		t.Fatal(err)
	}
	if err := gdb.Model(&db.Card{}).Where("pan_hash = ?", f.Sealer.PANHash(pan)).Update("pan_hash", old.PANHash(pan)).Error; err != nil {
		t.Fatal(err)
	}
	both, err := security.NewVersionedSealer(1, map[int][]byte{1: seal}, 2, map[int][]byte{1: k1, 2: k2})
	if err != nil {
		t.Fatal(err)
	}
	newOnly, err := security.NewVersionedSealer(1, map[int][]byte{1: seal}, 2, map[int][]byte{2: k2})
	if err != nil {
		t.Fatal(err)
	}
	f.Sealer = both
	if withOld, err = f.findCard(f.ctx, pan, both.PANHash(pan)); err != nil {
		return nil, nil, err
	}
	f.Sealer = newOnly
	withoutOld, err = f.findCard(f.ctx, pan, newOnly.PANHash(pan))
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = nil
	}
	return withOld, withoutOld, err
}

// ackDS acknowledges every RReq and counts them by transaction; deliveries run concurrently.
type ackDS struct {
	mu   sync.Mutex
	sent map[string]int
}

func (d *ackDS) Do(r *http.Request) (*http.Response, error) {
	var rreq emv.RReq
	if err := json.NewDecoder(r.Body).Decode(&rreq); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.sent[rreq.ACSTransID]++
	d.mu.Unlock()
	body := `{"messageType":"RRes","messageVersion":"2.2.0","acsTransID":"` + rreq.ACSTransID + `","resultsStatus":"01"}`
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}, nil
}

// HandedEnding is an ending's RReq as stored, how many times it was sent, and when its challenge
// ended (finished_at).
type HandedEnding struct {
	Row   db.OutboxMessage
	Sent  int
	Ended time.Time
}

// EndingsAroundTheOutboxWorker ends challenges on gdb (with the demo data) against a Directory
// Server that acknowledges every RReq: a right answer and a cancel while this node's outbox worker
// runs; one whose node stopped after its commit, before its delivery (written claimed, never handed
// over); and one after the worker stopped. It returns each ending's RReq as stored once the worker
// stopped, and how many times it was sent, in that order.
func EndingsAroundTheOutboxWorker(t *testing.T, gdb *gorm.DB) []HandedEnding {
	t.Helper()
	f := newFixtureOn(t, gdb)
	f.Config.RReqRetryMin, f.Config.RReqRetryMax = time.Second, time.Minute
	ds := &ackDS{sent: map[string]int{}}
	f.client = ds
	ctx, stop := context.WithCancel(f.ctx)
	stopped := make(chan struct{})
	go func() { f.runOutbox(ctx); close(stopped) }()
	for f.handOff.lease() == 0 {
		time.Sleep(time.Millisecond)
	}
	var ids []string
	_, s := f.opened(t, demodata.YamadaJCB)
	if got := f.submit(t, s, "yamada01", "fuji-san-2026", false); got.kind != stepFinal {
		t.Fatalf("the right answer did not end the challenge: %+v", got)
	}
	ids = append(ids, s.ch.ACSTransID)
	_, s = f.opened(t, demodata.YamadaVisa)
	f.submit(t, s, "", "", true)
	ids = append(ids, s.ch.ACSTransID)
	_, s = f.opened(t, demodata.YamadaJCB)
	if ended, _, err := finish(f.ctx, f.DB, s.ch.ACSTransID, guard{states: open}, resultCancelled, nil,
		rreqTo{url: f.rreqURL, lease: outboxLease}, browser); ended == nil || err != nil {
		t.Fatalf("the ending of a node that then stopped: %v", err)
	}
	ids = append(ids, s.ch.ACSTransID)
	// The worker's own rounds (at once and on its ticks) must not send what the endings hand over.
	if _, err := f.deliverDue(f.ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	<-stopped
	_, s = f.opened(t, demodata.YamadaVisa)
	f.submit(t, s, "", "", true)
	ids = append(ids, s.ch.ACSTransID)

	out := make([]HandedEnding, len(ids))
	for i, id := range ids {
		if err := f.DB.Where("acs_trans_id = ?", id).Take(&out[i].Row).Error; err != nil {
			t.Fatal(err)
		}
		out[i].Ended = *f.row(t, id).FinishedAt
		ds.mu.Lock()
		out[i].Sent = ds.sent[id]
		ds.mu.Unlock()
	}
	return out
}

// EndingCutShort ends a challenge on gdb (with the demo data) as an ending whose caller did not learn
// that it committed: its RReq written claimed, never handed over. It then gives releaseUncertain
// first the RReq of another ending of that challenge (a lease a microsecond later: another node's),
// then its own, and returns the stored RReq after each.
func EndingCutShort(t *testing.T, gdb *gorm.DB) (afterOther, afterOwn db.OutboxMessage) {
	t.Helper()
	f := newFixtureOn(t, gdb)
	_, s := f.opened(t, demodata.YamadaJCB)
	ended, rreq, err := finish(f.ctx, f.DB, s.ch.ACSTransID, guard{states: open}, resultCancelled, nil, rreqTo{url: f.rreqURL, lease: outboxLease}, browser)
	if ended == nil || err != nil {
		t.Fatalf("the ending: %v", err)
	}
	stored := func() db.OutboxMessage {
		var m db.OutboxMessage
		if err := f.DB.Where("acs_trans_id = ?", s.ch.ACSTransID).Take(&m).Error; err != nil {
			t.Fatal(err)
		}
		return m
	}
	other := *rreq
	other.NextAttemptAt = other.NextAttemptAt.Add(time.Microsecond)
	f.releaseUncertain(&other)
	afterOther = stored()
	f.releaseUncertain(rreq)
	return afterOther, stored()
}

// heldDS is a Directory Server that holds every RReq until released, counting those it holds at once.
type heldDS struct {
	ackDS
	release          chan struct{}
	inFlight, topped int
}

func (d *heldDS) Do(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.inFlight++
	d.topped = max(d.topped, d.inFlight)
	d.mu.Unlock()
	<-d.release
	d.mu.Lock()
	d.inFlight--
	d.mu.Unlock()
	return d.ackDS.Do(r)
}

// HandOffPastItsBound ends n challenges on gdb (with the demo data) while this node's outbox worker
// runs and the Directory Server holds every RReq: it returns the most RReqs the server held at once
// (the hand-off's and the worker's), then, once the server answers again and every RReq is delivered
// (or 15 s have passed), how many times each was sent.
func HandOffPastItsBound(t *testing.T, gdb *gorm.DB, n int) (held int, sent []int) {
	t.Helper()
	f := newFixtureOn(t, gdb)
	f.Config.RReqRetryMin, f.Config.RReqRetryMax = time.Second, time.Minute
	ds := &heldDS{ackDS: ackDS{sent: map[string]int{}}, release: make(chan struct{})}
	f.client = ds
	ctx, stop := context.WithCancel(f.ctx)
	stopped := make(chan struct{})
	go func() { f.runOutbox(ctx); close(stopped) }()
	defer func() { stop(); <-stopped }()
	for f.handOff.lease() == 0 {
		time.Sleep(time.Millisecond)
	}
	var ids []string
	for i := range n {
		_, s := f.opened(t, []string{demodata.YamadaJCB, demodata.YamadaVisa}[i%2])
		f.submit(t, s, "", "", true)
		ids = append(ids, s.ch.ACSTransID)
	}
	// The worker takes what the hand-off gave back on its signal or its next tick.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ds.mu.Lock()
		full := ds.inFlight >= min(n, 2*outboxBatch)
		ds.mu.Unlock()
		if full {
			break
		}
	}
	ds.mu.Lock()
	held = ds.topped
	ds.mu.Unlock()
	close(ds.release)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var open int64
		if err := f.DB.Model(&db.OutboxMessage{}).Where("acs_trans_id IN ? AND delivered_at IS NULL", ids).Count(&open).Error; err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	for _, id := range ids {
		sent = append(sent, ds.sent[id])
	}
	return held, sent
}

// OutboxBatch is how many RReqs the outbox's worker claims at once, and the endings' hand-off sends.
const OutboxBatch = outboxBatch
