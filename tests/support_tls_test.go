package tests

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/tests/testkit"
)

var csrfOnPage = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// staffSignInCookies signs agent01 in at base with client (redirects not followed) and returns the
// cookies the console set: the CSRF cookie from the sign-in page and the session cookie from the sign-in.
func staffSignInCookies(t *testing.T, app *testkit.App, client *http.Client, base string) map[string]*http.Cookie {
	t.Helper()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cookies := map[string]*http.Cookie{}
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page := testkit.ReadAll(t, resp.Body)
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c
	}
	m := csrfOnPage.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("sign-in page: status %d:\n%s", resp.StatusCode, testkit.Excerpt(page))
	}
	form := url.Values{"_csrf": {m[1]}, "login": {"agent01"}, "password": {demodata.StaffPassword},
		"code": {staffCode(t, app, "agent01", demodata.StaffTOTP)}}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	testkit.ReadAll(t, resp.Body)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/search" {
		t.Fatalf("sign-in: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c
	}
	if cookies["honnin_staff"] == nil || cookies["honnin_csrf"] == nil {
		t.Fatalf("the console set no session or CSRF cookie: %v", cookies)
	}
	return cookies
}

// With HONNIN_INTERNAL_TLS_CERT/_KEY the console and the internal endpoints are served over TLS only,
// and the console's cookies are Secure.
func TestSupportConsoleOverTLS(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		dir := t.TempDir()
		ca := newCA(t, "console CA")
		certPEM, keyPEM := ca.issue(t, "console", true)
		cert, key := filepath.Join(dir, "console.pem"), filepath.Join(dir, "console.key")
		if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		app := testkit.Start(t, b, testkit.Options{Serve: true, Env: map[string]string{
			"HONNIN_INTERNAL_TLS_CERT": cert, "HONNIN_INTERNAL_TLS_KEY": key}})
		console := "https://" + strings.TrimPrefix(app.Internal, "http://")

		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(ca.pem)
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
		cookies := staffSignInCookies(t, app, client, console)
		for _, name := range []string{"honnin_staff", "honnin_csrf"} {
			if c := cookies[name]; !c.Secure || !c.HttpOnly {
				t.Errorf("cookie %s over TLS: Secure=%v HttpOnly=%v, want both", name, c.Secure, c.HttpOnly)
			}
		}
		client.CheckRedirect = nil
		resp, err := client.Get(console + "/search")
		if err != nil {
			t.Fatal(err)
		}
		if body := testkit.ReadAll(t, resp.Body); resp.StatusCode != http.StatusOK || !strings.Contains(body, "agent01") {
			t.Errorf("/search over TLS after sign-in: status %d", resp.StatusCode)
		}
		for _, path := range []string{"/metrics", "/healthz"} {
			resp, err := client.Get(console + path)
			if err != nil {
				t.Fatalf("%s over TLS: %v", path, err)
			}
			testkit.ReadAll(t, resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s over TLS: status %d", path, resp.StatusCode)
			}
		}
		// Plain HTTP reaches nothing of the console.
		resp, err = testkit.HTTPClient().Get(app.Internal + "/login")
		if err == nil {
			body := testkit.ReadAll(t, resp.Body)
			if resp.StatusCode == http.StatusOK || strings.Contains(body, "_csrf") {
				t.Errorf("the console answers plain HTTP: status %d", resp.StatusCode)
			}
		}
	})
}

// A console on plain loopback HTTP works, with cookies that are not Secure, even when members reach
// the public side over https: the staff cookies follow the console's listener, not the public one.
func TestSupportConsoleCookiesFollowItsListener(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite, testkit.Options{Env: map[string]string{
		"HONNIN_BASE_URL": fmt.Sprintf("https://localhost:%d", 8443)}})
	jar, _ := cookiejar.New(nil)
	cookies := staffSignInCookies(t, app, &http.Client{Jar: jar, Timeout: 10 * time.Second}, app.Internal)
	for _, name := range []string{"honnin_staff", "honnin_csrf"} {
		if cookies[name].Secure {
			t.Errorf("cookie %s on a plain-HTTP console is Secure: the browser would never send it back", name)
		}
	}
	u := signInStaff(t, app, "super01")
	testkit.Contains(t, u.Text(), "Signed in as super01")
}
