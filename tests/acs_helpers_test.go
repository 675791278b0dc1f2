package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/tests/testkit"
)

// areqFor is a complete, valid browser AReq for a payment with the card number pan (version 2.2.0).
func areqFor(pan string) map[string]any {
	return map[string]any{
		"threeDSServerTransID":              uuid.NewString(),
		"dsTransID":                         uuid.NewString(),
		"dsReferenceNumber":                 "DS-TEST-0001",
		"threeDSServerRefNumber":            "3DS-SERVER-TEST",
		"threeDSServerURL":                  "https://3ds-server.example/results",
		"threeDSRequestorID":                "REQ-0001",
		"threeDSRequestorName":              "Test Shop Requestor",
		"threeDSRequestorURL":               "https://shop.example",
		"threeDSRequestorAuthenticationInd": "01",
		"threeDSRequestorChallengeInd":      "01",
		"threeDSCompInd":                    "N",
		"acquirerBIN":                       "400551",
		"acquirerMerchantID":                "MERCHANT-0001",
		"acctNumber":                        pan,
		"cardExpiryDate":                    demoExpiry(pan),
		"mcc":                               "5411",
		"merchantCountryCode":               "392",
		"merchantName":                      "Fuji Tea Shop",
		"purchaseAmount":                    "5000",
		"purchaseCurrency":                  "392",
		"purchaseExponent":                  "0",
		"purchaseDate":                      time.Now().UTC().Format("20060102150405"),
		"notificationURL":                   "https://shop.example/3ds/notify",
		"browserAcceptHeader":               "text/html,application/xhtml+xml",
		"browserIP":                         "192.0.2.10",
		"browserJavaEnabled":                false,
		"browserJavascriptEnabled":          true,
		"browserLanguage":                   "ja-JP",
		"browserColorDepth":                 "24",
		"browserScreenHeight":               "900",
		"browserScreenWidth":                "1440",
		"browserTZ":                         "-540",
		"browserUserAgent":                  "Mozilla/5.0 (test)",
		"messageCategory":                   "01",
		"messageType":                       "AReq",
		"messageVersion":                    "2.2.0",
		"deviceChannel":                     "02",
	}
}

// mandatedAReq is areqFor with the requestor mandating a challenge (threeDSRequestorChallengeInd 04):
// the risk engine then challenges whatever the card's history, unless the score reaches the deny band.
// Tests of the challenge's machinery use it, so that a browser made known by an earlier success does
// not turn their next purchase frictionless.
func mandatedAReq(pan string) map[string]any {
	m := areqFor(pan)
	m["threeDSRequestorChallengeInd"] = "04"
	return m
}

// demoExpiry is a demo card's expiry as the shopper types it ("2912" for any other number).
func demoExpiry(pan string) string {
	for _, c := range demodata.Cards {
		if c.PAN.Digits() == pan {
			return c.Expiry
		}
	}
	return "2912"
}

// areq210 is areqFor in version 2.1.0 (without the 2.2.0-only fields).
func areq210(pan string) map[string]any {
	m := areqFor(pan)
	m["messageVersion"] = "2.1.0"
	delete(m, "browserJavascriptEnabled")
	delete(m, "threeDSRequestorAuthenticationInd")
	return m
}

// postRaw posts a body to /3ds/areq and returns the decoded JSON answer; it fails unless the answer
// is HTTP 200 JSON.
func postRaw(t *testing.T, base string, body []byte) map[string]any {
	t.Helper()
	resp, err := testkit.HTTPClient().Post(base+"/3ds/areq", "application/json; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	text := testkit.ReadAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("AReq answered HTTP %d: %s", resp.StatusCode, text)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("AReq answered %s, not JSON: %s", ct, testkit.Excerpt(text))
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, text)
	}
	return out
}

func postAReq(t *testing.T, base string, areq map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(areq)
	if err != nil {
		t.Fatal(err)
	}
	return postRaw(t, base, b)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// noEmptyFields fails when a message carries an optional field as "" (or null).
func noEmptyFields(t *testing.T, name string, m map[string]any) {
	t.Helper()
	for k, v := range m {
		if v == nil {
			t.Errorf("%s: field %s is null", name, k)
		}
		if s, ok := v.(string); ok && s == "" {
			t.Errorf("%s: field %s is sent empty", name, k)
		}
	}
}

// requireFields fails when any field is missing or empty.
func requireFields(t *testing.T, name string, m map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if str(m, f) == "" {
			t.Errorf("%s: required field %s missing in %v", name, f, m)
		}
	}
}

