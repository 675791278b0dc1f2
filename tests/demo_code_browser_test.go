package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"honnin/app/credentials"
	"honnin/tests/testkit"
)

// challengeCodeInMailbox waits for the demo mailbox's newest challenge code mail to address and
// returns its code.
func challengeCodeInMailbox(t *testing.T, app *testkit.App, address string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range mailsTo(t, app, address, "challenge_code") {
			if m := mailCodeRE.FindStringSubmatch(l.Body); m != nil {
				return m[1]
			}
			t.Fatalf("a code mail without a code:\n%s", l.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no challenge code mail to %s in the demo mailbox", address)
	return ""
}

// TestDemoBrowserChallengeCode: in demo mode under the password+code policy, the shopper in headless
// Chromium types the ID and password in the shop's challenge frame, reads the code in the demo
// mailbox (/demo/mail) and types it; the shop shows the purchase authenticated.
func TestDemoBrowserChallengeCode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		setCodePolicy(t, app, credentials.PolicyPasswordCode)
		ctx := testkit.Browser(t)
		if err := chromedp.Do(ctx,
			chromedp.Navigate(app.AltURL+"/demo/shop?lang=en"),
			chromedp.SetValue(chromedp.ID("card"), "0"),
			chromedp.SetValue(chromedp.ID("window"), "03"),
			chromedp.Click(chromedp.ID("buy")),
		); err != nil {
			t.Fatal(err)
		}
		frame := challengeFrame(t, ctx, app.URL)
		if err := chromedp.Do(frame,
			chromedp.WaitVisible(chromedp.ID("acs-login-id")),
			chromedp.SendKeys(chromedp.ID("acs-login-id"), "yamada01"),
			chromedp.SendKeys(chromedp.ID("acs-password"), "fuji-san-2026"),
			chromedp.Click(chromedp.ID("acs-submit")),
			chromedp.WaitVisible(chromedp.ID("acs-code")),
		); err != nil {
			t.Fatal(err)
		}
		msg, err := chromedp.Run(frame, chromedp.Text(chromedp.ID("acs-personal-message")))
		if err != nil || msg != "富士山と緑茶" {
			t.Fatalf("personal message on the code page %q (%v)", msg, err)
		}
		sent, err := chromedp.Run(frame, chromedp.Text(chromedp.ID("acs-code-sent")))
		if err != nil || !strings.Contains(sent, "y***@e***.jp") {
			t.Errorf("the code page says %q (%v), want the masked address", sent, err)
		}
		testkit.Screenshot(t, ctx, "demo-challenge-code-"+string(b))
		code := challengeCodeInMailbox(t, app, "yamada@example.jp")
		if err := chromedp.Do(frame,
			chromedp.SendKeys(chromedp.ID("acs-code"), code),
			chromedp.Click(chromedp.ID("acs-submit")),
		); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("outcome"))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		testkit.Contains(t, text, "Authenticated")
	})
}
