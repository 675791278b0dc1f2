package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestDemoShopRunsThe3DSMethod plays the demo shop's 3DS Method step by step over HTTP, doing by hand
// what the pages' scripts do: the shop learns the card's threeDSMethodURL from the Directory Server's
// card ranges, posts threeDSMethodData to it, the ACS's page posts back to the shop, and the shop's
// AReq then says threeDSCompInd Y. A fresh browser skips the method (N).
func TestDemoShopRunsThe3DSMethod(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		shop := testkit.NewUser(t, app.AltURL)
		shop.Lang = "en-US"
		form := url.Values{"card": {"0"}, "amount": {"3000"}, "currency": {"JPY"}, "window": {"03"}, "version": {"2.2.0"},
			"merchantCountry": {"392"}, "challengeInd": {"01"}}

		body := shop.Post("/demo/shop/checkout", form)
		checkout := page{Status: shop.Status, Body: body}
		if checkout.Status != http.StatusOK || checkout.formAction() != app.URL+"/3ds/method" {
			t.Fatalf("no 3DS Method form: HTTP %d %s", checkout.Status, testkit.Excerpt(body))
		}
		raw, err := base64.RawURLEncoding.DecodeString(checkout.field("threeDSMethodData"))
		var sent map[string]string
		if err != nil || json.Unmarshal(raw, &sent) != nil || sent["threeDSMethodNotificationURL"] != app.AltURL+"/demo/shop/method-notify" {
			t.Fatalf("threeDSMethodData %s (%v)", raw, err)
		}
		tx := sent["threeDSServerTransID"]
		if next := formValues(body, "continue-form"); next.Get("tx") != tx || next.Get("amount") != "3000" {
			t.Fatalf("the continue form carries %v", next)
		}

		// In the hidden iframe: the ACS's page, its script's post, and its post back to the shop.
		acsPage := postForm(t, checkout.formAction(), url.Values{"threeDSMethodData": {checkout.field("threeDSMethodData")}})
		if acsPage.formAction() != app.AltURL+"/demo/shop/method-notify" {
			t.Fatalf("the ACS's method page posts to %q", acsPage.formAction())
		}
		if code := postDeviceData(t, app.URL, `{"threeDSServerTransID":"`+tx+`","device":{"timeZone":"Asia/Tokyo","screenWidth":1440}}`); code != http.StatusNoContent {
			t.Fatalf("device data: HTTP %d", code)
		}
		done := postForm(t, acsPage.formAction(), url.Values{"threeDSMethodData": {acsPage.field("threeDSMethodData")}})
		if done.Status != http.StatusOK || !strings.Contains(done.Body, "data-method-done") || done.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Fatalf("method notification: HTTP %d %s", done.Status, testkit.Excerpt(done.Body))
		}
		if bad := postForm(t, acsPage.formAction(), url.Values{"threeDSMethodData": {"nonsense"}}); bad.Status != http.StatusBadRequest {
			t.Errorf("unreadable notification: HTTP %d", bad.Status)
		}

		// The shop's page goes on: the AReq says the method completed.
		challenge := page{Body: shop.Post("/demo/shop/authenticate", formValues(body, "continue-form"))}
		if challenge.formAction() != app.URL+"/3ds/challenge" {
			t.Fatalf("after the method: %s", testkit.Excerpt(challenge.Body))
		}
		var row db.DemoResult
		if err := app.DB.Where("three_ds_server_trans_id = ?", tx).Take(&row).Error; err != nil || row.CompInd != "Y" || row.MethodAt == nil {
			t.Fatalf("the shop's record: %+v (%v)", row, err)
		}
		var ch db.Challenge
		if err := app.DB.Where("three_ds_server_trans_id = ?", tx).Take(&ch).Error; err != nil || ch.ACSTransID != row.ACSTransID {
			t.Fatalf("the ACS has no transaction for the purchase: %v", err)
		}
		// Sending the same step again does not make a second AReq.
		shop.Post("/demo/shop/authenticate", formValues(body, "continue-form"))
		var n int64
		app.DB.Model(&db.Challenge{}).Where("three_ds_server_trans_id = ?", tx).Count(&n)
		if n != 1 {
			t.Errorf("%d AReqs for one purchase", n)
		}

		// A fresh browser: no method, the AReq says N.
		form.Set("freshBrowser", "true")
		fresh := page{Body: shop.Post("/demo/shop/checkout", form)}
		if fresh.formAction() != app.URL+"/3ds/challenge" {
			t.Fatalf("fresh browser: %s", testkit.Excerpt(fresh.Body))
		}
		var freshRow db.DemoResult
		if err := app.DB.Where("acs_trans_id <> ? AND acs_trans_id <> ''", row.ACSTransID).Take(&freshRow).Error; err != nil || freshRow.CompInd != "N" || freshRow.MethodAt != nil {
			t.Errorf("fresh browser's record: %+v (%v)", freshRow, err)
		}

		// 2.1.0 knows challenge indicators 01 to 04 only.
		form.Set("version", "2.1.0")
		form.Set("challengeInd", "08")
		shop.Post("/demo/shop/checkout", form)
		if shop.Status != http.StatusUnprocessableEntity || !strings.Contains(shop.Text(), "only 01 to 04") {
			t.Errorf("2.1.0 with 08: HTTP %d %s", shop.Status, shop.Text())
		}
	})
}