// onlyFields fails when the message carries a field outside allowed.
func onlyFields(t *testing.T, name string, m map[string]any, allowed ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, f := range allowed {
		ok[f] = true
	}
	for k := range m {
		if !ok[k] {
			t.Errorf("%s: unexpected field %s = %v", name, k, m[k])
		}
	}
}

var aresRequired = []string{"threeDSServerTransID", "dsTransID", "acsTransID", "acsReferenceNumber", "dsReferenceNumber",
	"messageType", "messageVersion", "transStatus"}

// checkARes asserts the ARes's required fields, echoes and the absence of empty optional fields.
func checkARes(t *testing.T, areq, ares map[string]any) {
	t.Helper()
	if str(ares, "messageType") != "ARes" {
		t.Fatalf("not an ARes: %v", ares)
	}
	requireFields(t, "ARes", ares, aresRequired...)
	noEmptyFields(t, "ARes", ares)
	checkCodes(t, "ARes", ares)
	for _, f := range []string{"threeDSServerTransID", "dsTransID", "dsReferenceNumber", "messageVersion"} {
		if str(ares, f) != str(areq, f) {
			t.Errorf("ARes %s = %q, want the AReq's %q", f, str(ares, f), str(areq, f))
		}
	}
	if _, err := uuid.Parse(str(ares, "acsTransID")); err != nil {
		t.Errorf("acsTransID %q is not a UUID", str(ares, "acsTransID"))
	}
	switch str(ares, "transStatus") {
	case "C":
		requireFields(t, "ARes C", ares, "acsURL", "acsChallengeMandated", "authenticationType")
		if str(ares, "transStatusReason") != "" || str(ares, "eci") != "" || str(ares, "authenticationValue") != "" {
			t.Errorf("ARes C carries a reason, ECI or value: %v", ares)
		}
	case "Y":
		// Frictionless: the same ECI and value as a challenged Y.
		if str(ares, "eci") != "05" || len(str(ares, "authenticationValue")) != 28 || str(ares, "transStatusReason") != "" {
			t.Errorf("ARes Y: eci %q, authenticationValue %q, reason %q", str(ares, "eci"), str(ares, "authenticationValue"), str(ares, "transStatusReason"))
		}
	case "I":
		if str(areq, "messageVersion") != "2.2.0" || str(ares, "authenticationValue") != "" || str(ares, "eci") != "" {
			t.Errorf("ARes I: %v, want 2.2.0 without a value", ares)
		}
	case "N", "U", "R":
		requireFields(t, "ARes "+str(ares, "transStatus"), ares, "transStatusReason")
		for _, f := range []string{"acsURL", "eci", "authenticationValue", "acsChallengeMandated"} {
			if _, ok := ares[f]; ok {
				t.Errorf("ARes %s carries %s", str(ares, "transStatus"), f)
			}
		}
	}
	onlyFields(t, "ARes", ares, append(aresRequired, "transStatusReason", "acsURL", "acsChallengeMandated",
		"authenticationType", "authenticationValue", "eci", "cardholderInfo", "whiteListStatus", "whiteListStatusSource")...)
	checkTrustList(t, "ARes", ares)
}

// checkTrustList asserts that a message carries whiteListStatus only on 2.2.0, always with the ACS
// (03) as its source.
func checkTrustList(t *testing.T, name string, m map[string]any) {
	t.Helper()
	status, source := str(m, "whiteListStatus"), str(m, "whiteListStatusSource")
	switch {
	case status == "" && source == "":
	case str(m, "messageVersion") != "2.2.0":
		t.Errorf("%s %s carries the trust list: %v", name, str(m, "messageVersion"), m)
	case status == "" || source != "03":
		t.Errorf("%s whiteListStatus %q with source %q, want both, the source 03", name, status, source)
	}
}

