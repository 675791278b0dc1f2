package acs

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
)

// every result the challenge can end with.
var allResults = map[string]result{
	"succeeded": resultSucceeded("AQIDBAUGBwgJCgsMDQ4PEBESExQ="), "cancelled": resultCancelled, "locked": resultLocked,
	"too many": resultTooMany, "expired before the CReq": resultExpired(db.ChallengeCreated),
	"expired while shown": resultExpired(db.ChallengeShown), "expired while checking": resultExpired(db.ChallengeChecking),
}

func TestResultsFollowTheDecisionTable(t *testing.T) {
	tests := []struct {
		name, state    string
		status, reason string
		cancel, eci    string
	}{
		{"succeeded", db.ChallengeSucceeded, "Y", "", "", "05"},
		{"cancelled", db.ChallengeCancelled, "N", "01", "01", ""},
		{"locked", db.ChallengeFailed, "N", "01", "", ""},
		{"too many", db.ChallengeFailed, "N", "19", "", ""},
		{"expired before the CReq", db.ChallengeExpired, "N", "14", "05", ""},
		{"expired while shown", db.ChallengeExpired, "N", "14", "04", ""},
		{"expired while checking", db.ChallengeExpired, "N", "14", "04", ""},
	}
	for _, tt := range tests {
		r := allResults[tt.name]
		if r.State != tt.state || string(r.TransStatus) != tt.status || string(r.Reason) != tt.reason || string(r.Cancel) != tt.cancel || string(r.ECI) != tt.eci {
			t.Errorf("%s: %+v", tt.name, r)
		}
		if terminal(r.State) == false {
			t.Errorf("%s ends in a state that is not terminal: %s", tt.name, r.State)
		}
	}
}

func TestTerminal(t *testing.T) {
	for state, want := range map[string]bool{
		db.ChallengeCreated: false, db.ChallengeShown: false, db.ChallengeChecking: false,
		db.ChallengeSucceeded: true, db.ChallengeFailed: true, db.ChallengeCancelled: true, db.ChallengeExpired: true, db.ChallengeAnswered: true,
	} {
		if terminal(state) != want {
			t.Errorf("terminal(%s) = %v", state, !want)
		}
	}
}

