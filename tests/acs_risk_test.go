package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestRiskFrictionless: the first purchase from a browser is challenged; after that challenge the same
// browser's small purchase at the same shop passes frictionless (Y, ECI 05, a value the authorisation
// system's check passes, no RReq), a large one is challenged again, and the decision is explained to
// the member (「確認なしで承認」 with shop and amount), to the console and in the metrics.
func TestRiskFrictionless(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		ares, p := challengeFor(t, app, areqFor(demodata.YamadaJCB))
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), ares, "Y")
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "")

		areq := areqFor(demodata.YamadaJCB)
		areq["purchaseAmount"], areq["merchantName"] = "2980", "Fuji Tea Shop"
		ares = postAReq(t, app.URL, areq)
		checkARes(t, areq, ares)
		if str(ares, "transStatus") != "Y" {
			t.Fatalf("same browser, same shop, small amount: %v, want frictionless Y", ares)
		}
		for _, f := range []string{"acsURL", "acsChallengeMandated", "authenticationType"} {
			if _, ok := ares[f]; ok {
				t.Errorf("frictionless ARes carries %s", f)
			}
		}
		if v := verifyAV(t, app, map[string]string{"acctNumber": demodata.YamadaJCB, "authenticationValue": str(ares, "authenticationValue"),
			"eci": "05", "purchaseAmount": "2980", "purchaseCurrency": "392"}); v["result"] != "passed" || v["resultCode"] != "2" {
			t.Fatalf("the frictionless value does not verify: %v", v)
		}
		var outbox int64
		app.DB.Model(&db.OutboxMessage{}).Where("acs_trans_id = ?", str(ares, "acsTransID")).Count(&outbox)
		if outbox != 0 {
			t.Fatalf("a frictionless ARes wrote %d RReqs, want none", outbox)
		}

		large := areqFor(demodata.YamadaJCB)
		large["purchaseAmount"] = "50000"
		if got := postAReq(t, app.URL, large); str(got, "transStatus") != "C" {
			t.Fatalf("large amount: %v, want C", got)
		}
		fresh := areqFor(demodata.YamadaJCB)
		fresh["browserUserAgent"] = "Mozilla/5.0 (another computer)"
		if got := postAReq(t, app.URL, fresh); str(got, "transStatus") != "C" {
			t.Fatalf("new browser: %v, want C", got)
		}

		member := loggedIn(t, app, "yamada01", "fuji-san-2026")
		member.Get("/my/history")
		at(t, member, "/my/history")
		sees(t, member, ja("risk.frictionless"), "Fuji Tea Shop", "2,980円")

		staff := signInStaff(t, app, "agent01")
		var m db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		staff.Get("/members/" + itoa(m.ID) + "?kind=challenge")
		text := staff.Text()
		for _, want := range []string{en("risk.frictionless"), en("risk.score", 25) + ": " + en("risk.signal.no_method_data") + " +25",
			en("risk.signal.new_device") + " +40"} {
			if !strings.Contains(text, want) {
				t.Errorf("the console's history does not say %q:\n%s", want, testkit.Excerpt(text))
			}
		}

		metrics := testkit.ReadAll(t, must(http.Get(app.Internal+"/metrics")).Body)
		for _, want := range []string{`honnin_risk_decisions_total{top_signal="no_method_data",trans_status="Y"} 1`,
			`honnin_risk_decisions_total{top_signal="amount_over_threshold",trans_status="C"} 1`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestRiskTrustList: on 2.2.0 a requestor asking for the trust-list prompt (09) gets a challenge
// whose page offers 「このお店を信頼する」; once ticked, the CRes and RReq carry whiteListStatus Y
// from the ACS (03), and a later AReq from that shop with 08 passes frictionless even from a new
// browser. On 2.1.0 nothing of this is sent.
func TestRiskTrustList(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		areq := areqFor(demodata.YamadaJCB)
		areq["threeDSRequestorChallengeInd"] = "09"
		ares, p := challengeFor(t, app, areq)
		if str(ares, "whiteListStatus") != "N" || str(ares, "whiteListStatusSource") != "03" {
			t.Fatalf("ARes for 09: %v, want whiteListStatus N from 03", ares)
		}
		if !strings.Contains(p.Text(), ja("acs.trust_merchant")) || !strings.Contains(p.Body, `name="trustMerchant"`) {
			t.Fatalf("the challenge page does not offer to trust the shop: %s", p.Text())
		}
		final := postForm(t, app.URL+"/3ds/challenge/submit", url.Values{
			"acsTransID": {p.field("acsTransID")}, "token": {p.field("token")}, "loginID": {"yamada01"},
			"password": {"fuji-san-2026"}, "action": {"submit"}, "trustMerchant": {"yes"},
		})
		cres := checkCRes(t, final, ares, "Y")
		if str(cres, "whiteListStatus") != "Y" || str(cres, "whiteListStatusSource") != "03" {
			t.Fatalf("CRes %v, want whiteListStatus Y from 03", cres)
		}
		rreq := ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0]
		checkRReq(t, rreq, ares, "Y", "", "")
		if str(rreq, "whiteListStatus") != "Y" || str(rreq, "whiteListStatusSource") != "03" {
			t.Fatalf("RReq %v, want whiteListStatus Y from 03", rreq)
		}

		later := areqFor(demodata.YamadaJCB)
		later["threeDSRequestorChallengeInd"], later["browserUserAgent"] = "08", "Mozilla/5.0 (another computer)"
		got := postAReq(t, app.URL, later)
		checkARes(t, later, got)
		if str(got, "transStatus") != "Y" || str(got, "whiteListStatus") != "Y" {
			t.Fatalf("08 at a trusted shop from a new browser: %v, want Y with whiteListStatus Y", got)
		}

		old := areq210(demodata.YamadaJCB)
		old["threeDSRequestorChallengeInd"] = "03"
		ares, p = challengeFor(t, app, old)
		if strings.Contains(p.Body, `name="trustMerchant"`) {
			t.Error("a 2.1.0 challenge offers the trust list")
		}
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), ares, "Y")
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "")

		// 09 is 2.2.0's: a 2.1.0 AReq with it is refused.
		old = areq210(demodata.YamadaJCB)
		old["threeDSRequestorChallengeInd"] = "09"
		checkErro(t, postAReq(t, app.URL, old), "203", "threeDSRequestorChallengeInd")
	})
}
