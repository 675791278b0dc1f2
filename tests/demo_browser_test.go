package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"honnin/tests/testkit"
)

// challengeFrame waits for the ACS's iframe (another site than the shop, so its own target) and
// returns a context that acts inside it.
func challengeFrame(t *testing.T, ctx context.Context, acsURL string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, acsURL+"/3ds/challenge") {
				frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				return frameCtx
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the challenge iframe from %s did not appear", acsURL)
	return nil
}

// TestDemoBrowser: in headless Chromium, the demo shop on one origin embeds the challenge from the ACS
// on another; the shopper authenticates, cancels, or types a wrong password, and the shop shows the
// outcome the ACS reported.
func TestDemoBrowser(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ctx := testkit.Browser(t)

		buy := func(card string) context.Context {
			t.Helper()
			if err := chromedp.Do(ctx,
				chromedp.Navigate(app.AltURL+"/demo/shop?lang=en"),
				chromedp.SetValue(chromedp.ID("card"), card),
				chromedp.SetValue(chromedp.ID("window"), "03"),
				chromedp.Click(chromedp.ID("buy")),
			); err != nil {
				t.Fatal(err)
			}
			frame := challengeFrame(t, ctx, app.URL)
			if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.ID("acs-login-id"))); err != nil {
				t.Fatal(err)
			}
			return frame
		}
		outcome := func() (string, string) {
			t.Helper()
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("outcome"))); err != nil {
				t.Fatal(err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			return text, loc
		}

		t.Run("authenticated", func(t *testing.T) {
			frame := buy("0")
			msg, err := chromedp.Run(frame, chromedp.Text(chromedp.ID("acs-personal-message")))
			if err != nil || msg != "富士山と緑茶" {
				t.Fatalf("personal message %q (%v)", msg, err)
			}
			if err := chromedp.Do(frame,
				chromedp.SendKeys(chromedp.ID("acs-login-id"), "yamada01"),
				chromedp.SendKeys(chromedp.ID("acs-password"), "fuji-san-2026"),
				chromedp.Click(chromedp.ID("acs-submit")),
			); err != nil {
				t.Fatal(err)
			}
			text, loc := outcome()
			testkit.Screenshot(t, ctx, "demo-authenticated-"+string(b))
			if !strings.HasPrefix(loc, app.AltURL+"/demo/shop/result/") {
				t.Errorf("the result opened at %s", loc)
			}
			testkit.Contains(t, text, "Authenticated")
			if eci, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("eci"))); err != nil || eci != "05" {
				t.Errorf("ECI %q (%v)", eci, err)
			}
			av, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("av")))
			if err != nil || len(strings.TrimSpace(av)) != 28 {
				t.Errorf("authentication value %q (%v)", av, err)
			}
		})

		t.Run("cancel", func(t *testing.T) {
			frame := buy("1")
			if err := chromedp.Do(frame, chromedp.Click(chromedp.ID("acs-cancel"))); err != nil {
				t.Fatal(err)
			}
			text, _ := outcome()
			testkit.Contains(t, text, "Cancelled")
			if v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("challenge-cancel"))); err != nil || v != "01" {
				t.Errorf("challengeCancel %q (%v)", v, err)
			}
		})

		t.Run("wrong password", func(t *testing.T) {
			frame := buy("2")
			if err := chromedp.Do(frame,
				chromedp.SendKeys(chromedp.ID("acs-login-id"), "tanaka04a"),
				chromedp.SendKeys(chromedp.ID("acs-password"), "not-the-password"),
				chromedp.Click(chromedp.ID("acs-submit")),
				chromedp.WaitVisible(chromedp.ID("acs-error")),
			); err != nil {
				t.Fatal(err)
			}
			msg, err := chromedp.Run(frame, chromedp.Text(chromedp.ID("acs-error")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(msg, "not correct") && !strings.Contains(msg, "正しくありません") {
				t.Errorf("wrong password message: %q", msg)
			}
			// Two more wrong answers end the challenge; the shop shows it failed.
			if err := chromedp.Do(frame,
				chromedp.SendKeys(chromedp.ID("acs-password"), "still-wrong"),
				chromedp.Click(chromedp.ID("acs-submit")),
			); err != nil {
				t.Fatal(err)
			}
			waitText(t, frame, "acs-error", "1 more", "あと1回")
			if err := chromedp.Do(frame,
				chromedp.SendKeys(chromedp.ID("acs-password"), "wrong-again"),
				chromedp.Click(chromedp.ID("acs-submit")),
			); err != nil {
				t.Fatal(err)
			}
			text, _ := outcome()
			testkit.Contains(t, text, "Failed")
			if v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("reason"))); err != nil || v != "19" {
				t.Errorf("transStatusReason %q (%v)", v, err)
			}
		})
	})
}

// waitText waits until the element's text contains one of wants (the challenge follows the browser's
// language).
func waitText(t *testing.T, ctx context.Context, id string, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id))); err == nil {
			for _, w := range wants {
				if strings.Contains(got, w) {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("#%s never said any of %q", id, wants)
}
