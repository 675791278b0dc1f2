package acs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/db"
)

// succeed opens a challenge for an ARes and answers it with Yamada's ID and password (trusting the
// merchant when asked), and returns the finished row.
func (f *fixture) succeed(t *testing.T, ares *emv.ARes, trust bool) *db.Challenge {
	t.Helper()
	if ares.TransStatus != emv.StatusC {
		t.Fatalf("no challenge: %+v", ares)
	}
	s, err := f.showChallenge(f.ctx, creq(ares), "sd", f.now, browser)
	if err != nil || s.kind != stepForm {
		t.Fatalf("no form: %+v, %v", s, err)
	}
	done, err := f.submitAnswer(f.ctx, answer{ACSTransID: ares.ACSTransID, Token: s.token, LoginID: "yamada01",
		Password: "fuji-san-2026", TrustMerchant: trust}, f.now, browser)
	if err != nil || done.kind != stepFinal || done.ch.State != db.ChallengeSucceeded {
		t.Fatalf("challenge did not succeed: %+v, %v", done, err)
	}
	return done.ch
}

// storedFacts reads the facts stored with ch into fresh Facts: a field left out (at its zero value)
// must not keep what an earlier read found.
func storedFacts(t *testing.T, ch *db.Challenge) risk.Facts {
	t.Helper()
	var facts risk.Facts
	if err := json.Unmarshal([]byte(ch.RiskFacts), &facts); err != nil {
		t.Fatalf("risk_facts %q: %v", ch.RiskFacts, err)
	}
	return facts
}

func firedSignals(t *testing.T, ch *db.Challenge) map[risk.Signal]bool {
	t.Helper()
	var fired []risk.Fired
	if err := json.Unmarshal([]byte(ch.RiskFired), &fired); err != nil {
		t.Fatalf("risk_fired %q: %v", ch.RiskFired, err)
	}
	out := map[risk.Signal]bool{}
	for _, x := range fired {
		out[x.Signal] = true
	}
	return out
}

func TestFrictionlessAfterAChallengeFromTheSameDevice(t *testing.T) {
	f := newRiskFixture(t)
	ares, ch := f.aresFor(t, demodata.YamadaJCB, nil)
	if ares.TransStatus != emv.StatusC || ares.ECI != "" || ares.AuthenticationValue != "" {
		t.Fatalf("first purchase from a new device: %+v, want C", ares)
	}
	fired := firedSignals(t, ch)
	if !fired[risk.SignalNewDevice] || !fired[risk.SignalNewMerchant] || !fired[risk.SignalNoMethodData] || ch.RiskScore == nil || *ch.RiskScore != 80 {
		t.Fatalf("stored signals %s score %v, want new device, new merchant, no method data = 80", ch.RiskFired, ch.RiskScore)
	}
	f.succeed(t, ares, false)
	var known db.KnownDevice
	if err := f.DB.Where("card_id = ? AND device_hash = ?", *ch.CardID, ch.DeviceHash).Take(&known).Error; err != nil {
		t.Fatalf("the device is not known after the challenge: %v", err)
	}
	// The challenge ends at the clock's now, not the fixture's.
	if want := db.Now().AddDate(0, 0, risk.DefaultRules().DeviceTrustDays); known.ExpiresAt.After(want) || known.ExpiresAt.Before(want.Add(-time.Minute)) {
		t.Fatalf("known until %v, want %v", known.ExpiresAt, want)
	}

	ares, ch = f.aresFor(t, demodata.YamadaJCB, nil)
	if ares.TransStatus != emv.StatusY || ares.ECI != emv.ECIAuthenticated || len(ares.AuthenticationValue) != 28 {
		t.Fatalf("same device and merchant: %+v, want frictionless Y with ECI 05 and a value", ares)
	}
	if ch.State != db.ChallengeAnswered || ch.AuthenticationValue != ares.AuthenticationValue || ch.RiskScore == nil || *ch.RiskScore != 25 {
		t.Fatalf("stored row: state %s av %q score %v", ch.State, ch.AuthenticationValue, ch.RiskScore)
	}
	if n := len(f.outbox(t, ares.ACSTransID)); n != 0 {
		t.Fatalf("a frictionless ARes wrote %d RReqs, want none", n)
	}
	v, err := f.verifyAV(f.ctx, avCheck{AcctNumber: demodata.YamadaJCB, AuthenticationValue: ares.AuthenticationValue, ECI: "05",
		PurchaseAmount: "5000", PurchaseCurrency: "392"}, f.now)
	if err != nil || v.Result != "passed" || v.ResultCode != "2" {
		t.Fatalf("verify: %+v, %v", v, err)
	}

	// A large amount from the same device is challenged; so is another browser.
	if ares, _ := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["purchaseAmount"] = "30001" }); ares.TransStatus != emv.StatusC {
		t.Fatalf("large amount: %s, want C", ares.TransStatus)
	}
	if ares, _ := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["browserUserAgent"] = "another browser" }); ares.TransStatus != emv.StatusC {
		t.Fatalf("new device: %s, want C", ares.TransStatus)
	}
	// Informational on 2.2.0 for 06 at low risk: no value.
	ares, _ = f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "06" })
	if ares.TransStatus != emv.StatusI || ares.AuthenticationValue != "" || ares.ECI != "" {
		t.Fatalf("06: %+v, want I without a value", ares)
	}
	// The requestor's mandate is a challenge, whatever the risk.
	if ares, _ := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "04" }); ares.TransStatus != emv.StatusC {
		t.Fatalf("04: %s, want C", ares.TransStatus)
	}
}

