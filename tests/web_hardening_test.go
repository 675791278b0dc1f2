package tests

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"honnin/tests/testkit"
)

// get sends a GET with the given headers and returns the response and its body.
func get(t *testing.T, rawURL string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := testkit.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, testkit.ReadAll(t, resp.Body)
}

// The not-found page's language link leads to this site, whatever the path looked like.
func TestNotFoundLanguageLinkStaysOnSite(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	for _, base := range []string{app.URL, app.Internal} {
		for path, link := range map[string]string{
			"//evil.example/x":  `href="/evil.example/x?lang=en"`,
			"///evil.example/x": `href="/evil.example/x?lang=en"`,
			`/\evil.example/x`:  `href="/evil.example/x?lang=en"`,
			"/no-such-page":     `href="/no-such-page?lang=en"`,
		} {
			resp, body := get(t, base+path, map[string]string{"Accept-Language": "ja"})
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s%s: status %d, want 404", base, path, resp.StatusCode)
			}
			if !strings.Contains(body, link) {
				t.Errorf("%s%s: the page has no link %s", base, path, link)
			}
			if strings.Contains(body, `href="//`) || strings.Contains(body, `href="/\`) {
				t.Errorf("%s%s: a link leaves the site:\n%s", base, path, testkit.Excerpt(body))
			}
		}
	}
}

// /static/ serves files and lists no directory.
func TestStaticListsNothing(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	for _, path := range []string{"/static/", "/static/js/", "/static/js", "/static/css/", "/static/img/"} {
		resp, body := get(t, app.URL+path, nil)
		listed := strings.Contains(body, "<pre>") || strings.Contains(body, "acs-autopost") || strings.Contains(body, "README.txt") ||
			strings.Contains(body, "favicon.svg\">") || strings.Contains(body, `href="js/"`)
		if resp.StatusCode != http.StatusNotFound || listed {
			t.Errorf("%s: status %d:\n%s", path, resp.StatusCode, testkit.Excerpt(body))
		}
	}
	resp, body := get(t, app.URL+"/static/js/acs-autopost.js", nil)
	if resp.StatusCode != http.StatusOK || body == "" || resp.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("a script: status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

var madeRequestID = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

// A client's X-Request-Id is used only when it is a plain ID of at most 64 characters.
func TestClientRequestID(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	long := strings.Repeat("a", 65)
	for sent, kept := range map[string]bool{
		"abc-123_XYZ":               true,
		strings.Repeat("b", 64):     true,
		long:                        false,
		"<script>alert(1)</script>": false,
		"id with spaces":            false,
		"id\u00e9":                  false,
		"a\" onmouseover=\"x":       false,
		"../../etc/passwd":          false,
		"id;level=error msg=forged": false,
	} {
		resp, body := get(t, app.URL+"/no-such-page", map[string]string{"X-Request-Id": sent})
		got := resp.Header.Get("X-Request-Id")
		if kept && got != sent {
			t.Errorf("X-Request-Id %q came back as %q", sent, got)
		}
		if !kept {
			if got == sent || !madeRequestID.MatchString(got) {
				t.Errorf("X-Request-Id %q: answered with %q, want a fresh ID", sent, got)
			}
			if strings.Contains(body, sent) || strings.Contains(app.Logs.String(), sent) {
				t.Errorf("X-Request-Id %q reached the page or the log", sent)
			}
		}
	}
}
