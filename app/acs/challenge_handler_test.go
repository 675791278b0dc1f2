package acs

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
)

// postForm sends a form to one of the challenge handlers, from the fixture's browser.
func (f *fixture) postForm(t *testing.T, handler func(echo.Context) error, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/3ds/challenge", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", browser.UserAgent)
	req.RemoteAddr = browser.IP + ":50000"
	rec := httptest.NewRecorder()
	if err := handler(echo.New().NewContext(req, rec)); err != nil {
		t.Fatal(err)
	}
	return rec
}

func creqField(ares *emv.ARes) string {
	b, _ := json.Marshal(creq(ares))
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestChallengeHandlerRefusesUnreadableRequests(t *testing.T) {
	f := newFixture(t)
	ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
	tests := []struct {
		name string
		form url.Values
	}{
		{"no creq", url.Values{}},
		{"not base64", url.Values{"creq": {"***"}}},
		{"not a CReq", url.Values{"creq": {base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CRes","messageVersion":"2.2.0"}`))}}},
		{"creq too long", url.Values{"creq": {strings.Repeat("A", maxCReqChars+1)}}},
		{"session data too long", url.Values{"creq": {creqField(ares)}, "threeDSSessionData": {strings.Repeat("s", maxSessionData+1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.postForm(t, f.challenge, tt.form)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "読み取れませんでした") || strings.Contains(rec.Body.String(), `name="cres"`) {
				t.Errorf("HTTP %d: %s", rec.Code, rec.Body.String())
			}
		})
	}
	if ch := f.row(t, ares.ACSTransID); ch.State != db.ChallengeCreated {
		t.Errorf("a refused CReq moved the challenge to %s", ch.State)
	}
}

func TestChallengeHandlersRoundTrip(t *testing.T) {
	f := newFixture(t)
	ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
	page := f.postForm(t, f.challenge, url.Values{"creq": {creqField(ares)}, "threeDSSessionData": {"sd-42"}})
	form := hidden(page.Body.String())
	if page.Code != http.StatusOK || form["token"] == "" || !strings.Contains(page.Body.String(), "富士山と緑茶") {
		t.Fatalf("challenge page: HTTP %d %v", page.Code, form)
	}
	ch := f.row(t, ares.ACSTransID)
	if ch.ShownToHash != viewerHash(browser) || ch.SessionData != "sd-42" {
		t.Errorf("row after the CReq: %+v", ch)
	}

	// An ID longer than any ID is answered as a wrong answer, not checked as given.
	wrong := f.postForm(t, f.challengeSubmit, url.Values{"acsTransID": {form["acsTransID"]}, "token": {form["token"]},
		"loginID": {strings.Repeat("y", 300)}, "password": {"fuji-san-2026"}, "action": {"submit"}})
	next := hidden(wrong.Body.String())
	if !strings.Contains(wrong.Body.String(), "IDまたはパスワードが正しくありません") || next["token"] == "" || next["token"] == form["token"] || next["loginID"] != "" {
		t.Fatalf("long ID: %v", next)
	}
	done := f.postForm(t, f.challengeSubmit, url.Values{"acsTransID": {next["acsTransID"]}, "token": {next["token"]},
		"loginID": {"yamada01"}, "password": {"fuji-san-2026"}, "action": {"submit"}, "try": {"0"}})
	out := hidden(done.Body.String())
	raw, _ := base64.RawURLEncoding.DecodeString(out["cres"])
	var cres emv.CRes
	if json.Unmarshal(raw, &cres) != nil || cres.TransStatus != emv.StatusY || out["threeDSSessionData"] != "sd-42" {
		t.Errorf("final page: %v %+v", out, cres)
	}
	if r := f.outbox(t, ares.ACSTransID); len(r) != 1 || r[0].InteractionCounter != "02" {
		t.Errorf("RReqs %+v", r)
	}
}

func TestConcurrentFirstCReqsShowOneForm(t *testing.T) {
	f := newFixture(t)
	ares, _ := f.aresFor(t, demodata.YamadaVisa, nil)
	const n = 6
	steps := make([]step, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			steps[i], errs[i] = f.showChallenge(f.ctx, creq(ares), "sd", f.now, browser)
		}()
	}
	wg.Wait()
	live := 0
	ch := f.row(t, ares.ACSTransID)
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("CReq %d: %v", i, errs[i])
		}
		if steps[i].kind != stepForm {
			t.Errorf("CReq %d from the same browser: %+v", i, steps[i])
		}
		if _, behind, ok := formToken(ch, steps[i].token, testTries); ok && behind == 0 {
			live++
		}
	}
	if live != 1 || ch.State != db.ChallengeShown {
		t.Errorf("%d live tokens after %d CReqs at once, state %s; want exactly one", live, n, ch.State)
	}
}