// checkErro asserts an Erro with the code and, when given, a detail naming the field.
func checkErro(t *testing.T, m map[string]any, code, detailHas string) {
	t.Helper()
	if str(m, "messageType") != "Erro" {
		t.Fatalf("want Erro %s, got %v", code, m)
	}
	requireFields(t, "Erro", m, "errorCode", "errorComponent", "errorDescription", "errorDetail", "messageType", "messageVersion")
	noEmptyFields(t, "Erro", m)
	checkCodes(t, "Erro", m)
	if str(m, "errorCode") != code {
		t.Errorf("errorCode = %q, want %s (%v)", str(m, "errorCode"), code, m)
	}
	if str(m, "errorComponent") != "A" {
		t.Errorf("errorComponent = %q, want A", str(m, "errorComponent"))
	}
	if detailHas != "" && !strings.Contains(str(m, "errorDetail"), detailHas) {
		t.Errorf("errorDetail %q does not name %s", str(m, "errorDetail"), detailHas)
	}
}

// creqFor is the browser CReq for an ARes, base64url without padding.
func creqFor(ares map[string]any, window string) string {
	b, _ := json.Marshal(map[string]string{
		"threeDSServerTransID": str(ares, "threeDSServerTransID"), "acsTransID": str(ares, "acsTransID"),
		"messageType": "CReq", "messageVersion": str(ares, "messageVersion"), "challengeWindowSize": window,
	})
	return base64.RawURLEncoding.EncodeToString(b)
}

// page is a challenge page as a browser got it.
type page struct {
	Status int
	Body   string
	Header http.Header
}

func (p page) Text() string { return testkit.VisibleText(p.Body) }

