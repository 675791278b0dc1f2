package acs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"honnin/app/emv"
	"honnin/app/i18n"
	"honnin/db"
)

func validAReq() map[string]any {
	return map[string]any{
		"threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e", "dsTransID": "9a880dc0-d2d2-4067-bcb1-b08d1690b26e",
		"dsReferenceNumber": "DS1", "threeDSServerRefNumber": "S1", "threeDSServerURL": "https://s.example",
		"threeDSRequestorID": "R1", "threeDSRequestorName": "Shop", "threeDSRequestorURL": "https://shop.example",
		"threeDSRequestorAuthenticationInd": "01", "threeDSCompInd": "N", "acquirerBIN": "400551", "acquirerMerchantID": "M1",
		"acctNumber": "3540000000000019", "cardExpiryDate": "2912", "mcc": "5411", "merchantCountryCode": "392",
		"merchantName": "Shop", "purchaseAmount": "5000", "purchaseCurrency": "392", "purchaseExponent": "0",
		"purchaseDate": "20261125010203", "notificationURL": "https://shop.example/n", "browserAcceptHeader": "text/html",
		"browserJavaEnabled": false, "browserJavascriptEnabled": true, "browserLanguage": "ja-JP", "browserColorDepth": "24",
		"browserScreenHeight": "900", "browserScreenWidth": "1440", "browserTZ": "-540", "browserUserAgent": "UA",
		"messageCategory": "01", "messageType": "AReq", "messageVersion": "2.2.0", "deviceChannel": "02",
	}
}

func TestDecodeAReq(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(m map[string]any)
		raw        string
		code, want string
	}{
		{name: "valid 2.2.0", edit: func(map[string]any) {}},
		{name: "valid 2.1.0", edit: func(m map[string]any) { m["messageVersion"] = "2.1.0"; delete(m, "browserJavascriptEnabled") }},
		{name: "valid non-payment", edit: func(m map[string]any) { m["messageCategory"] = "02"; delete(m, "purchaseAmount") }},
		{name: "not JSON", raw: "hello", code: "101"},
		{name: "trailing data", raw: `{"messageType":"AReq"} {}`, code: "101"},
		{name: "wrong type", edit: func(m map[string]any) { m["messageType"] = "RReq" }, code: "101", want: "messageType"},
		{name: "no version", edit: func(m map[string]any) { delete(m, "messageVersion") }, code: "201", want: "messageVersion"},
		{name: "version 2.3", edit: func(m map[string]any) { m["messageVersion"] = "2.3.0" }, code: "102"},
		{name: "missing two", edit: func(m map[string]any) { delete(m, "mcc"); delete(m, "acctNumber") }, code: "201", want: "acctNumber,mcc"},
		{name: "bad expiry month", edit: func(m map[string]any) { m["cardExpiryDate"] = "2913" }, code: "203", want: "cardExpiryDate"},
		{name: "negative TZ ok, too long not", edit: func(m map[string]any) { m["browserTZ"] = "-54000" }, code: "203", want: "browserTZ"},
		{name: "bad IP", edit: func(m map[string]any) { m["browserIP"] = "300.1.1.1" }, code: "203", want: "browserIP"},
		{name: "merchant name 41 runes", edit: func(m map[string]any) { m["merchantName"] = strings.Repeat("茶", 41) }, code: "203", want: "merchantName"},
		{name: "nested duplicate", raw: `{"messageType":"AReq","acctInfo":{"a":1,"a":2}}`, code: "204", want: "acctInfo.a"},
		{name: "USD exponent 0", edit: func(m map[string]any) { m["purchaseCurrency"] = "840" }, code: "305"},
		{name: "invalid UTF-8", raw: "{\"messageType\":\"AReq\",\"merchantName\":\"\xff\"}", code: "101"},
		{name: "escaped control character", edit: func(m map[string]any) { m["merchantName"] = "Fuji\aTea" }, code: "203", want: "merchantName"},
		{name: "NUL in the user agent", edit: func(m map[string]any) { m["browserUserAgent"] = "UA\x00" }, code: "203", want: "browserUserAgent"},
		{name: "C1 control in the requestor name", edit: func(m map[string]any) { m["threeDSRequestorName"] = "Shop\u0085" }, code: "203", want: "threeDSRequestorName"},
		{name: "addrMatch and acctInfo", edit: func(m map[string]any) {
			m["addrMatch"], m["acctInfo"] = "N", map[string]any{"chAccAgeInd": "01", "shipAddressUsage": "20261101", "txnActivityDay": "3"}
		}},
		{name: "addrMatch not Y or N", edit: func(m map[string]any) { m["addrMatch"] = "X" }, code: "203", want: "addrMatch"},
		{name: "acctInfo not an object", edit: func(m map[string]any) { m["acctInfo"] = "01" }, code: "203", want: "acctInfo"},
		{name: "acctInfo field of the wrong format", edit: func(m map[string]any) {
			m["acctInfo"] = map[string]any{"shipAddressUsageInd": "09", "chAccDate": "20261340"}
		}, code: "203", want: "acctInfo.chAccDate,acctInfo.shipAddressUsageInd"},
		{name: "challenge indicator 09 on 2.2.0", edit: func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "09" }},
		{name: "challenge indicator 09 is not 2.1.0's", edit: func(m map[string]any) {
			m["messageVersion"], m["threeDSRequestorChallengeInd"] = "2.1.0", "09"
			delete(m, "browserJavascriptEnabled")
		}, code: "203", want: "threeDSRequestorChallengeInd"},
		{name: "a tab in the accept header is allowed", edit: func(m map[string]any) { m["browserAcceptHeader"] = "text/html,\t*/*" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.raw)
			if tt.edit != nil {
				m := validAReq()
				tt.edit(m)
				body, _ = json.Marshal(m)
			}
			a, e := decodeAReq(body)
			if tt.code == "" {
				if e != nil || a == nil {
					t.Fatalf("want a valid AReq, got %v", e)
				}
				return
			}
			if e == nil {
				t.Fatalf("want Erro %s, got a valid AReq", tt.code)
			}
			if string(e.ErrorCode) != tt.code || !strings.Contains(e.ErrorDetail, tt.want) || e.MessageType != emv.TypeErro || e.ErrorComponent != emv.ComponentACS {
				t.Errorf("got %+v, want code %s detail %q", e, tt.code, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, i18n.IssuerZone)
	id := uint(1)
	member := &db.Member{ID: 1, Status: db.MemberActive}
	card := func(edit func(c *db.Card)) *db.Card {
		c := &db.Card{Status: db.CardActive, Expiry: "2912", MemberID: &id, Member: member, ThreeDS: db.ThreeDSEnrolled}
		edit(c)
		return c
	}
	tests := []struct {
		name           string
		card           *db.Card
		expiry         string // the AReq's cardExpiryDate
		status, reason string
	}{
		{"no card", nil, "", "N", "08"},
		{"no card, any expiry", nil, "2912", "N", "08"},
		{"expiry matches", card(func(*db.Card) {}), "2912", "C", ""},
		{"expiry wrong", card(func(*db.Card) {}), "3001", "N", "01"},
		{"expiry wrong on a stolen card tells nothing of the theft", card(func(c *db.Card) { c.Status = db.CardStolen }), "3001", "N", "01"},
		{"expiry wrong without a member", card(func(c *db.Card) { c.MemberID, c.Member = nil, nil }), "2812", "N", "01"},
		{"enrolled", card(func(*db.Card) {}), "", "C", ""},
		{"stolen", card(func(c *db.Card) { c.Status = db.CardStolen }), "", "R", "10"},
		{"lost", card(func(c *db.Card) { c.Status = db.CardLost }), "", "R", "10"},
		{"closed", card(func(c *db.Card) { c.Status = db.CardClosed }), "", "N", "12"},
		{"expired last month", card(func(c *db.Card) { c.Expiry = "2610" }), "", "N", "05"},
		{"expires this month", card(func(c *db.Card) { c.Expiry = "2611" }), "", "C", ""},
		{"no member", card(func(c *db.Card) { c.MemberID, c.Member = nil, nil }), "", "N", "13"},
		{"legacy message", card(func(c *db.Card) { c.Member = &db.Member{Status: db.MemberActive, PersonalMessageIsDefault: true} }), "", "N", "13"},
		{"member closed", card(func(c *db.Card) { c.Member = &db.Member{Status: db.MemberClosed} }), "", "N", "13"},
		{"stopped", card(func(c *db.Card) { c.ThreeDS = db.ThreeDSStopped }), "", "N", "13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := decide(tt.card, tt.expiry, now)
			if string(s) != tt.status || string(r) != tt.reason {
				t.Errorf("Decide = %s %s, want %s %s", s, r, tt.status, tt.reason)
			}
		})
	}
}

