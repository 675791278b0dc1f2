package tests

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"honnin/tests/testkit"
)

// challengeLayout is where the challenge's parts sit in its frame, in CSS pixels.
type challengeLayout struct {
	ViewportWidth, ViewportHeight float64
	IssuerText                    string
	IssuerHeight, MarkHeight      float64
	SubmitBottom                  float64
	MessageRight, FormLeft        float64
	MainWidth                     float64
	PageScrollWidth               float64
}

const measureChallenge = `(() => {
	const r = id => document.getElementById(id).getBoundingClientRect();
	const issuer = document.getElementById("acs-issuer");
	return {
		ViewportWidth: document.documentElement.clientWidth, ViewportHeight: window.innerHeight,
		IssuerText: getComputedStyle(issuer).visibility === "visible" && issuer.getClientRects().length ? issuer.innerText : "",
		IssuerHeight: r("acs-issuer").height, MarkHeight: r("acs-mark").height,
		SubmitBottom: r("acs-submit").bottom + window.scrollY,
		MessageRight: r("acs-personal-message").right, FormLeft: document.querySelector("form.acs-form").getBoundingClientRect().left,
		MainWidth: document.querySelector(".acs-challenge").getBoundingClientRect().width,
		PageScrollWidth: document.documentElement.scrollWidth,
	};
})()`

// TestChallengeLayoutBrowser opens the challenge through the demo shop's iframe at each
// challengeWindowSize, in Chromium: the issuer's name is visible and as tall as the programme mark;
// at 01 (250×400) and 02 (390×400) everything up to 送信 fits without scrolling, also after a wrong
// answer; from 03 on the form sits beside the personal message, using the width.
func TestChallengeLayoutBrowser(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ctx := testkit.Browser(t)

		browserT := t // the frames' contexts end with the browser, not with each subtest
		// Each size gets one wrong answer; spread over two members so none reaches the lockout.
		for _, tc := range []struct{ window, card, loginID string }{
			{"01", "0", "yamada01"}, {"02", "0", "yamada01"}, {"03", "2", "tanaka04a"}, {"04", "2", "tanaka04a"}, {"05", "1", "yamada01"},
		} {
			window := tc.window
			t.Run("window "+window, func(t *testing.T) {
				frame := openDemoChallenge(browserT, ctx, app, tc.card, window)
				check := func(state string) {
					t.Helper()
					l, err := chromedp.Run(frame, chromedp.Evaluate[challengeLayout](measureChallenge))
					if err != nil {
						t.Fatal(err)
					}
					testkit.Screenshot(t, ctx, fmt.Sprintf("challenge-%s-%s-%s", window, state, b))
					if l.IssuerText != "日専連静岡" {
						t.Errorf("%s: issuer name shown %q, want 日専連静岡", state, l.IssuerText)
					}
					if l.IssuerHeight < l.MarkHeight || l.MarkHeight == 0 {
						t.Errorf("%s: issuer name %.0f px tall beside a %.0f px programme mark", state, l.IssuerHeight, l.MarkHeight)
					}
					if l.PageScrollWidth > l.ViewportWidth {
						t.Errorf("%s: the page is %.0f px wide in a %.0f px frame", state, l.PageScrollWidth, l.ViewportWidth)
					}
					switch window {
					case "01", "02":
						if l.SubmitBottom > l.ViewportHeight {
							t.Errorf("%s: 送信 ends at %.0f px in a %.0f px tall frame: the shopper must scroll", state, l.SubmitBottom, l.ViewportHeight)
						}
					default:
						if l.FormLeft < l.MessageRight {
							t.Errorf("%s: the form (left %.0f) is not beside the personal message (right %.0f) in a %.0f px wide frame", state, l.FormLeft, l.MessageRight, l.ViewportWidth)
						}
						if l.MainWidth < 0.8*l.ViewportWidth && l.MainWidth < 800 {
							t.Errorf("%s: the challenge uses %.0f of %.0f px", state, l.MainWidth, l.ViewportWidth)
						}
						if l.SubmitBottom > l.ViewportHeight {
							t.Errorf("%s: 送信 ends at %.0f px in a %.0f px tall frame", state, l.SubmitBottom, l.ViewportHeight)
						}
					}
				}
				check("first")
				if err := chromedp.Do(frame,
					chromedp.SendKeys(chromedp.ID("acs-login-id"), tc.loginID),
					chromedp.SendKeys(chromedp.ID("acs-password"), "not-the-password"),
					chromedp.Click(chromedp.ID("acs-submit")),
					chromedp.WaitVisible(chromedp.ID("acs-error")),
				); err != nil {
					t.Fatal(err)
				}
				check("after-wrong-answer")
				focused, err := chromedp.Run(frame, chromedp.Evaluate[string](`document.activeElement.id + " " + `+
					`document.getElementById("acs-login-id").getAttribute("aria-invalid") + " " + `+
					`document.getElementById("acs-password").getAttribute("aria-invalid")`))
				if err != nil || focused != "acs-login-id true true" {
					t.Errorf("after a wrong answer: focus, ID invalid, password invalid = %q (%v), want the ID field focused and both invalid", focused, err)
				}
			})
		}
	})
}

// openDemoChallenge buys in the demo shop with the card at index card, the challenge in an iframe of
// the window size, and returns a context inside the challenge's frame once its form is shown.
func openDemoChallenge(t *testing.T, ctx context.Context, app *testkit.App, card, window string) context.Context {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.AltURL+"/demo/shop"),
		chromedp.SetValue(chromedp.ID("card"), card),
		chromedp.SetValue(chromedp.ID("window"), window),
		chromedp.Click(chromedp.ID("buy")),
	); err != nil {
		t.Fatal(err)
	}
	frame := challengeFrame(t, ctx, app.URL)
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.ID("acs-submit"))); err != nil {
		t.Fatal(err)
	}
	return frame
}