// TestDemoDirectoryServerCardRanges: the Directory Server simulator answers a PReq with the card
// ranges the ACS operator registered, and anything else with an Erro.
func TestDemoDirectoryServerCardRanges(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ask := func(body string) map[string]json.RawMessage {
			t.Helper()
			resp, err := testkit.HTTPClient().Post(app.URL+"/demo/ds/preq", "application/json", bytes.NewReader([]byte(body)))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if text := testkit.ReadAll(t, resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(text), &m) != nil {
				t.Fatalf("HTTP %d %s", resp.StatusCode, text)
			}
			return m
		}
		if m := ask(`{"messageType":"AReq"}`); string(m["messageType"]) != `"Erro"` || string(m["errorCode"]) != `"101"` {
			t.Errorf("not a PReq: %v", m)
		}
		m := ask(`{"threeDSServerRefNumber":"X","threeDSServerTransID":"6f1d1f8e-2a39-4c1b-9b0e-0f7c1e1c2d3a","messageType":"PReq","messageVersion":"2.2.0"}`)
		var pres emv.PRes
		raw, _ := json.Marshal(m)
		if err := json.Unmarshal(raw, &pres); err != nil || pres.MessageType != emv.TypePRes || pres.ThreeDSServerTransID != "6f1d1f8e-2a39-4c1b-9b0e-0f7c1e1c2d3a" {
			t.Fatalf("PRes %s (%v)", raw, err)
		}
		for _, pan := range []string{demodata.YamadaJCB, demodata.YamadaVisa} {
			if r, ok := cards.RangeFor(pres.CardRangeData, pan); !ok || r.ThreeDSMethodURL != app.Server.Config.BaseURL+"/3ds/method" {
				t.Errorf("****%s: range %+v (%v)", pan[len(pan)-4:], r, ok)
			}
		}
	})
}

// TestDemoResultShowsTheDecision: the result page shows the card issuer's risk decision as the ACS
// stored it with the transaction (score, the rule that settled it, each signal with its weight), and
// nothing of the kind when the card's own state decided.
func TestDemoResultShowsTheDecision(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		shop := testkit.NewUser(t, app.AltURL)
		shop.Lang = "en-US"
		buyWithoutScript(t, shop, url.Values{"card": {"7"}, "amount": {"3000"}, "currency": {"JPY"}})
		if !strings.Contains(shop.Last, `data-outcome="rejected"`) || strings.Contains(shop.Last, `id="risk"`) {
			t.Errorf("stolen card: %s", shop.Text())
		}

		// A new device is challenged whatever the rules in force; the test then stands in for them.
		body := buyWithoutScript(t, shop, url.Values{"card": {"0"}, "amount": {"3000"}, "currency": {"JPY"}})
		creq := page{Body: body}.field("creq")
		raw, _ := base64.RawURLEncoding.DecodeString(creq)
		var cr map[string]string
		if json.Unmarshal(raw, &cr) != nil || cr["acsTransID"] == "" {
			t.Fatalf("no challenge: %s", testkit.Excerpt(body))
		}
		// What the ACS stores with a decision (app/risk's Fired as JSON), whichever rules made it.
		score := 115
		if err := app.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", cr["acsTransID"]).Updates(map[string]any{"risk_score": score,
			"risk_fired": `[{"signal":"amount_over_threshold","weight":40},{"signal":"new_device","weight":40},{"signal":"foreign_merchant","weight":20},{"signal":"trusted_merchant","weight":-30}]`,
			"risk_why":   "challenge_requested"}).Error; err != nil {
			t.Fatal(err)
		}
		shop.Get("/demo/shop/result/" + cr["threeDSServerTransID"])
		testkit.Contains(t, shop.Text(), "The card issuer's decision", "Verification required", "115", "The shop asked for a check",
			"Amount above the threshold", "+40", "New device", "Shop outside Japan", "+20", "Trusted shop", "-30", "threeDSCompInd")
		if !strings.Contains(shop.Last, `data-status="C"`) || !strings.Contains(shop.Last, `data-signal="foreign_merchant"`) {
			t.Errorf("decision markup: %s", testkit.Excerpt(shop.Last))
		}
	})
}
