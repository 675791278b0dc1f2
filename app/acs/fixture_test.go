package acs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
)

// fixture is an ACS over a fresh SQLite database with the demo data, for the plain functions.
type fixture struct {
	*ACS
	ctx context.Context
	now time.Time
	// mandate makes every AReq of aresFor ask for a challenge (threeDSRequestorChallengeInd 04), and
	// the rules never refuse: the challenge's own tests start from a challenge whatever the history.
	mandate bool
}

// newRiskFixture is a fixture whose AReqs are decided by the default risk rules.
func newRiskFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.mandate, f.Risk = false, risk.Static(risk.DefaultRules())
	return f
}

const (
	testTries     = 3
	testCReqLimit = 30 * time.Second
	testAnswerFor = 10 * time.Minute
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gdb, err := db.Open("", t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, gdb)
}

// newFixtureOn is newFixture over a migrated database the caller opened (either backend).
func newFixtureOn(t *testing.T, gdb *gorm.DB) *fixture {
	t.Helper()
	key := func() []byte { b := make([]byte, 32); _, _ = rand.Read(b); return b }
	sealer, err := security.NewSealer(1, map[int][]byte{1: key()}, key())
	if err != nil {
		t.Fatal(err)
	}
	hasher := security.NewHasher(security.FastArgon2ForTests)
	if err := demodata.Seed(context.Background(), gdb, sealer, hasher, config.LegacyPersonalMessage); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{BaseURL: "https://acs.example", Demo: false, ChallengeTries: testTries, CReqTimeout: testCReqLimit,
		ChallengeTimeout: testAnswerFor, LockThreshold: 5, LockDuration: time.Hour, DSResultsURL: "https://ds.example/results",
		AReqTimeout: 5 * time.Second, AReqLimitPerCard: 1000, AReqLimitPerDS: 100_000, AReqLimitWindow: time.Minute}
	checker := &credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: cfg.LockThreshold, LockFor: cfg.LockDuration}}
	a := New(Deps{DB: gdb, Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Sealer: sealer, Hasher: hasher,
		AVKey: AVKeyring{Version: 1, Keys: map[int][]byte{1: key()}}, Checker: checker})
	never := risk.DefaultRules()
	never.DenyFrom, never.FrequencyLimitDay = 1<<30, 0
	a.Risk = risk.Static(never)
	return &fixture{ACS: a, ctx: context.Background(), now: db.Now(), mandate: true}
}

// testAReq is a valid 2.2.0 browser AReq for a payment with the card pan, as decodeAReq returns it.
func testAReq(t *testing.T, pan string, edit func(m map[string]any)) *emv.AReq {
	t.Helper()
	m := validAReq()
	m["acctNumber"] = pan
	m["threeDSServerTransID"], m["dsTransID"] = uuid.NewString(), uuid.NewString()
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	req, e := decodeAReq(b)
	if e != nil {
		t.Fatalf("test AReq refused: %+v", e)
	}
	return req
}

// aresFor sends an AReq for pan and returns the ARes and the stored challenge.
func (f *fixture) aresFor(t *testing.T, pan string, edit func(m map[string]any)) (*emv.ARes, *db.Challenge) {
	t.Helper()
	if f.mandate {
		given := edit
		edit = func(m map[string]any) {
			m["threeDSRequestorChallengeInd"] = "04"
			if given != nil {
				given(m)
			}
		}
	}
	ares, e := f.ACS.authenticate(f.ctx, testAReq(t, pan, edit), OpenDS, f.now)
	if e != nil {
		t.Fatalf("AReq answered Erro %+v", e)
	}
	return ares, f.row(t, ares.ACSTransID)
}

// row reads a challenge as stored now.
func (f *fixture) row(t *testing.T, acsTransID string) *db.Challenge {
	t.Helper()
	ch, err := f.load(f.ctx, acsTransID)
	if err != nil {
		t.Fatalf("challenge %s: %v", acsTransID, err)
	}
	return ch
}

// creq is the browser's CReq for an ARes.
func creq(ares *emv.ARes) *emv.CReq {
	return &emv.CReq{ThreeDSServerTransID: ares.ThreeDSServerTransID, ACSTransID: ares.ACSTransID, MessageType: emv.TypeCReq,
		MessageVersion: ares.MessageVersion, ChallengeWindowSize: "02"}
}

// browser is the shopper's browser in the fixture's requests.
var browser = eventOrigin{IP: "192.0.2.10", UserAgent: "Mozilla/5.0 (fixture)"}

// opened sends an AReq for pan and the first CReq: the challenge with its password form.
func (f *fixture) opened(t *testing.T, pan string) (*emv.ARes, step) {
	t.Helper()
	ares, _ := f.aresFor(t, pan, nil)
	if ares.TransStatus != emv.StatusC {
		t.Fatalf("no challenge for %s: %+v", pan, ares)
	}
	s, err := f.showChallenge(f.ctx, creq(ares), "session-data", f.now, browser)
	if err != nil || s.kind != stepForm || s.token == "" {
		t.Fatalf("no form: %+v, %v", s, err)
	}
	return ares, s
}

// submit answers a form.
func (f *fixture) submit(t *testing.T, s step, loginID, password string, cancel bool) step {
	t.Helper()
	got, err := f.submitAnswer(f.ctx, answer{ACSTransID: s.ch.ACSTransID, Token: s.token, LoginID: loginID, Password: password, Cancel: cancel}, f.now, browser)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return got
}

// outbox returns the RReqs written for a challenge.
func (f *fixture) outbox(t *testing.T, acsTransID string) []emv.RReq {
	t.Helper()
	var rows []db.OutboxMessage
	if err := f.DB.Where("acs_trans_id = ?", acsTransID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]emv.RReq, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal([]byte(r.Body), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