// TestEveryCodeTheACSSendsIsInItsList: every coded field of every message the ACS can emit (RReq and
// CRes for each way a challenge ends, in both versions; ARes for each row of the decision table; Erro
// for each code) holds a value of its code list in app/emv, which follows 3ds-notes.md.
func TestEveryCodeTheACSSendsIsInItsList(t *testing.T) {
	counter := regexp.MustCompile(`^[0-9]{2}$`)
	for name, r := range allResults {
		for _, version := range []string{emv.V210, emv.V220} {
			for _, tries := range []int{0, 1, 3, 150} {
				ch := &db.Challenge{ThreeDSServerTransID: "a", ACSTransID: "b", DSTransID: "c", MessageVersion: version, MessageCategory: "01",
					State: r.State, TransStatus: string(r.TransStatus), TransStatusReason: string(r.Reason), ChallengeCancel: string(r.Cancel),
					ECI: string(r.ECI), AuthenticationValue: r.AV, Tries: tries}
				rr := buildRReq(ch)
				in(t, name+" RReq messageType", rr.MessageType, emv.MessageTypes)
				in(t, name+" RReq transStatus", rr.TransStatus, emv.TransStatuses)
				in(t, name+" RReq messageCategory", rr.MessageCategory, emv.MessageCategories)
				in(t, name+" RReq authenticationType", rr.AuthenticationType, emv.AuthenticationTypes)
				optional(t, name+" RReq authenticationMethod", rr.AuthenticationMethod, emv.AuthenticationMethods)
				optional(t, name+" RReq transStatusReason", rr.TransStatusReason, emv.TransStatusReasons)
				optional(t, name+" RReq challengeCancel", rr.ChallengeCancel, emv.ChallengeCancels)
				optional(t, name+" RReq eci", rr.ECI, emv.ECIs)
				if !counter.MatchString(rr.InteractionCounter) {
					t.Errorf("%s: interactionCounter %q", name, rr.InteractionCounter)
				}
				cr := buildCRes(ch)
				in(t, name+" CRes messageType", cr.MessageType, emv.MessageTypes)
				in(t, name+" CRes transStatus", cr.TransStatus, emv.TransStatuses)
				in(t, name+" CRes challengeCompletionInd", cr.ChallengeCompletionInd, emv.YesNos)
				if cr.TransStatus != emv.StatusY && cr.TransStatus != emv.StatusN {
					t.Errorf("%s: a final CRes carries %s (only Y or N)", name, cr.TransStatus)
				}
			}
		}
	}
	f := newFixture(t)
	for _, pan := range []string{demodata.YamadaJCB, demodata.SuzukiJCB, demodata.SatoVisa, demodata.UnregJCB, demodata.StolenJCB, "3540000000000068", "3540000000000018"} {
		for _, channel := range []string{"02", "01", "03"} {
			ares, _ := f.aresFor(t, pan, func(m map[string]any) { m["deviceChannel"] = channel })
			in(t, "ARes messageType", ares.MessageType, emv.MessageTypes)
			in(t, "ARes transStatus", ares.TransStatus, emv.TransStatuses)
			optional(t, "ARes transStatusReason", ares.TransStatusReason, emv.TransStatusReasons)
			optional(t, "ARes authenticationType", ares.AuthenticationType, emv.AuthenticationTypes)
			optional(t, "ARes acsChallengeMandated", ares.ACSChallengeMandated, emv.YesNos)
			optional(t, "ARes eci", ares.ECI, emv.ECIs)
		}
	}
	for code := range emv.ErrorCodes {
		e := newErro(code, "", emv.TypeAReq, "9.9.9")
		in(t, "Erro errorCode", e.ErrorCode, emv.ErrorCodes)
		in(t, "Erro errorComponent", e.ErrorComponent, emv.ErrorComponents)
		in(t, "Erro messageType", e.MessageType, emv.MessageTypes)
		in(t, "Erro errorMessageType", e.ErrorMessageType, emv.MessageTypes)
		if e.ErrorComponent != emv.ComponentACS || e.MessageVersion != emv.V220 || e.ErrorDescription == "" || e.ErrorDetail != e.ErrorDescription {
			t.Errorf("Erro %+v", e)
		}
	}
}

func in[K ~string](t *testing.T, what string, v K, list map[K]string) {
	t.Helper()
	if _, ok := list[v]; !ok {
		t.Errorf("%s = %q is not in its code list", what, v)
	}
}

func optional[K ~string](t *testing.T, what string, v K, list map[K]string) {
	t.Helper()
	if v != "" {
		in(t, what, v, list)
	}
}