func TestMethodDataClaimedOnce(t *testing.T) {
	f := newRiskFixture(t)
	transID := uuid.NewString()
	data, _ := json.Marshal(risk.MethodData{TimeZone: "Asia/Tokyo", TZOffset: -540, ScreenWidth: 1440, ScreenHeight: 900, ColorDepth: 24})
	if err := f.DB.Create(&db.DeviceData{ThreeDSServerTransID: transID, Data: string(data), ExpiresAt: f.now.Add(5 * time.Minute)}).Error; err != nil {
		t.Fatal(err)
	}
	withMethod := func(comp string) func(m map[string]any) {
		return func(m map[string]any) { m["threeDSServerTransID"], m["threeDSCompInd"] = transID, comp }
	}
	// threeDSCompInd N: the data are not used (and stay for the sweeper).
	_, ch := f.aresFor(t, demodata.YamadaJCB, withMethod("N"))
	if !firedSignals(t, ch)[risk.SignalNoMethodData] {
		t.Fatalf("compInd N used the method data: %s", ch.RiskFired)
	}
	_, ch = f.aresFor(t, demodata.YamadaJCB, withMethod("Y"))
	if firedSignals(t, ch)[risk.SignalNoMethodData] {
		t.Fatalf("compInd Y did not find the method data: %s", ch.RiskFired)
	}
	var left int64
	f.DB.Model(&db.DeviceData{}).Where("three_ds_server_trans_id = ?", transID).Count(&left)
	if left != 0 {
		t.Fatal("claimed device data are still stored")
	}
	_, again := f.aresFor(t, demodata.YamadaJCB, withMethod("Y"))
	if !firedSignals(t, again)[risk.SignalNoMethodData] || again.DeviceHash == ch.DeviceHash {
		t.Fatalf("a second AReq with the same transaction used the data again: %s", again.RiskFired)
	}
	// Expired data are not used.
	late := uuid.NewString()
	f.DB.Create(&db.DeviceData{ThreeDSServerTransID: late, Data: string(data), ExpiresAt: f.now.Add(-time.Second)})
	_, ch = f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["threeDSServerTransID"], m["threeDSCompInd"] = late, "Y" })
	if !firedSignals(t, ch)[risk.SignalNoMethodData] {
		t.Fatal("expired device data were used")
	}
}

func TestTrustListOn220(t *testing.T) {
	f := newRiskFixture(t)
	prompt := func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "09" }
	ares, ch := f.aresFor(t, demodata.YamadaJCB, prompt)
	if ares.TransStatus != emv.StatusC || ares.WhiteListStatus != emv.WhiteListNotTrusted || ares.WhiteListStatusSource != emv.WhiteListSourceACS {
		t.Fatalf("09: %+v, want C with whiteListStatus N from the ACS", ares)
	}
	if !trustOffered(ch) {
		t.Fatal("the challenge page does not offer to trust the shop")
	}
	done := f.succeed(t, ares, true)
	if cres := buildCRes(done); cres.WhiteListStatus != emv.WhiteListTrusted || cres.WhiteListStatusSource != emv.WhiteListSourceACS {
		t.Fatalf("CRes %+v, want whiteListStatus Y from the ACS", cres)
	}
	if rreqs := f.outbox(t, ares.ACSTransID); len(rreqs) != 1 || rreqs[0].WhiteListStatus != emv.WhiteListTrusted || rreqs[0].WhiteListStatusSource != emv.WhiteListSourceACS {
		t.Fatalf("RReq %+v, want whiteListStatus Y from the ACS", rreqs)
	}
	var trusted db.TrustedMerchant
	if err := f.DB.Where("card_id = ?", *ch.CardID).Take(&trusted).Error; err != nil || trusted.MerchantName != "Shop" {
		t.Fatalf("trusted merchant: %+v, %v", trusted, err)
	}

	// Later, from a new device, with 08: the trust list offsets the new device.
	fresh := func(m map[string]any) {
		m["threeDSRequestorChallengeInd"], m["browserUserAgent"] = "08", "a new browser"
	}
	ares, _ = f.aresFor(t, demodata.YamadaJCB, fresh)
	if ares.TransStatus != emv.StatusY || ares.WhiteListStatus != emv.WhiteListTrusted || ares.WhiteListStatusSource != emv.WhiteListSourceACS {
		t.Fatalf("08 at a trusted shop: %+v, want frictionless Y with whiteListStatus Y", ares)
	}
	// Without 08 the trust list is not used.
	ares, _ = f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["browserUserAgent"] = "a new browser" })
	if ares.TransStatus != emv.StatusC {
		t.Fatalf("01 from a new device at a trusted shop: %s, want C", ares.TransStatus)
	}
	// 2.1.0 never carries the trust list.
	ares, _ = f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) {
		m["messageVersion"], m["threeDSRequestorChallengeInd"] = "2.1.0", "03"
		delete(m, "browserJavascriptEnabled")
		delete(m, "threeDSRequestorAuthenticationInd")
	})
	if ares.WhiteListStatus != "" || ares.WhiteListStatusSource != "" {
		t.Fatalf("2.1.0 ARes carries the trust list: %+v", ares)
	}
}

