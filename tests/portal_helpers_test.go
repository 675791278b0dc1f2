package tests

import (
	"cmp"
	"net/url"
	"strings"
	"testing"

	"honnin/app/i18n"
	"honnin/tests/testkit"
)

// ja is a message as a Japanese-speaking member sees it.
func ja(key string, args ...any) string { return i18n.Tr(i18n.JA, key, args...) }

// en is a message in English.
func en(key string, args ...any) string { return i18n.Tr(i18n.EN, key, args...) }

// sees fails the test unless the last page shows every text.
func sees(t *testing.T, u *testkit.User, texts ...string) {
	t.Helper()
	page := u.Text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			t.Errorf("the page %s (status %d) does not show %q:\n%s", u.LastURL, u.Status, s, testkit.Excerpt(page))
		}
	}
}

// doesNotSee fails the test when the last page shows any of the texts.
func doesNotSee(t *testing.T, u *testkit.User, texts ...string) {
	t.Helper()
	page := u.Text()
	for _, s := range texts {
		if strings.Contains(page, s) {
			t.Errorf("the page %s shows %q but should not:\n%s", u.LastURL, s, testkit.Excerpt(page))
		}
	}
}

// at fails the test unless the last request ended at path.
func at(t *testing.T, u *testkit.User, path string) {
	t.Helper()
	got, err := url.Parse(u.LastURL)
	if err != nil || got.Path != path {
		t.Fatalf("ended at %s (status %d), want %s:\n%s", u.LastURL, u.Status, path, testkit.Excerpt(u.Text()))
	}
}

// logIn opens the login page and submits the pair.
func logIn(t *testing.T, u *testkit.User, id, password string) {
	t.Helper()
	u.Get("/login")
	u.Submit("/login", url.Values{"login_id": {id}, "password": {password}})
}

// loggedIn logs in and expects to land on the member's page.
func loggedIn(t *testing.T, app *testkit.App, id, password string) *testkit.User {
	t.Helper()
	u := testkit.NewUser(t, app.URL)
	logIn(t, u, id, password)
	at(t, u, "/my")
	return u
}

// say is a message that names the issuer, the portal or the card desk's number, as the app shows it.
func say(app *testkit.App, l i18n.Locale, key string) string {
	c := app.Server.Config
	issuer, portal := c.IssuerName, c.PortalName
	if l == i18n.EN {
		issuer, portal = cmp.Or(c.IssuerNameEN, issuer), cmp.Or(c.PortalNameEN, portal)
	}
	return i18n.Tr(l, key, issuer, portal, c.SupportPhone)
}
