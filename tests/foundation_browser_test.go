package tests

import (
	"testing"

	"github.com/chromedp/chromedp"

	"honnin/tests/testkit"
)

// The landing page fits a phone and its language switch works in a real browser.
func TestBrowserLandingOnAPhone(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	ctx := testkit.Browser(t)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(app.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	); err != nil {
		t.Fatal(err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || h1 != "My日専連静岡へようこそ" {
		t.Fatalf("h1 = %q, %v", h1, err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || overflow {
		t.Errorf("page wider than a 360 px screen (overflow=%v, err=%v)", overflow, err)
	}
	testkit.Screenshot(t, ctx, "landing-360")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.lang-switch a[lang="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)),
	); err != nil {
		t.Fatal(err)
	}
	h1, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if h1 != "Welcome to My Nissenren Shizuoka" {
		t.Errorf("after switching: h1 = %q", h1)
	}
}
