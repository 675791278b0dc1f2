package tests

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"honnin/tests/testkit"
)

// TestDemoShopOverHTTP plays the demo shop as a browser without script would: checkout on the shop's
// origin (AltURL), the creq form to the ACS, the password, the CRes to the shop's notificationURL, and
// the outcome with ECI and authentication value from the simulated Directory Server.
func TestDemoShopOverHTTP(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		shop := testkit.NewUser(t, app.AltURL)
		shop.Lang = "en-US"

		shop.Get("/demo/shop")
		testkit.Contains(t, shop.Text(), "Checkout", "Yamada Taro, JCB (registered)")

		checkout := func(form url.Values) page {
			t.Helper()
			return page{Status: shop.Status, Body: buyWithoutScript(t, shop, form)}
		}
		// Registered card: the challenge opens in the shop's iframe.
		cp := checkout(url.Values{"card": {"0"}, "amount": {"5000"}, "currency": {"JPY"}, "window": {"02"}, "version": {"2.1.0"}})
		if cp.formAction() != app.URL+"/3ds/challenge" || cp.field("creq") == "" {
			t.Fatalf("no creq form to the ACS: %s", testkit.Excerpt(cp.Body))
		}
		if !strings.Contains(cp.Body, `target="acs-frame"`) || !strings.Contains(cp.Body, "demo-acs--w02") {
			t.Errorf("the challenge is not framed at the chosen size")
		}
		acs := postForm(t, cp.formAction(), url.Values{"creq": {cp.field("creq")}, "threeDSSessionData": {cp.field("threeDSSessionData")}})
		testkit.Contains(t, acs.Text(), "J/Secure", "JPY 5,000", "Your personal message")
		final := answer(t, app.URL, acs, "yamada01", "fuji-san-2026", "submit")
		if !strings.HasPrefix(final.formAction(), app.AltURL+"/demo/shop/notify") {
			t.Fatalf("the CRes goes to %q, not the shop's origin", final.formAction())
		}
		n := postForm(t, final.formAction(), url.Values{"cres": {final.field("cres")}, "threeDSSessionData": {final.field("threeDSSessionData")}})
		if n.Status != 200 {
			t.Fatalf("notify: HTTP %d %s", n.Status, n.Body)
		}
		resultURL := regexpFind(n.Body, `data-top-url="([^"]*)"`)
		shop.Get(resultURL)
		testkit.Contains(t, shop.Text(), "Authenticated", "ECI 05", "RReq")
		if !strings.Contains(shop.Last, `data-outcome="authenticated"`) {
			t.Errorf("outcome: %s", shop.Text())
		}

		// Cards that get no challenge show their outcome at once.
		for card, want := range map[string]string{"4": "not_enrolled", "5": "not_enrolled", "6": "not_enrolled", "7": "rejected"} {
			buyWithoutScript(t, shop, url.Values{"card": {card}, "amount": {"12.34"}, "currency": {"USD"}, "window": {"05"}, "version": {"2.2.0"}})
			if !strings.Contains(shop.Last, `data-outcome="`+want+`"`) {
				t.Errorf("card %s: want %s, got %s", card, want, shop.Text())
			}
		}
		// A bad amount keeps the form with a message.
		shop.Post("/demo/shop/checkout", url.Values{"card": {"0"}, "amount": {"abc"}, "currency": {"JPY"}})
		if shop.Status != 422 || !strings.Contains(shop.Text(), "Please enter a valid amount") || !strings.Contains(shop.Last, `value="abc"`) {
			t.Errorf("bad amount: HTTP %d %s", shop.Status, shop.Text())
		}
	})
}

// buyWithoutScript checks out as a browser without script does: the 3DS Method page's hidden iframe
// never posts, so the shopper presses Continue and the AReq says threeDSCompInd N.
func buyWithoutScript(t *testing.T, shop *testkit.User, form url.Values) string {
	t.Helper()
	body := shop.Post("/demo/shop/checkout", form)
	if strings.Contains(body, `id="continue-form"`) {
		body = shop.Post("/demo/shop/authenticate", formValues(body, "continue-form"))
	}
	return body
}

// formValues are the named values of the form with the id on a page.
func formValues(body, id string) url.Values {
	start := strings.Index(body, `id="`+id+`"`)
	if start < 0 {
		return nil
	}
	form := body[start:]
	if end := strings.Index(form, "</form>"); end >= 0 {
		form = form[:end]
	}
	out := url.Values{}
	for _, m := range regexp.MustCompile(`<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"`).FindAllStringSubmatch(form, -1) {
		out.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return out
}

func regexpFind(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}
