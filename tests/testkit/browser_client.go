package testkit

import (
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// User is a person with a browser-like HTTP client: cookies kept, redirects followed, forms posted
// with the CSRF token of the page they came from.
type User struct {
	t      testing.TB
	Base   string
	Client *http.Client
	// Last is the body of the last page fetched.
	Last string
	// LastURL is where the last request ended (after redirects).
	LastURL string
	// Status is the last response's status code.
	Status int
	// Lang, when set, is sent as Accept-Language.
	Lang string
}

// NewUser returns a person visiting base.
func NewUser(t testing.TB, base string) *User {
	jar, _ := cookiejar.New(nil)
	return &User{t: t, Base: base, Client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// Get fetches a page.
func (u *User) Get(path string) string {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u.Base+path, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	return u.do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// CSRF returns the CSRF token on the last page ("" when it has none).
func (u *User) CSRF() string {
	m := csrfField.FindStringSubmatch(u.Last)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// Submit posts a form to path with the last page's CSRF token added.
func (u *User) Submit(path string, form url.Values) string {
	u.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", u.CSRF())
	}
	return u.Post(path, form)
}

// Post posts a form as it is (no CSRF token added).
func (u *User) Post(path string, form url.Values) string {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

func (u *User) do(req *http.Request) string {
	u.t.Helper()
	if u.Lang != "" {
		req.Header.Set("Accept-Language", u.Lang)
	}
	resp, err := u.Client.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	u.Status = resp.StatusCode
	u.LastURL = resp.Request.URL.String()
	u.Last = ReadAll(u.t, resp.Body)
	return u.Last
}

// Text returns the last page with tags removed and entities decoded, whitespace folded: what a person reads.
func (u *User) Text() string { return VisibleText(u.Last) }

var (
	tagRE    = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	spacesRE = regexp.MustCompile(`\s+`)
)

// VisibleText strips tags and folds whitespace.
func VisibleText(page string) string {
	return strings.TrimSpace(spacesRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(page, " ")), " "))
}