func TestTrustNotOfferedWithout09(t *testing.T) {
	f := newRiskFixture(t)
	ares, ch := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "03" })
	if ares.WhiteListStatus != "" || trustOffered(ch) {
		t.Fatalf("03: whiteListStatus %q, offered %v", ares.WhiteListStatus, trustOffered(ch))
	}
	// A forged trustMerchant field does not trust the shop.
	f.succeed(t, ares, true)
	var n int64
	f.DB.Model(&db.TrustedMerchant{}).Count(&n)
	if n != 0 {
		t.Fatal("a shop was trusted without the prompt")
	}
}

func TestCardCounters(t *testing.T) {
	f := newRiskFixture(t)
	var last *db.Challenge
	for _, merchant := range []string{"M1", "M2", "M2", "M3"} {
		_, last = f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) {
			m["acquirerMerchantID"], m["purchaseAmount"] = merchant, "300"
		})
	}
	facts := storedFacts(t, last)
	if facts.AReqsHour != 4 || facts.AReqsDay != 4 || facts.SmallAmountsHour != 4 || facts.MerchantsHour != 3 {
		t.Fatalf("counters: hour %d day %d small %d merchants %d, want 4 4 4 3", facts.AReqsHour, facts.AReqsDay, facts.SmallAmountsHour, facts.MerchantsHour)
	}
	if !firedSignals(t, last)[risk.SignalCardTestingAmounts] {
		t.Fatalf("4 small amounts in an hour: %s, want card testing", last.RiskFired)
	}
	// The next hour starts new hour windows; the day goes on.
	f.now = f.now.Truncate(time.Hour).Add(time.Hour)
	_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
	facts = storedFacts(t, ch)
	if facts.AReqsHour != 1 || facts.SmallAmountsHour != 0 || facts.MerchantsHour != 1 || (facts.AReqsDay != 5 && f.now.Hour() != 0) {
		t.Fatalf("next hour: %+v", facts)
	}
}

func TestFailedChallengeCounts(t *testing.T) {
	f := newRiskFixture(t)
	ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
	s, err := f.showChallenge(f.ctx, creq(ares), "sd", f.now, browser)
	if err != nil {
		t.Fatal(err)
	}
	for range testTries {
		s = f.submit(t, s, "yamada01", "wrong-password", false)
	}
	if s.kind != stepFinal || s.ch.State != db.ChallengeFailed {
		t.Fatalf("after %d wrong answers: %+v", testTries, s)
	}
	_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
	facts := storedFacts(t, ch)
	if facts.FailedChallenges24h != 1 || !firedSignals(t, ch)[risk.SignalRecentFailures] {
		t.Fatalf("after a failed challenge: failures %d, fired %s", facts.FailedChallenges24h, ch.RiskFired)
	}
	f.now = f.now.Add(25 * time.Hour)
	_, ch = f.aresFor(t, demodata.YamadaJCB, nil)
	if facts := storedFacts(t, ch); facts.FailedChallenges24h != 0 {
		t.Fatalf("a day later: failures %d, want 0", facts.FailedChallenges24h)
	}
}

func TestAReqAcctInfoReachesTheFacts(t *testing.T) {
	f := newRiskFixture(t)
	_, ch := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) {
		m["addrMatch"] = "N"
		m["acctInfo"] = map[string]any{"shipAddressUsageInd": "01", "chAccAgeInd": "02", "suspiciousAccActivity": "02"}
		m["merchantCountryCode"] = "840"
	})
	fired := firedSignals(t, ch)
	for _, s := range []risk.Signal{risk.SignalAddressMismatch, risk.SignalNewShippingAddress, risk.SignalNewAccount,
		risk.SignalSuspiciousAccount, risk.SignalForeignMerchant} {
		if !fired[s] {
			t.Errorf("%s did not fire: %s", s, ch.RiskFired)
		}
	}
	if ch.TransStatus != string(emv.StatusN) || ch.TransStatusReason != string(emv.ReasonSuspectedFraud) {
		t.Errorf("decision %s/%s, want N/11", ch.TransStatus, ch.TransStatusReason)
	}
}

