package tests

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"honnin/tests/testkit"
)

// previewScreen is what one brand's preview frame shows, read inside the frame.
type previewScreen struct {
	Issuer, MarkAlt, Message, Card, Submit, LoginLabel string
	Marks                                              int
	FrameWidth, FrameHeight, SubmitBottom              float64
}

const readPreviewScreen = `(() => {
	const text = id => (document.getElementById(id) || {}).innerText || "";
	return {
		Issuer: text("acs-issuer"), MarkAlt: document.getElementById("acs-mark").alt, Message: text("acs-personal-message"),
		Card: text("acs-card"), Submit: text("acs-submit"), LoginLabel: document.querySelector('label[for="acs-login-id"]').innerText,
		Marks: document.querySelectorAll("img").length,
		FrameWidth: document.documentElement.clientWidth, FrameHeight: window.innerHeight,
		SubmitBottom: document.getElementById("acs-submit").getBoundingClientRect().bottom,
	};
})()`

// TestPortalPreviewIsTheChallengeBrowser: the personal-message page's 「お店での表示イメージ」 is the
// challenge page itself, one frame per brand the member holds, one open at a time, each with that
// brand's mark only, the card's last digits and the message just typed.
func TestPortalPreviewIsTheChallengeBrowser(t *testing.T) {
	testkit.Each(t, func(t *testing.T, backend testkit.Backend) {
		app := testkit.Start(t, backend)
		b := newBrowserUser(t, app)
		b.logIn("yamada01", "fuji-san-2026")
		b.open("/my/message")
		b.fill("message", "桜えびと富士山")
		b.press("#preview")
		b.sees(ja("message.preview.heading"))

		open := func() string {
			t.Helper()
			ids, err := chromedp.Run(b.step(), chromedp.Evaluate[[]string](
				`[...document.querySelectorAll("details.challenge-preview[open]")].map(d => d.id)`))
			if err != nil {
				t.Fatal(err)
			}
			return strings.Join(ids, " ")
		}

		if got := open(); got != "preview-jcb" {
			t.Errorf("open previews %q, want the JCB one alone", got)
		}
		want := map[string]previewScreen{
			"jcb":  {Issuer: "日専連静岡", MarkAlt: "J/Secure", Message: "桜えびと富士山", Card: "****0019", Submit: "送信", LoginLabel: "My日専連静岡のID", Marks: 1},
			"visa": {Issuer: "日専連静岡", MarkAlt: "Visa Secure", Message: "桜えびと富士山", Card: "****0010", Submit: "送信", LoginLabel: "My日専連静岡のID", Marks: 1},
		}
		for _, brand := range []string{"jcb", "visa"} {
			if brand == "visa" {
				if err := chromedp.Do(b.step(), chromedp.Click(chromedp.CSS("#preview-visa summary"))); err != nil {
					t.Fatal(err)
				}
				if got := open(); got != "preview-visa" {
					t.Errorf("after opening Visa Secure the open previews are %q, want the Visa one alone", got)
				}
			}
			s := readPreview(t, b, brand)
			got := s
			got.FrameWidth, got.FrameHeight, got.SubmitBottom = 0, 0, 0
			if got != want[brand] {
				t.Errorf("%s preview shows %+v, want %+v", brand, got, want[brand])
			}
			if s.FrameWidth < 380 || s.FrameHeight < 390 || s.SubmitBottom > s.FrameHeight {
				t.Errorf("%s preview: a %.0f×%.0f frame with 送信 ending at %.0f px, want the 390×400 window with 送信 in view", brand, s.FrameWidth, s.FrameHeight, s.SubmitBottom)
			}
		}
		testkit.Screenshot(t, b.ctx, "portal-preview-"+string(backend))
		b.fitsNarrowScreen()
	})
}

// readPreview reads what one brand's preview frame shows. A sandboxed frame runs in a process of its
// own: a target whose ID is the frame's.
func readPreview(t *testing.T, b *browserUser, brand string) previewScreen {
	t.Helper()
	frames, err := chromedp.Run(b.step(), chromedp.Nodes(chromedp.CSS("#preview-"+brand+" iframe")))
	if err != nil {
		t.Fatalf("no %s preview: %v", brand, err)
	}
	frame, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(target.ID(frames[0].FrameID)))
	t.Cleanup(cancel) // with the test: cancelling earlier would detach the page's browser
	ctx, stop := context.WithTimeout(frame, 20*time.Second)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("acs-submit"))); err != nil {
		t.Fatalf("the %s preview shows no challenge: %v", brand, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[previewScreen](readPreviewScreen))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var srcdocAttr = regexp.MustCompile(`srcdoc="([^"]*)"`)

// previewTexts is what each preview frame of a page shows, as text.
func previewTexts(page string) []string {
	var out []string
	for _, m := range srcdocAttr.FindAllStringSubmatch(page, -1) {
		out = append(out, testkit.VisibleText(html.UnescapeString(m[1])))
	}
	return out
}