func TestBuildRReq(t *testing.T) {
	base := db.Challenge{ThreeDSServerTransID: "s", ACSTransID: "a", DSTransID: "d", MessageCategory: "01"}
	tests := []struct {
		name    string
		edit    func(ch *db.Challenge)
		want    emv.RReq
		without []string
	}{
		{"2.2.0 success", func(ch *db.Challenge) {
			ch.MessageVersion, ch.TransStatus, ch.ECI, ch.AuthenticationValue, ch.Tries = emv.V220, "Y", "05", "AV", 1
		}, emv.RReq{TransStatus: "Y", ECI: "05", AuthenticationValue: "AV", InteractionCounter: "01", AuthenticationType: "01", AuthenticationMethod: "01"},
			[]string{"transStatusReason", "challengeCancel"}},
		{"2.1.0 success: no authenticationMethod", func(ch *db.Challenge) {
			ch.MessageVersion, ch.TransStatus, ch.ECI, ch.AuthenticationValue, ch.Tries = emv.V210, "Y", "05", "AV", 2
		}, emv.RReq{TransStatus: "Y", ECI: "05", AuthenticationValue: "AV", InteractionCounter: "02", AuthenticationType: "01"},
			[]string{"authenticationMethod", "transStatusReason"}},
		{"a reason left on a Y is not sent", func(ch *db.Challenge) {
			ch.MessageVersion, ch.TransStatus, ch.TransStatusReason = emv.V220, "Y", "01"
		}, emv.RReq{TransStatus: "Y", InteractionCounter: "00", AuthenticationType: "01", AuthenticationMethod: "01"}, []string{"transStatusReason"}},
		{"cancel", func(ch *db.Challenge) {
			ch.MessageVersion, ch.TransStatus, ch.TransStatusReason, ch.ChallengeCancel = emv.V220, "N", "01", "01"
		}, emv.RReq{TransStatus: "N", TransStatusReason: "01", ChallengeCancel: "01", InteractionCounter: "00", AuthenticationType: "01", AuthenticationMethod: "01"},
			[]string{"eci", "authenticationValue"}},
		{"counter capped at 99", func(ch *db.Challenge) {
			ch.MessageVersion, ch.TransStatus, ch.TransStatusReason, ch.Tries = emv.V220, "N", "19", 150
		}, emv.RReq{TransStatus: "N", TransStatusReason: "19", InteractionCounter: "99", AuthenticationType: "01", AuthenticationMethod: "01"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := base
			tt.edit(&ch)
			got := buildRReq(&ch)
			want := tt.want
			want.ThreeDSServerTransID, want.ACSTransID, want.DSTransID, want.MessageType = "s", "a", "d", emv.TypeRReq
			want.MessageVersion, want.MessageCategory = ch.MessageVersion, "01"
			if got != want {
				t.Errorf("buildRReq =\n%+v, want\n%+v", got, want)
			}
			b, _ := json.Marshal(got)
			for _, f := range tt.without {
				if strings.Contains(string(b), `"`+f+`"`) {
					t.Errorf("%s is sent: %s", f, b)
				}
			}
		})
	}
}

func TestResultDetail(t *testing.T) {
	if got := resultDetail(resultCancelled); got != "transStatus=N reason=01 challengeCancel=01" {
		t.Errorf("resultDetail = %q", got)
	}
	if got := resultDetail(resultSucceeded("x")); got != "transStatus=Y eci=05" {
		t.Errorf("resultDetail = %q", got)
	}
}

func TestSweepExpiresOnceAcrossSweepers(t *testing.T) {
	f := newFixture(t)
	_, unopened := f.aresFor(t, demodata.YamadaJCB, nil)
	ares, _ := f.opened(t, demodata.YamadaVisa)
	_, fresh := f.aresFor(t, demodata.TanakaJCB, nil)
	f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", fresh.ACSTransID).Update("deadline", f.now.Add(time.Hour))

	n, err := f.sweep(f.ctx, f.now.Add(testAnswerFor+time.Second))
	if err != nil || n != 2 {
		t.Fatalf("first sweep ended %d (%v), want 2", n, err)
	}
	if again, _ := f.sweep(f.ctx, f.now.Add(testAnswerFor+time.Second)); again != 0 {
		t.Errorf("a second sweep ended %d more", again)
	}
	if r := f.outbox(t, unopened.ACSTransID); len(r) != 1 || r[0].ChallengeCancel != emv.CancelNoCReq {
		t.Errorf("unopened: %+v", r)
	}
	if r := f.outbox(t, ares.ACSTransID); len(r) != 1 || r[0].ChallengeCancel != emv.CancelTimeout {
		t.Errorf("unanswered: %+v", r)
	}
	if f.row(t, fresh.ACSTransID).State != db.ChallengeCreated {
		t.Errorf("a challenge still in time was swept")
	}
}
