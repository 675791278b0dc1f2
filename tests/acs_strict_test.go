package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// withRawFields is the AReq's JSON with extra members appended as written (json.Marshal would sort
// them, and the order of look-alike names is what a case-insensitive decoder decides by).
func withRawFields(t *testing.T, areq map[string]any, extra string) []byte {
	t.Helper()
	b, err := json.Marshal(areq)
	if err != nil {
		t.Fatal(err)
	}
	return append(append(b[:len(b)-1], ","+extra...), '}')
}

// cspDirective returns the value of one directive of a Content-Security-Policy.
func cspDirective(csp, name string) []string {
	var found []string
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == name {
			found = append(found, strings.Join(f[1:], " "))
		}
	}
	return found
}

// TestACSCaseVariantFieldsIgnored: names that differ from the AReq's fields only in case are unknown
// fields. They neither replace the validated notificationURL (a javascript: form target) nor store a
// merchant name past its 40 characters.
func TestACSCaseVariantFieldsIgnored(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		areq := areqFor(demodata.YamadaJCB)
		long := strings.Repeat("M", 300)
		ares := postRaw(t, app.URL, withRawFields(t, areq,
			`"NotificationURL":"javascript:alert(document.domain)","MerchantName":"`+long+`","ACCTNUMBER":"4000000000000010"`))
		checkARes(t, areq, ares)
		if str(ares, "transStatus") != "C" {
			t.Fatalf("want a challenge for the valid fields: %v", ares)
		}
		p := openChallenge(t, ares, creqFor(ares, "05"), "sd")
		testkit.Contains(t, p.Text(), "Fuji Tea Shop", "****0019")
		if strings.Contains(p.Body, long) {
			t.Errorf("the 300-character MerchantName is shown")
		}
		var ch db.Challenge
		if err := app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&ch).Error; err != nil {
			t.Fatal(err)
		}
		if ch.MerchantName != "Fuji Tea Shop" || ch.NotificationURL != "https://shop.example/3ds/notify" || ch.Last4 != "0019" {
			t.Errorf("stored merchant %q, notificationURL %q, last4 %q", ch.MerchantName, ch.NotificationURL, ch.Last4)
		}
		final := answer(t, app.URL, p, "", "", "cancel")
		if final.formAction() != "https://shop.example/3ds/notify" || strings.Contains(final.Body, "javascript:") {
			t.Errorf("the final page posts to %q", final.formAction())
		}
		checkCRes(t, final, ares, "N")
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "01", "01")
	})
}

// TestACSNotificationURLHostChecked: a notificationURL whose host carries CSP syntax is refused at the
// AReq, and one that reached the database anyway (stored before the check) is checked again before a
// page posts to it: no directive is injected into the CSP and nothing is posted.
func TestACSNotificationURLHostChecked(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, _ := startACS(t, b, nil)
		for _, bad := range []string{"https://x;report-uri/n", "https://shop.example'/n", "https://a b.example/n", "https://u:p@shop.example/n"} {
			areq := areqFor(demodata.YamadaJCB)
			areq["notificationURL"] = bad
			got := postAReq(t, app.URL, areq)
			if str(got, "messageType") == "ARes" && str(got, "transStatus") == "C" {
				p := openChallenge(t, got, creqFor(got, "05"), "")
				if fa := cspDirective(p.Header.Get("Content-Security-Policy"), "form-action"); len(fa) != 1 || fa[0] != "'self'" {
					t.Errorf("%s: form-action %q", bad, fa)
				}
				continue
			}
			checkErro(t, got, "203", "notificationURL")
		}

		for _, stored := range []string{"https://x;report-uri https://evil.example/r", "https://shop.example;report-uri/n", "javascript:alert(1)"} {
			areq := areqFor(demodata.YamadaJCB)
			areq["browserLanguage"] = "en"
			ares := postAReq(t, app.URL, areq)
			if err := app.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", str(ares, "acsTransID")).
				Update("notification_url", stored).Error; err != nil {
				t.Fatal(err)
			}
			p := openChallenge(t, ares, creqFor(ares, "05"), "")
			csp := p.Header.Get("Content-Security-Policy")
			if fa := cspDirective(csp, "form-action"); len(fa) != 1 || fa[0] != "'self'" || strings.Contains(csp, "report-uri") {
				t.Errorf("stored %s: CSP %s", stored, csp)
			}
			final := answer(t, app.URL, p, "", "", "cancel")
			if final.formAction() != "" || final.cres(t) != nil {
				t.Errorf("stored %s: the final page posts to %q", stored, final.formAction())
			}
			testkit.Contains(t, final.Text(), "You cancelled", "could not send the result to the shop")
		}
	})
}

// TestACSForgedTryHasNoEffect: the count of tries lives in the database only. A try field sent with
// the form, whatever its value, neither ends the challenge early nor spares an answer from counting.
func TestACSForgedTryHasNoEffect(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		ares, p := challengeFor(t, app, areqFor(demodata.YamadaJCB))
		if strings.Contains(p.Body, `name="try"`) {
			t.Errorf("the form carries a try field")
		}
		send := func(p page, try string) page {
			return postForm(t, app.URL+"/3ds/challenge/submit", url.Values{"acsTransID": {p.field("acsTransID")},
				"token": {p.field("token")}, "try": {try}, "loginID": {"yamada01"}, "password": {"not-the-password"}, "action": {"submit"}})
		}
		p1 := send(p, "99")
		if p1.cres(t) != nil || !strings.Contains(p1.Text(), "あと2回") {
			t.Fatalf("a forged try=99 changed the outcome of a first wrong answer: %s", p1.Text())
		}
		p2 := send(p1, "0")
		if p2.cres(t) != nil || !strings.Contains(p2.Text(), "あと1回") {
			t.Fatalf("a forged try=0 spared a wrong answer from counting: %s", p2.Text())
		}
		p3 := send(p2, "-1")
		checkCRes(t, p3, ares, "N")
		r := ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0]
		checkRReq(t, r, ares, "N", "19", "")
		if str(r, "interactionCounter") != "03" {
			t.Errorf("interactionCounter %q, want 03", str(r, "interactionCounter"))
		}
		if n := len(events(t, app, str(ares, "acsTransID"), db.EventChallengeTry)); n != 3 {
			t.Errorf("%d try events, want 3", n)
		}
	})
}

// TestACSSecondCReqGetsNoLiveToken: while a challenge's form is open, the same CReq posted from
// another browser gets a page without a form, and the open form keeps working. The browser the form
// was shown to can reload it (the test's other cases cover that).
func TestACSSecondCReqGetsNoLiveToken(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		ares, first := challengeFor(t, app, areqFor(demodata.YamadaVisa))
		req, err := http.NewRequest(http.MethodPost, str(ares, "acsURL"),
			bytes.NewBufferString(url.Values{"creq": {creqFor(ares, "05")}, "threeDSSessionData": {"shop-session-42"}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Mozilla/5.0 (another browser)")
		resp, err := testkit.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		other := page{Status: resp.StatusCode, Body: testkit.ReadAll(t, resp.Body), Header: resp.Header}
		if other.field("token") != "" || other.cres(t) != nil {
			t.Errorf("a second browser got a form or posted to the shop: %s", other.Text())
		}
		testkit.Contains(t, other.Text(), "別の画面")
		checkCRes(t, answer(t, app.URL, first, "yamada01", "fuji-san-2026", "submit"), ares, "Y")
		checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "")
	})
}
