package tests

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"honnin/tests/testkit"
)

// demoLetter is one mail of the demo mailbox page.
type demoLetter struct {
	Kind, To, Subject, Body string
}

var (
	letterRE   = regexp.MustCompile(`(?s)<article class="card mail" id="mail-\d+" data-kind="([^"]*)" data-to="([^"]*)">.*?<h2 class="mail__subject">(.*?)</h2>.*?<pre class="mail__body">(.*?)</pre>`)
	mailCodeRE = regexp.MustCompile(`(?:認証コード：|Code: )(\d{6})`)
)

// demoMailbox opens /demo/mail as anyone would and returns its mails, newest first.
func demoMailbox(t *testing.T, app *testkit.App) []demoLetter {
	t.Helper()
	u := testkit.NewUser(t, app.URL)
	u.Get("/demo/mail")
	if u.Status != 200 {
		t.Fatalf("the demo mailbox answered %d", u.Status)
	}
	var letters []demoLetter
	for _, m := range letterRE.FindAllStringSubmatch(u.Last, -1) {
		letters = append(letters, demoLetter{Kind: m[1], To: html.UnescapeString(m[2]), Subject: html.UnescapeString(m[3]), Body: html.UnescapeString(m[4])})
	}
	return letters
}

// codeInMailbox returns the code of the newest code mail to address in the demo mailbox.
func codeInMailbox(t *testing.T, app *testkit.App, address string) string {
	t.Helper()
	for _, l := range demoMailbox(t, app) {
		if l.Kind == "code" && l.To == address {
			if m := mailCodeRE.FindStringSubmatch(l.Body); m != nil {
				return m[1]
			}
			t.Fatalf("a code mail without a code:\n%s", l.Body)
		}
	}
	t.Fatalf("no code mail to %s in the demo mailbox", address)
	return ""
}

// finishRegistration submits the account step with an address, types the code the demo mailbox shows
// and ends on the completion page.
func finishRegistration(t *testing.T, app *testkit.App, u *testkit.User, form url.Values, address string) {
	t.Helper()
	form.Set("email", address)
	u.Submit("/register/account", form)
	at(t, u, "/my/email/verify")
	u.Submit("/my/email/verify", url.Values{"code": {codeInMailbox(t, app, address)}})
	at(t, u, "/register/done")
}

// mailsTo returns the demo mailbox's mails to address of a kind, newest first.
func mailsTo(t *testing.T, app *testkit.App, address, kind string) []demoLetter {
	t.Helper()
	var out []demoLetter
	for _, l := range demoMailbox(t, app) {
		if l.To == address && (kind == "" || l.Kind == kind) {
			out = append(out, l)
		}
	}
	return out
}

// oneLine squeezes a mail body for a failure message.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " / ") }
