package acs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"honnin/app/emv"
	"honnin/db"
)

func TestNotifyOrigin(t *testing.T) {
	tests := []struct {
		raw       string
		allowHTTP bool
		origin    string
		ok        bool
	}{
		{"https://shop.example/3ds/notify", false, "https://shop.example", true},
		{"https://Shop.Example:8443/n?x=1", false, "https://shop.example:8443", true},
		{"https://[2001:db8::1]/n", false, "https://[2001:db8::1]", true},
		{"https://192.0.2.1/n", false, "https://192.0.2.1", true},
		{"http://localhost:8080/demo/shop/notify", true, "http://localhost:8080", true},
		{"http://shop.example/n", false, "", false},
		{"javascript:alert(document.domain)", true, "", false},
		{"data:text/html,x", true, "", false},
		{"https://x;report-uri/n", false, "", false},
		{"https://shop.example;report-uri https://evil.example/r", false, "", false},
		{"https://shop.example'/n", false, "", false},
		{"https://u:p@shop.example/n", false, "", false},
		{"https://shop.example:99999/n", false, "", false},
		{"https://shop.example:/n", false, "", false},
		{"https://[192.0.2.1]/n", false, "", false},
		{"https:///n", false, "", false},
		{"", false, "", false},
		{"ftp://shop.example/n", true, "", false},
	}
	for _, tt := range tests {
		origin, ok := notifyOrigin(tt.raw, tt.allowHTTP)
		if origin != tt.origin || ok != tt.ok {
			t.Errorf("notifyOrigin(%q, %v) = %q, %v; want %q, %v", tt.raw, tt.allowHTTP, origin, ok, tt.origin, tt.ok)
		}
	}
}

// rendered renders a step as the handler would and returns the response.
func rendered(t *testing.T, f *fixture, s step) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/3ds/challenge", nil), rec)
	c.Response().Header().Set("X-Frame-Options", "DENY")
	if err := f.render(c, s); err != nil {
		t.Fatal(err)
	}
	return rec
}

var hiddenRE = regexp.MustCompile(`name="([a-zA-Z]+)" value="([^"]*)"`)