func (p page) field(name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func (p page) formAction() string {
	m := regexp.MustCompile(`<form[^>]*action="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// cres decodes the page's cres field (a CRes or an Erro); nil when the page posts nothing.
func (p page) cres(t *testing.T) map[string]any {
	t.Helper()
	v := p.field("cres")
	if v == "" {
		return nil
	}
	if strings.Contains(v, "=") {
		t.Errorf("cres is padded: %q", v)
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("cres is not unpadded base64url: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("cres is not JSON: %v", err)
	}
	return m
}

func postForm(t *testing.T, target string, form url.Values) page {
	t.Helper()
	resp, err := testkit.HTTPClient().PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: resp.StatusCode, Body: testkit.ReadAll(t, resp.Body), Header: resp.Header}
}

// openChallenge posts the CReq to the acsURL as the shop's page would.
func openChallenge(t *testing.T, ares map[string]any, creq, sessionData string) page {
	t.Helper()
	form := url.Values{"creq": {creq}}
	if sessionData != "" {
		form.Set("threeDSSessionData", sessionData)
	}
	return postForm(t, str(ares, "acsURL"), form)
}

// answer submits the password form of a challenge page.
func answer(t *testing.T, base string, p page, loginID, password, action string) page {
	t.Helper()
	if p.field("token") == "" {
		t.Fatalf("no password form on the page: %s", p.Text())
	}
	return postForm(t, base+"/3ds/challenge/submit", url.Values{
		"acsTransID": {p.field("acsTransID")}, "token": {p.field("token")},
		"loginID": {loginID}, "password": {password}, "action": {action},
	})
}

// checkCRes asserts a final CRes for the ARes with the status.
func checkCRes(t *testing.T, p page, ares map[string]any, status string) map[string]any {
	t.Helper()
	c := p.cres(t)
	if c == nil {
		t.Fatalf("the page posts no cres: %s", p.Text())
	}
	want := map[string]string{"threeDSServerTransID": str(ares, "threeDSServerTransID"), "acsTransID": str(ares, "acsTransID"),
		"messageType": "CRes", "messageVersion": str(ares, "messageVersion"), "transStatus": status, "challengeCompletionInd": "Y"}
	for k, v := range want {
		if str(c, k) != v {
			t.Errorf("CRes %s = %q, want %q (%v)", k, str(c, k), v, c)
		}
	}
	noEmptyFields(t, "CRes", c)
	checkCodes(t, "CRes", c)
	onlyFields(t, "CRes", c, "threeDSServerTransID", "acsTransID", "messageType", "messageVersion", "transStatus", "challengeCompletionInd",
		"whiteListStatus", "whiteListStatusSource")
	checkTrustList(t, "CRes", c)
	return c
}

// fakeDS is a Directory Server's results endpoint run by the test: it records every RReq and answers
// with the statuses queued in Fail (then 200 RRes 01).
type fakeDS struct {
	*httptest.Server
	mu    sync.Mutex
	got   []map[string]any
	fails int // answer HTTP 500 to this many requests first
}

func newFakeDS(t *testing.T) *fakeDS {
	ds := &fakeDS{}
	ds.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		ds.mu.Lock()
		ds.got = append(ds.got, m)
		fail := ds.fails > 0
		if fail {
			ds.fails--
		}
		ds.mu.Unlock()
		if fail {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"threeDSServerTransID": str(m, "threeDSServerTransID"),
			"acsTransID": str(m, "acsTransID"), "dsTransID": str(m, "dsTransID"), "messageType": "RRes",
			"messageVersion": str(m, "messageVersion"), "resultsStatus": "01"})
	}))
	t.Cleanup(ds.Close)
	return ds
}

// received returns the RReqs for a transaction so far.
func (ds *fakeDS) received(acsTransID string) []map[string]any {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	var out []map[string]any
	for _, m := range ds.got {
		if str(m, "acsTransID") == acsTransID {
			out = append(out, m)
		}
	}
	return out
}

// waitRReqs waits until the DS has received n RReqs for the transaction and returns them.
func (ds *fakeDS) waitRReqs(t *testing.T, acsTransID string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if got := ds.received(acsTransID); len(got) >= n {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the Directory Server did not receive %d RReq(s) for %s", n, acsTransID)
	return nil
}

var rreqRequired = []string{"threeDSServerTransID", "acsTransID", "dsTransID", "messageType", "messageVersion",
	"messageCategory", "transStatus", "interactionCounter"}

// checkRReq asserts an RReq's required fields and the result of an ID and password challenge.
func checkRReq(t *testing.T, r, ares map[string]any, status, reason, cancel string) {
	t.Helper()
	checkRReqBy(t, r, ares, status, reason, cancel, "01", "01")
}

// checkRReqBy is checkRReq for a challenge of the given authenticationType and (2.2.0)
// authenticationMethod.
func checkRReqBy(t *testing.T, r, ares map[string]any, status, reason, cancel, authType, method string) {
	t.Helper()
	requireFields(t, "RReq", r, rreqRequired...)
	noEmptyFields(t, "RReq", r)
	checkCodes(t, "RReq", r)
	onlyFields(t, "RReq", r, append(rreqRequired, "authenticationType", "authenticationMethod", "authenticationValue",
		"eci", "transStatusReason", "challengeCancel", "whiteListStatus", "whiteListStatusSource")...)
	checkTrustList(t, "RReq", r)
	want := map[string]string{"threeDSServerTransID": str(ares, "threeDSServerTransID"), "acsTransID": str(ares, "acsTransID"),
		"dsTransID": str(ares, "dsTransID"), "messageType": "RReq", "messageVersion": str(ares, "messageVersion"),
		"transStatus": status, "transStatusReason": reason, "challengeCancel": cancel}
	for k, v := range want {
		if str(r, k) != v {
			t.Errorf("RReq %s = %q, want %q (%v)", k, str(r, k), v, r)
		}
	}
	if len(str(r, "interactionCounter")) != 2 {
		t.Errorf("interactionCounter %q is not 2 digits", str(r, "interactionCounter"))
	}
	if str(r, "authenticationType") != authType {
		t.Errorf("authenticationType %q, want %s (%s)", str(r, "authenticationType"), authType, emv.AuthenticationTypes[emv.AuthenticationType(authType)])
	}
	// An ID and password check is authenticationMethod 01 (static passcode), a code by e-mail 05 (OTP
	// other); sent from 2.2.0 on.
	if want := map[bool]string{true: method, false: ""}[str(ares, "messageVersion") == "2.2.0"]; str(r, "authenticationMethod") != want {
		t.Errorf("authenticationMethod %q in a %s RReq, want %q", str(r, "authenticationMethod"), str(ares, "messageVersion"), want)
	}
	if status == "Y" {
		if str(r, "eci") != "05" || len(str(r, "authenticationValue")) != 28 {
			t.Errorf("RReq Y: eci %q, authenticationValue %q", str(r, "eci"), str(r, "authenticationValue"))
		}
	} else if str(r, "eci") != "" || str(r, "authenticationValue") != "" {
		t.Errorf("RReq %s carries an ECI or value: %v", status, r)
	}
}

// startACS starts Honnin with its RReqs going to a fake Directory Server.
func startACS(t *testing.T, b testkit.Backend, env map[string]string) (*testkit.App, *fakeDS) {
	t.Helper()
	ds := newFakeDS(t)
	all := map[string]string{"HONNIN_DS_RESULTS_URL": ds.URL}
	for k, v := range env {
		all[k] = v
	}
	return testkit.Start(t, b, testkit.Options{Env: all}), ds
}