func TestTopSignalLabel(t *testing.T) {
	tests := []struct {
		fired []risk.Fired
		want  string
	}{
		{nil, "none"},
		{[]risk.Fired{{Signal: risk.SignalTrustedMerchant, Weight: -30}}, "none"},
		{[]risk.Fired{{Signal: risk.SignalNewMerchant, Weight: 15}, {Signal: risk.SignalNoMethodData, Weight: 25}}, "no_method_data"},
		{[]risk.Fired{{Signal: risk.SignalAmountOverThreshold, Weight: 40}, {Signal: risk.SignalNewDevice, Weight: 40}}, "amount_over_threshold"},
		{[]risk.Fired{{Signal: "made_up", Weight: 99}}, "none"},
	}
	for _, tt := range tests {
		if got := topSignal(tt.fired); got != tt.want {
			t.Errorf("topSignal(%v) = %q, want %q", tt.fired, got, tt.want)
		}
	}
}

// The member hears of each device and shop a challenge newly trusts, and of a frictionless purchase
// above the amount they chose, and of nothing else.
func TestRiskNotices(t *testing.T) {
	f := newRiskFixture(t)
	f.Notices = &mail.Outbox{Sealer: f.Sealer, Names: mail.Names{Issuer: "日専連静岡", Portal: "My日専連静岡", Host: "acs.example"}}
	notices := func(kind mail.Kind) int64 {
		var n int64
		if err := f.DB.Model(&db.MailNotice{}).Where("kind = ?", string(kind)).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	ares, ch := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "09" })
	if ares.TransStatus != emv.StatusC {
		t.Fatalf("first purchase: %s, want C", ares.TransStatus)
	}
	if err := f.DB.Model(&db.Member{}).Where("id = ?", *ch.MemberID).Update("notice_above_yen", 3000).Error; err != nil {
		t.Fatal(err)
	}
	f.succeed(t, ares, true)
	if n := notices(mail.KindTrusted); n != 2 {
		t.Fatalf("%d trusted notices after a new device and a trusted shop, want 2", n)
	}
	f.succeed(t, mustC(t, f, func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "04" }), false)
	if n := notices(mail.KindTrusted); n != 2 {
		t.Fatalf("%d trusted notices after a challenge from a known device, want still 2", n)
	}
	for _, tt := range []struct {
		amount string
		want   int64
	}{{"2000", 0}, {"5000", 1}} {
		ares, _ := f.aresFor(t, demodata.YamadaJCB, func(m map[string]any) { m["purchaseAmount"] = tt.amount })
		if ares.TransStatus != emv.StatusY {
			t.Fatalf("%s yen from the known device: %s, want Y", tt.amount, ares.TransStatus)
		}
		if n := notices(mail.KindPurchase); n != tt.want {
			t.Fatalf("after a frictionless %s yen: %d purchase notices, want %d", tt.amount, n, tt.want)
		}
	}
}

// mustC sends an AReq for Yamada's JCB card that must be challenged.
func mustC(t *testing.T, f *fixture, edit func(map[string]any)) *emv.ARes {
	t.Helper()
	ares, _ := f.aresFor(t, demodata.YamadaJCB, edit)
	if ares.TransStatus != emv.StatusC {
		t.Fatalf("ARes %s, want C", ares.TransStatus)
	}
	return ares
}

// A Directory Server that closed its request (the context is canceled) gets an Erro 403 that nobody
// reads, and no error in the log: nothing in Honnin broke. A deadline that passed is still an error.
func TestClosedAReqIsNotLoggedAsAnError(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ctx       func() context.Context
		wantError bool
	}{
		{"closed by the Directory Server", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, false},
		{"deadline passed", func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newRiskFixture(t)
			var log bytes.Buffer
			f.Log = slog.New(slog.NewTextHandler(&log, nil))
			ares, e := f.authenticate(tt.ctx(), testAReq(t, demodata.YamadaJCB, nil), OpenDS, f.now)
			if ares != nil || e == nil || e.ErrorCode != emv.ErrTransientFailure {
				t.Fatalf("ARes %+v, Erro %+v: want Erro %s", ares, e, emv.ErrTransientFailure)
			}
			if got := strings.Contains(log.String(), "level=ERROR"); got != tt.wantError {
				t.Errorf("logged an error: %v, want %v; log:\n%s", got, tt.wantError, log.String())
			}
		})
	}
}
