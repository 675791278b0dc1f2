package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"honnin/db"
	"honnin/tests/testkit"
)

// TestDemoRiskBrowser: in headless Chromium the demo shop runs the 3DS Method in its hidden iframe
// before each AReq. A new device is challenged; once the shopper passed that challenge, a small purchase
// from the same browser passes frictionless (ECI 05 and an authentication value, no challenge page),
// and a large one is challenged. A fresh browser (no method data) is a new device: challenged once,
// then frictionless too.
func TestDemoRiskBrowser(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ctx := testkit.Browser(t)

		// buy checks out Yamada's JCB card and returns the challenge's frame, or nil when the shop went
		// straight to the result.
		buy := func(amount string, fresh bool) context.Context {
			t.Helper()
			actions := []chromedp.Action[chromedp.Void]{
				chromedp.Navigate(app.AltURL + "/demo/shop?lang=en"),
				chromedp.SetValue(chromedp.ID("card"), "0"),
				chromedp.SetValue(chromedp.ID("amount"), amount),
			}
			if fresh {
				actions = append(actions, chromedp.Click(chromedp.ID("fresh-browser")))
			}
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatal(err)
			}
			testkit.Screenshot(t, ctx, "demo-checkout-"+string(b))
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("buy"))); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil && strings.HasPrefix(loc, app.AltURL+"/demo/shop/result/") {
					return nil
				}
				infos, err := chromedp.Targets(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, info := range infos {
					if info.Type == "iframe" && strings.HasPrefix(info.URL, app.URL+"/3ds/challenge") {
						return challengeFrame(t, ctx, app.URL)
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatalf("%s JPY: neither a challenge nor a result", amount)
			return nil
		}
		pass := func(frame context.Context) {
			t.Helper()
			if err := chromedp.Do(frame,
				chromedp.WaitVisible(chromedp.ID("acs-login-id")),
				chromedp.SendKeys(chromedp.ID("acs-login-id"), "yamada01"),
				chromedp.SendKeys(chromedp.ID("acs-password"), "fuji-san-2026"),
				chromedp.Click(chromedp.ID("acs-submit")),
			); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("outcome"))); err != nil {
				t.Fatal(err)
			}
		}
		text := func(id string) string {
			t.Helper()
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID(id))); err != nil {
				t.Fatal(err)
			}
			v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimSpace(v)
		}

		// A device the card never authenticated from: the method ran (Y), and the issuer challenges.
		frame := buy("3000", false)
		if frame == nil {
			t.Fatalf("a new device passed without a challenge")
		}
		pass(frame)
		if v := text("comp-ind"); v != "Y" {
			t.Errorf("threeDSCompInd %q after the 3DS Method", v)
		}
		var first db.Challenge
		if err := app.DB.Take(&first).Error; err != nil {
			t.Fatal(err)
		}
		if first.RiskScore == nil {
			t.Fatal("the ACS stored no risk decision for the purchase")
		}
		var left int64
		app.DB.Model(&db.DeviceData{}).Count(&left)
		if left != 0 {
			t.Errorf("%d device data rows left unclaimed", left)
		}

		// The same browser, a small amount: frictionless.
		if buy("3000", false) != nil {
			t.Fatalf("a small purchase from the known device was challenged")
		}
		testkit.Screenshot(t, ctx, "demo-frictionless-"+string(b))
		if o := text("outcome"); !strings.Contains(o, "without a check") {
			t.Errorf("outcome %q", o)
		}
		if s := text("risk-decision"); !strings.Contains(s, "without a check") {
			t.Errorf("decision %q", s)
		}
		if eci := text("eci"); eci != "05" {
			t.Errorf("ECI %q", eci)
		}
		if av := text("av"); len(av) != 28 {
			t.Errorf("authentication value %q", av)
		}

		// A large amount: challenged, and the result names the amount.
		frame = buy("80000", false)
		if frame == nil {
			t.Fatalf("a large purchase passed without a challenge")
		}
		pass(frame)
		testkit.Screenshot(t, ctx, "demo-risk-signals-"+string(b))
		if s := text("risk-signals"); !strings.Contains(s, "Amount above the threshold") {
			t.Errorf("signals %q", s)
		}

		// A fresh browser is a new device: challenged once, then frictionless.
		frame = buy("3000", true)
		if frame == nil {
			t.Fatalf("a fresh browser passed without a challenge")
		}
		pass(frame)
		if v := text("comp-ind"); v != "N" {
			t.Errorf("threeDSCompInd %q for a fresh browser", v)
		}
		if s := text("risk-signals"); !strings.Contains(s, "New device") || !strings.Contains(s, "No device data") {
			t.Errorf("signals %q", s)
		}
		if buy("3000", true) != nil {
			t.Fatalf("the fresh browser was challenged again after passing a challenge")
		}
		if o := text("outcome"); !strings.Contains(o, "without a check") {
			t.Errorf("outcome %q", o)
		}
	})
}
