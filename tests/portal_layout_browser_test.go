package tests

import (
	"testing"

	"github.com/chromedp/chromedp"

	"honnin/tests/testkit"
)

// measure evaluates a script that returns a number in the page.
func (b *browserUser) measure(script string) float64 {
	b.t.Helper()
	v, err := chromedp.Run(b.step(), chromedp.Evaluate[float64](script))
	if err != nil {
		b.t.Fatalf("%s: %v", script, err)
	}
	return v
}

// onPhone shows the page on a 375×740 phone screen until the test ends.
func (b *browserUser) onPhone() {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(375, 740)); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = chromedp.Do(b.ctx, chromedp.EmulateViewport(1024, 900)) })
}

const (
	// visibleMenuLinks counts the menu's links a person can see.
	visibleMenuLinks = `[...document.querySelectorAll('nav.menu a')].filter(a => a.getClientRects().length > 0).length`
	// offMenuRow counts the menu's links and logout whose middle is not on the first link's row.
	offMenuRow = `(() => { const all = [...document.querySelectorAll('nav.menu a, form.menu__logout button')], row = all[0].getBoundingClientRect();
		return all.filter(e => { const r = e.getBoundingClientRect(), mid = (r.top + r.bottom) / 2; return mid < row.top || mid > row.bottom }).length })()`
	// logoutLines counts the lines the logout button's words take.
	logoutLines = `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('form.menu__logout button')); return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size })()`
	menuHeight  = `document.querySelector('nav.menu').getBoundingClientRect().height`
)

// On a phone the menu is one compact bar (a menu button and the logout); on a desktop every item and
// the logout sit on one row, the logout's words on one line. Both languages.
func TestPortalBrowserMenuOnPhoneAndDesktop(t *testing.T) {
	testkit.Each(t, func(t *testing.T, backend testkit.Backend) {
		app := testkit.Start(t, backend)
		b := newBrowserUser(t, app)
		b.logIn("yamada01", "fuji-san-2026")
		b.mustBeAt("/my")
		for _, lang := range []string{"ja", "en"} {
			b.open("/my/history?lang=" + lang)
			if n := b.measure(visibleMenuLinks); n != 8 {
				t.Errorf("%s desktop: %v menu links visible, want 8", lang, n)
			}
			if off := b.measure(offMenuRow); off != 0 {
				t.Errorf("%s desktop: %v menu entries wrap below the first row", lang, off)
			}
			if lines := b.measure(logoutLines); lines != 1 {
				t.Errorf("%s desktop: the logout button takes %v lines", lang, lines)
			}
		}

		b.onPhone()
		for _, lang := range []string{"ja", "en"} {
			b.open("/my/history?lang=" + lang)
			testkit.Screenshot(t, b.ctx, "menu-phone-"+lang)
			if h := b.measure(menuHeight); h > 52 {
				t.Errorf("%s phone: the menu is %v px high, want one bar of at most 52", lang, h)
			}
			if n := b.measure(visibleMenuLinks); n != 0 {
				t.Errorf("%s phone: %v menu links show before the menu is opened", lang, n)
			}
			if lines := b.measure(logoutLines); lines != 1 {
				t.Errorf("%s phone: the logout button takes %v lines", lang, lines)
			}
			b.fitsNarrowScreen()
			b.onPhone()
			if err := chromedp.Do(b.step(), chromedp.Click(chromedp.CSS("label.menu__button"))); err != nil {
				t.Fatal(err)
			}
			testkit.Screenshot(t, b.ctx, "menu-phone-open-"+lang)
			if n := b.measure(visibleMenuLinks); n != 8 {
				t.Errorf("%s phone: %v menu links show after opening the menu, want 8", lang, n)
			}
			if small := b.measure(`[...document.querySelectorAll('nav.menu a')].filter(a => a.getBoundingClientRect().height < 44).length`); small != 0 {
				t.Errorf("%s phone: %v menu links are smaller than a 44 px target", lang, small)
			}
		}
		b.press(`nav.menu a[href="/my/cards"]`)
		b.mustBeAt("/my/cards")
	})
}

// On a phone every card heading stays inside its box, and each radio button's label is a 44 px target.
func TestPortalBrowserHeadingsAndRadiosOnAPhone(t *testing.T) {
	testkit.Each(t, func(t *testing.T, backend testkit.Backend) {
		app := testkit.Start(t, backend)
		b := newBrowserUser(t, app)
		b.logIn("yamada01", "fuji-san-2026")
		b.onPhone()
		for _, path := range []string{"/my", "/my/cards", "/my/threeds", "/my/threeds/change", "/my/message", "/my/credentials", "/my/history", "/my/trust", "/help"} {
			for _, lang := range []string{"ja", "en"} {
				b.open(path + "?lang=" + lang)
				outside := b.measure(`[...document.querySelectorAll('main h1, main h2, main legend, main .notice strong')].filter(h => {
					const box = h.closest('.card, fieldset, .notice, main').getBoundingClientRect(), r = h.getBoundingClientRect();
					return r.left < box.left - 0.5 || r.right > box.right + 0.5 || h.scrollWidth > h.clientWidth + 1;
				}).length`)
				if outside != 0 {
					testkit.Screenshot(t, b.ctx, "headings"+path)
					t.Errorf("%s (%s): %v headings overflow their box", path, lang, outside)
				}
			}
		}
		b.open("/my/threeds/change?lang=ja")
		if n := b.measure(`document.querySelectorAll('label.choice').length`); n < 2 {
			t.Fatalf("%v radio labels on the change page", n)
		}
		if small := b.measure(`[...document.querySelectorAll('label.choice')].filter(l => l.getBoundingClientRect().height < 44).length`); small != 0 {
			t.Errorf("%v radio labels are smaller than a 44 px target", small)
		}
		if small := b.measure(`[...document.querySelectorAll('label.choice input[type=radio]')].filter(r => r.getBoundingClientRect().width < 24).length`); small != 0 {
			t.Errorf("%v radio buttons are smaller than 24 px", small)
		}
	})
}