func hidden(body string) map[string]string {
	out := map[string]string{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestRenderSteps(t *testing.T) {
	f := newFixture(t)
	ch := &db.Challenge{ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340", ThreeDSServerTransID: "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
		DSTransID: "9a880dc0-d2d2-4067-bcb1-b08d1690b26e", MessageVersion: emv.V220, Brand: db.BrandVisa, Last4: "0010",
		MerchantName: "Fuji Tea Shop", PurchaseAmount: "5000", PurchaseCurrency: "392", NotificationURL: "https://shop.example/notify",
		BrowserLanguage: "en-US", ChallengeWindowSize: "01", SessionData: "stored-sd"}
	finished := func(state, status string) *db.Challenge {
		c := *ch
		c.State, c.TransStatus = state, status
		return &c
	}
	tests := []struct {
		name     string
		step     step
		status   int
		text     []string
		postsTo  string
		cres     map[string]string
		formFrom string // form-action beyond 'self'
	}{
		{"form", step{kind: stepForm, ch: ch, token: "tok", personalMessage: "my message", errorKey: "acs.error.wrong", triesLeft: 2, loginID: "yamada01"},
			http.StatusOK, []string{"Visa Secure", "Fuji Tea Shop", "JPY 5,000", "****0010", "my message", "2 more tries"}, "", nil, "https://shop.example"},
		{"succeeded", step{kind: stepFinal, ch: finished(db.ChallengeSucceeded, "Y")}, http.StatusOK, []string{"You are verified"},
			"https://shop.example/notify", map[string]string{"messageType": "CRes", "transStatus": "Y", "challengeCompletionInd": "Y"}, "https://shop.example"},
		{"cancelled", step{kind: stepFinal, ch: finished(db.ChallengeCancelled, "N")}, http.StatusOK, []string{"You cancelled"},
			"https://shop.example/notify", map[string]string{"messageType": "CRes", "transStatus": "N"}, "https://shop.example"},
		{"expired", step{kind: stepFinal, ch: finished(db.ChallengeExpired, "N")}, http.StatusOK, []string{"timed out"},
			"https://shop.example/notify", map[string]string{"transStatus": "N"}, "https://shop.example"},
		{"failed", step{kind: stepFinal, ch: finished(db.ChallengeFailed, "N")}, http.StatusOK, []string{"could not verify you"},
			"https://shop.example/notify", map[string]string{"transStatus": "N"}, "https://shop.example"},
		{"locked", step{kind: stepLocked, ch: finished(db.ChallengeFailed, "N"), lockedUntil: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)},
			http.StatusOK, []string{"locked", "2026-11-26 10:00"}, "https://shop.example/notify", map[string]string{"transStatus": "N"}, "https://shop.example"},
		{"problem with an Erro", step{kind: stepProblem, ch: ch, problemKey: "acs.problem.finished", sessionData: "sd",
			erro: newErro(emv.ErrTransData, "acsTransID", emv.TypeCReq, emv.V220)},
			http.StatusOK, []string{"already ended"}, "https://shop.example/notify", map[string]string{"messageType": "Erro", "errorCode": "305"}, "https://shop.example"},
		{"problem without a transaction", step{kind: stepProblem, problemKey: "acs.problem.unknown"}, http.StatusBadRequest,
			[]string{"見つかりませんでした"}, "", nil, ""},
		{"open elsewhere", step{kind: stepProblem, ch: ch, problemKey: "acs.problem.open_elsewhere"}, http.StatusOK,
			[]string{"already open in another window"}, "", nil, "https://shop.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := rendered(t, f, tt.step)
			body := rec.Body.String()
			if rec.Code != tt.status {
				t.Errorf("HTTP %d, want %d", rec.Code, tt.status)
			}
			for _, w := range tt.text {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			csp := rec.Header().Get("Content-Security-Policy")
			want := "form-action 'self'"
			if tt.formFrom != "" {
				want += " " + tt.formFrom
			}
			if !strings.Contains(csp, want+";") || !strings.Contains(csp, "frame-ancestors http: https:") || rec.Header().Get("X-Frame-Options") != "" {
				t.Errorf("headers: CSP %q, X-Frame-Options %q", csp, rec.Header().Get("X-Frame-Options"))
			}
			action := ""
			if m := regexp.MustCompile(`<form[^>]*action="([^"]*)"`).FindStringSubmatch(body); m != nil {
				action = m[1]
			}
			if tt.step.kind == stepForm {
				h := hidden(body)
				if action != "/3ds/challenge/submit" || h["token"] != "tok" || h["acsTransID"] != ch.ACSTransID || h["loginID"] != "yamada01" {
					t.Errorf("form posts to %q with %v", action, h)
				}
				if _, ok := h["try"]; ok || strings.Contains(body, `name="password" value`) {
					t.Errorf("the form carries a try count or the password")
				}
				return
			}
			if action != tt.postsTo {
				t.Fatalf("posts to %q, want %q", action, tt.postsTo)
			}
			if tt.cres == nil {
				return
			}
			h := hidden(body)
			raw, err := base64.RawURLEncoding.DecodeString(h["cres"])
			var got map[string]string
			if err != nil || json.Unmarshal(raw, &got) != nil {
				t.Fatalf("cres %q is not unpadded base64url JSON", h["cres"])
			}
			for k, v := range tt.cres {
				if got[k] != v {
					t.Errorf("cres %s = %q, want %q", k, got[k], v)
				}
			}
			wantSD := "stored-sd"
			if tt.step.kind == stepProblem {
				wantSD = "sd"
			}
			if h["threeDSSessionData"] != wantSD {
				t.Errorf("threeDSSessionData %q, want %q", h["threeDSSessionData"], wantSD)
			}
		})
	}
}

func TestRenderRefusesAnUnsafeNotificationURL(t *testing.T) {
	f := newFixture(t)
	for _, bad := range []string{"javascript:alert(document.domain)", "https://x;report-uri https://evil.example/r", "http://shop.example/n"} {
		ch := &db.Challenge{ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340", MessageVersion: emv.V220, State: db.ChallengeSucceeded,
			TransStatus: "Y", NotificationURL: bad, BrowserLanguage: "ja"}
		rec := rendered(t, f, step{kind: stepFinal, ch: ch})
		body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
		if strings.Contains(body, "<form") || strings.Contains(body, "acs-autopost") || !strings.Contains(csp, "form-action 'self';") {
			t.Errorf("%s: the page posts (CSP %s)", bad, csp)
		}
		if !strings.Contains(body, "ショップへ結果をお送りできませんでした") {
			t.Errorf("%s: the page does not say the result could not be sent", bad)
		}
	}
	// Demo mode allows the demo shop's http URL.
	f.Config.Demo = true
	ch := &db.Challenge{ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340", MessageVersion: emv.V220, State: db.ChallengeSucceeded,
		TransStatus: "Y", NotificationURL: "http://localhost:8080/demo/shop/notify"}
	if rec := rendered(t, f, step{kind: stepFinal, ch: ch}); !strings.Contains(rec.Body.String(), `action="http://localhost:8080/demo/shop/notify"`) {
		t.Errorf("demo mode: the page does not post to the demo shop")
	}
}

func TestFailPage(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/3ds/challenge", nil), rec)
	if err := f.failPage(c, errChurn); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "ただいま本人認証を行えません") || strings.Contains(rec.Body.String(), "kept changing") {
		t.Errorf("fail page: HTTP %d %s", rec.Code, rec.Body.String())
	}

	// A browser that went away gets no page: the error goes to the server's handler as a closed request.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec = httptest.NewRecorder()
	c = echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/3ds/challenge", nil).WithContext(ctx), rec)
	if err := f.failPage(c, context.Canceled); !errors.Is(err, context.Canceled) || rec.Body.Len() != 0 {
		t.Errorf("closed request: err %v, body %q", err, rec.Body.String())
	}
}

func TestChallengeHeaders(t *testing.T) {
	for origin, formAction := range map[string]string{"": "form-action 'self';", "https://shop.example": "form-action 'self' https://shop.example;"} {
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/3ds/challenge", nil), rec)
		c.Response().Header().Set("X-Frame-Options", "DENY")
		setChallengeHeaders(c, origin)
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{formAction, "frame-ancestors http: https:", "script-src 'self';", "base-uri 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("origin %q: CSP %q lacks %q", origin, csp, want)
			}
		}
		if strings.Count(csp, "form-action") != 1 || rec.Header().Get("X-Frame-Options") != "" {
			t.Errorf("origin %q: CSP %q, X-Frame-Options %q", origin, csp, rec.Header().Get("X-Frame-Options"))
		}
	}
}