func TestJSONContent(t *testing.T) {
	for ct, want := range map[string]bool{
		"": true, "application/json": true, "application/json; charset=utf-8": true, "Application/JSON;charset=UTF-8": true,
		"text/plain": false, "application/x-www-form-urlencoded": false, "multipart/form-data; boundary=x": false,
		"application/jsonp": false, "application/json;;": false,
	} {
		if got := jsonContent(ct); got != want {
			t.Errorf("jsonContent(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{`""`, "", true},
		{`"日本語"`, "日本語", true},
		{`"a\"b"`, `a"b`, true},
		{`"\u0041\n"`, "A\n", true},
		{`123`, "", false},
		{`null`, "", true}, // as encoding/json reads it: empty, which the caller refuses as a format error
		{`{"a":1}`, "", false},
	}
	for _, tt := range tests {
		got, ok := jsonString([]byte(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("jsonString(%s) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

// An overload's refusals are logged a line a second per error code, with the count held back, not a
// line each; every one is still answered.
func TestWriteErroLogsALineASecondPerCode(t *testing.T) {
	var log bytes.Buffer
	a := &ACS{Deps: Deps{Log: slog.New(slog.NewTextHandler(&log, nil))}, m: newMetrics()}
	a.failureLog.Every = time.Second
	const each = 50
	began := time.Now()
	for i := range 2 * each {
		code := []emv.ErrorCode{emv.ErrTransientFailure, emv.ErrInvalidMessage}[i%2]
		rec := httptest.NewRecorder()
		if err := a.writeErro(echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/3ds/areq", nil), rec), newErro(code, "", emv.TypeAReq, "")); err != nil {
			t.Fatal(err)
		}
		var e emv.Erro
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.ErrorCode != code {
			t.Fatalf("refusal %d answered %q (%v), want Erro %s", i, rec.Body.String(), err, code)
		}
	}
	// One line per code, and one more per second the loop took (a slow machine's).
	allowed := 1 + int(time.Since(began)/time.Second)
	for _, code := range []emv.ErrorCode{emv.ErrTransientFailure, emv.ErrInvalidMessage} {
		lines := strings.Count(log.String(), "msg=\"AReq refused\" code="+string(code))
		if lines < 1 || lines > allowed {
			t.Errorf("%d refusals with code %s logged %d lines, want 1 to %d; log:\n%s", each, code, lines, allowed, log.String())
		}
	}
}
