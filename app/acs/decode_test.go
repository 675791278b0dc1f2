package acs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"honnin/app/emv"
	"honnin/app/security"
)

func TestValidHost(t *testing.T) {
	for host, want := range map[string]bool{
		"shop.example": true, "SHOP.example.": true, "a-b.c-d.example": true, "localhost:8080": true, "192.0.2.1:443": true,
		"[2001:db8::1]": true, "[2001:db8::1]:8443": true, "xn--eckwd4c7c.example": true,
		"": false, "x;report-uri": false, "shop.example'": false, "a b.example": false, "shop.example:": false,
		"shop.example:65536": false, "shop.example:-1": false, "-shop.example": false, "shop..example": false,
		"[192.0.2.1]": false, "[::1": false, "shop.example\"": false, "shop_example.com": false, "ショップ.example": false,
		"shop.example:80:80": false, strings.Repeat("a", 64) + ".example": false,
	} {
		if got := validHost(host); got != want {
			t.Errorf("validHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestHTTPURL(t *testing.T) {
	check := httpURL(40)
	for u, want := range map[string]bool{
		"https://shop.example/n": true, "http://shop.example": true, "https://shop.example:8443/a?b=c#d": true,
		"https://x;report-uri/n": false, "javascript:alert(1)": false, "https://u:p@shop.example/": false,
		"ftp://shop.example/": false, "https:///n": false, "//shop.example/n": false,
		"https://shop.example/" + strings.Repeat("a", 20): false, // 41 characters
	} {
		if got := check(u); got != want {
			t.Errorf("httpURL(40)(%q) = %v, want %v", u, got, want)
		}
	}
}

// rawAReq is validAReq's JSON with extra members appended as written.
func rawAReq(t *testing.T, edit func(m map[string]any), extra string) []byte {
	t.Helper()
	m := validAReq()
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	if extra == "" {
		return b
	}
	return append(append(b[:len(b)-1], ","+extra...), '}')
}

func TestDecodeAReqIgnoresCaseVariants(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		extra string
		code  emv.ErrorCode
		check func(t *testing.T, a *emv.AReq)
	}{
		{name: "variant after the field", extra: `"NotificationURL":"javascript:alert(document.domain)","MerchantName":"` + strings.Repeat("M", 300) + `"`,
			check: func(t *testing.T, a *emv.AReq) {
				if a.NotificationURL != "https://shop.example/n" || a.MerchantName != "Shop" {
					t.Errorf("notificationURL %q, merchantName %q", a.NotificationURL, a.MerchantName)
				}
			}},
		{name: "variant of the card number", extra: `"AcctNumber":"4000000000000010","ACCTNUMBER":"4000000000000028"`,
			check: func(t *testing.T, a *emv.AReq) {
				if a.AcctNumber.Digits() != "3540000000000019" {
					t.Errorf("acctNumber %s", a.AcctNumber.Last4())
				}
			}},
		{name: "variant of the version and type", extra: `"MessageVersion":"2.1.0","messagetype":"RReq"`,
			check: func(t *testing.T, a *emv.AReq) {
				if a.MessageVersion != emv.V220 || a.MessageType != emv.TypeAReq {
					t.Errorf("header %s %s", a.MessageType, a.MessageVersion)
				}
			}},
		{name: "variant in place of a required field", edit: func(m map[string]any) { delete(m, "notificationURL") },
			extra: `"NotificationURL":"https://shop.example/n"`, code: emv.ErrMissing},
		{name: "variant of a boolean", extra: `"BrowserJavascriptEnabled":false`,
			check: func(t *testing.T, a *emv.AReq) {
				if a.BrowserJavascriptEnabled == nil || !*a.BrowserJavascriptEnabled {
					t.Errorf("browserJavascriptEnabled %v", a.BrowserJavascriptEnabled)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, e := decodeAReq(rawAReq(t, tt.edit, tt.extra))
			if tt.code != "" {
				if e == nil || e.ErrorCode != tt.code {
					t.Fatalf("want Erro %s, got %+v", tt.code, e)
				}
				return
			}
			if e != nil {
				t.Fatalf("refused: %+v", e)
			}
			tt.check(t, a)
		})
	}
}

func TestDecodeAReqCarriesEveryField(t *testing.T) {
	f, tr := false, true
	want := emv.AReq{
		ThreeDSServerTransID: "8a880dc0-d2d2-4067-bcb1-b08d1690b26e", DSTransID: "9a880dc0-d2d2-4067-bcb1-b08d1690b26e",
		DSReferenceNumber: "DS1", DSURL: "https://ds.example/r", ThreeDSServerRefNumber: "S1", ThreeDSServerURL: "https://s.example",
		ThreeDSRequestorID: "R1", ThreeDSRequestorName: "Shop", ThreeDSRequestorURL: "https://shop.example",
		ThreeDSRequestorChallengeInd: "04", ThreeDSRequestorAuthenticationInd: "01", ThreeDSCompInd: "N", AcquirerBIN: "400551",
		AcquirerMerchantID: "M1", AcctNumber: security.PAN("3540000000000019"), CardExpiryDate: "2912", MCC: "5411",
		MerchantCountryCode: "392", MerchantName: "Shop", PurchaseAmount: "5000", PurchaseCurrency: "392", PurchaseExponent: "0",
		PurchaseDate: "20261125010203", NotificationURL: "https://shop.example/n", BrowserAcceptHeader: "text/html",
		BrowserIP: "192.0.2.10", BrowserJavaEnabled: &f, BrowserJavascriptEnabled: &tr, BrowserLanguage: "ja-JP",
		BrowserColorDepth: "24", BrowserScreenHeight: "900", BrowserScreenWidth: "1440", BrowserTZ: "-540", BrowserUserAgent: "UA",
		MessageCategory: "01", MessageType: emv.TypeAReq, MessageVersion: emv.V220, DeviceChannel: "02",
	}
	edit := func(m map[string]any) {
		m["dsURL"], m["threeDSRequestorChallengeInd"], m["browserIP"] = "https://ds.example/r", "04", "192.0.2.10"
	}
	a, e := decodeAReq(rawAReq(t, edit, ""))
	if e != nil {
		t.Fatal(e)
	}
	if !reflect.DeepEqual(*a, want) || a.AcctNumber.Digits() != want.AcctNumber.Digits() {
		t.Errorf("decoded\n%#v\nwant\n%#v", *a, want)
	}

	// 2.1.0: the 2.2.0-only fields are left out.
	a, e = decodeAReq(rawAReq(t, func(m map[string]any) { edit(m); m["messageVersion"] = "2.1.0" }, ""))
	if e != nil {
		t.Fatal(e)
	}
	if a.DSURL != "" || a.ThreeDSRequestorAuthenticationInd != "" || a.BrowserJavascriptEnabled != nil || a.MessageVersion != emv.V210 {
		t.Errorf("2.1.0 kept 2.2.0 fields: %+v", a)
	}
}

func TestAReqCardNumberStaysMasked(t *testing.T) {
	a, e := decodeAReq(rawAReq(t, nil, ""))
	if e != nil {
		t.Fatal(e)
	}
	b, _ := json.Marshal(a)
	for _, out := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", *a), fmt.Sprintf("%#v", a), string(b)} {
		if strings.Contains(out, "3540000000000019") {
			t.Errorf("the card number is printed in clear: %s", out)
		}
	}
}

func TestDecodeCReqIgnoresCaseVariants(t *testing.T) {
	body := `{"threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340",` +
		`"messageType":"CReq","messageVersion":"2.2.0","challengeWindowSize":"01",` +
		`"AcsTransID":"00000000-0000-4000-8000-000000000000","ChallengeWindowSize":"05","MessageVersion":"2.1.0"}`
	c, e := decodeCReq(base64.RawURLEncoding.EncodeToString([]byte(body)))
	if e != nil {
		t.Fatal(e)
	}
	if c.ACSTransID != "d7c1ee99-9478-44a6-b1f2-391e29c6b340" || c.ChallengeWindowSize != "01" || c.MessageVersion != emv.V220 {
		t.Errorf("decoded %+v", c)
	}
	only := `{"threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","AcsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340",` +
		`"messageType":"CReq","messageVersion":"2.2.0","challengeWindowSize":"01"}`
	if _, e := decodeCReq(base64.RawURLEncoding.EncodeToString([]byte(only))); e == nil || e.ErrorCode != emv.ErrMissing || e.ErrorDetail != "acsTransID" {
		t.Errorf("a variant in place of acsTransID: %+v", e)
	}
}

func TestFieldChecks(t *testing.T) {
	tests := []struct {
		name  string
		check fieldCheck
		yes   []string
		no    []string
	}{
		{"yymm", yymm, []string{"2912", "0001", "9912"}, []string{"2913", "2900", "291", "29120", "ab12"}},
		{"purchaseDate", purchaseDate, []string{"20261125010203", "20240229235959"}, []string{"20261325010203", "20230229000000", "2026112501020", "2026112501020a"}},
		{"ipAddr", ipAddr, []string{"192.0.2.10", "2001:db8::1"}, []string{"300.1.1.1", "host.example", ""}},
		{"maxLen(3)", maxLen(3), []string{"", "abc", "茶茶茶"}, []string{"abcd", "茶茶茶茶", "\xff"}},
		{"digits(2, 3)", digits(2, 3), []string{"12", "123"}, []string{"1", "1234", "1a", "１２"}},
		{"oneOf", oneOf("01", "02"), []string{"01", "02"}, []string{"1", "03", ""}},
		{"isUUID", isUUID, []string{"8a880dc0-d2d2-4067-bcb1-b08d1690b26e", "8A880DC0-D2D2-4067-BCB1-B08D1690B26E"}, []string{"8a880dc0d2d24067bcb1b08d1690b26e", "x", "",
			"8a880dc0-d2d2-4067-bcb1-b08d1690b26", "8a880dc0-d2d2-4067-bcb1-b08d1690b26ee", "8a880dc0-d2d2-4067-bcb1_b08d1690b26e",
			"8a880dc0-d2d2-4067-bcb1-b08d1690b26g", "8a880dc0-d2d2-4067-bcb1-b08d1690b2６", "-8a880dc0-d2d2-4067-bcb1-b08d1690b26"}},
		{"digits(1, 48)", digits(1, 48), []string{"0", "12800"}, []string{"", "-1", "+1", "1 ", "1\n", "1.0"}},
	}
	for _, tt := range tests {
		for _, s := range tt.yes {
			if !tt.check(s) {
				t.Errorf("%s refuses %q", tt.name, s)
			}
		}
		for _, s := range tt.no {
			if tt.check(s) {
				t.Errorf("%s accepts %q", tt.name, s)
			}
		}
	}
	for s, want := range map[string]bool{"plain": false, "tab\there": false, "nul\x00": true, "del\x7f": true, "c1\u0085": true, "line\n": true} {
		if hasControl(s) != want {
			t.Errorf("hasControl(%q) = %v", s, !want)
		}
	}
}

func TestRequiredAReq(t *testing.T) {
	tests := []struct {
		name                       string
		version, category, channel string
		js                         bool
		has, lacks                 []string
	}{
		{"2.2.0 payment, JavaScript on", emv.V220, "01", "02", true,
			[]string{"purchaseAmount", "notificationURL", "browserJavascriptEnabled", "browserColorDepth", "threeDSRequestorAuthenticationInd"}, nil},
		{"2.2.0 payment, JavaScript off", emv.V220, "01", "02", false,
			[]string{"browserJavascriptEnabled"}, []string{"browserColorDepth", "browserJavaEnabled", "browserTZ"}},
		{"2.1.0 payment", emv.V210, "01", "02", false,
			[]string{"browserJavaEnabled", "browserColorDepth", "browserTZ"}, []string{"browserJavascriptEnabled", "threeDSRequestorAuthenticationInd"}},
		{"non-payment", emv.V220, "02", "02", true, []string{"notificationURL"}, []string{"purchaseAmount", "mcc", "merchantName"}},
		{"app channel", emv.V220, "01", "01", true, []string{"acctNumber"}, []string{"notificationURL", "browserUserAgent"}},
	}
	for _, tt := range tests {
		got := requiredAReq(tt.version, tt.category, tt.channel, tt.js)
		for _, f := range tt.has {
			if !slices.Contains(got, f) {
				t.Errorf("%s: %s not required", tt.name, f)
			}
		}
		for _, f := range tt.lacks {
			if slices.Contains(got, f) {
				t.Errorf("%s: %s required", tt.name, f)
			}
		}
	}
}

func TestBase64URL(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0xfe, 'a'}
	for _, enc := range []string{base64.RawURLEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw),
		base64.StdEncoding.EncodeToString(raw), " " + base64.RawURLEncoding.EncodeToString(raw) + "\n"} {
		got, err := decodeBase64URL(enc)
		if err != nil || string(got) != string(raw) {
			t.Errorf("decodeBase64URL(%q) = %v, %v", enc, got, err)
		}
	}
	if _, err := decodeBase64URL("!!"); err == nil {
		t.Errorf("decodeBase64URL accepts !!")
	}
	if out := encodeBase64URL(raw); strings.ContainsAny(out, "=+/") {
		t.Errorf("encodeBase64URL(%v) = %q", raw, out)
	}
}

func TestReadObject(t *testing.T) {
	tests := []struct {
		name, body string
		code       emv.ErrorCode
		detail     string
	}{
		{"object", `{"a":"b","c":{"d":[1,2]}}`, "", ""},
		{"surrounding space", " \n{\"a\":1}\t", "", ""},
		{"empty", ``, emv.ErrInvalidMessage, "the message is not a JSON object"},
		{"array", `[{"a":1}]`, emv.ErrInvalidMessage, "the message is not a JSON object"},
		{"string", `"AReq"`, emv.ErrInvalidMessage, "the message is not a JSON object"},
		{"truncated", `{"a":`, emv.ErrInvalidMessage, "the message is not a JSON object"},
		{"two objects", `{"a":1}{"b":2}`, emv.ErrInvalidMessage, "the message is not a JSON object"},
		{"invalid UTF-8", "{\"a\":\"\xc3\x28\"}", emv.ErrInvalidMessage, "the message is not valid UTF-8"},
		{"escaped lone surrogate", `{"a":"\ud800"}`, emv.ErrInvalidMessage, "the message is not valid JSON text"},
		{"duplicate at the top", `{"a":1,"a":2}`, emv.ErrDuplicate, "a"},
		{"duplicate in an array's object", `{"x":[{"k":1},{"k":1,"k":2}]}`, emv.ErrDuplicate, "x[1].k"},
		{"same name in two objects is no duplicate", `{"x":{"k":1},"y":{"k":1}}`, "", ""},
		{"names differing in case are no duplicate", `{"merchantName":"a","MerchantName":"b"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, e := readObject([]byte(tt.body), emv.TypeAReq)
			if tt.code == "" {
				if e != nil || m == nil {
					t.Fatalf("refused: %+v", e)
				}
				return
			}
			if e == nil || e.ErrorCode != tt.code || e.ErrorDetail != tt.detail || e.ErrorMessageType != emv.TypeAReq {
				t.Errorf("got %+v, want %s %q", e, tt.code, tt.detail)
			}
		})
	}
}

// TestMembers checks the object split against encoding/json's: same names (escapes decoded), same
// values.
func TestMembers(t *testing.T) {
	for _, body := range []string{
		`{}`,
		`{"a":"b","c":{"d":[1,2,{"e":null}]},"f":true,"g":-1.5e3,"h":[]}`,
		" {\n \"messageType\" : \"AReq\" ,\t\"x\":{\"messageType\":1} } ",
		`{"acct\u004eumber":"4000000000000010","\u8336":"\"quoted\"","merchantName":"\u8336\n"}`,
		string(rawAReq(t, nil, "")),
	} {
		data := []byte(strings.TrimSpace(body))
		got, err := members(data)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d members, want %d", body, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Errorf("%s: member %q = %s, want %s", body, k, got[k], v)
			}
		}
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name, body string
		version    string
		code       emv.ErrorCode
		detail     string
	}{
		{"2.2.0", `{"messageType":"CReq","messageVersion":"2.2.0"}`, emv.V220, "", ""},
		{"2.1.0", `{"messageType":"CReq","messageVersion":"2.1.0"}`, emv.V210, "", ""},
		{"no type", `{"messageVersion":"2.2.0"}`, "", emv.ErrInvalidMessage, "messageType"},
		{"another type", `{"messageType":"CRes","messageVersion":"2.2.0"}`, "", emv.ErrInvalidMessage, "messageType"},
		{"type in another case", `{"messageType":"creq","messageVersion":"2.2.0"}`, "", emv.ErrInvalidMessage, "messageType"},
		{"type not a string", `{"messageType":1,"messageVersion":"2.2.0"}`, "", emv.ErrInvalidMessage, "messageType"},
		{"no version", `{"messageType":"CReq"}`, "", emv.ErrMissing, "messageVersion"},
		{"empty version", `{"messageType":"CReq","messageVersion":""}`, "", emv.ErrFormat, "messageVersion"},
		{"version not a string", `{"messageType":"CReq","messageVersion":2.2}`, "", emv.ErrFormat, "messageVersion"},
		{"version 2.3.1", `{"messageType":"CReq","messageVersion":"2.3.1"}`, "", emv.ErrVersion, "messageVersion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, e := readObject([]byte(tt.body), emv.TypeCReq)
			if e != nil {
				t.Fatal(e)
			}
			version, e := header(m, emv.TypeCReq)
			if tt.code == "" {
				if e != nil || version != tt.version {
					t.Fatalf("header = %q, %+v", version, e)
				}
				return
			}
			if e == nil || e.ErrorCode != tt.code || e.ErrorDetail != tt.detail || e.MessageVersion != emv.V220 {
				t.Errorf("got %+v, want %s %s", e, tt.code, tt.detail)
			}
		})
	}
}

func TestDecodeAReqEchoesWellFormedIDsInItsErro(t *testing.T) {
	_, e := decodeAReq(rawAReq(t, func(m map[string]any) { m["mcc"] = "54x1" }, ""))
	if e == nil || e.ThreeDSServerTransID != "8a880dc0-d2d2-4067-bcb1-b08d1690b26e" || e.DSTransID != "9a880dc0-d2d2-4067-bcb1-b08d1690b26e" || e.ErrorDetail != "mcc" {
		t.Errorf("Erro %+v", e)
	}
	_, e = decodeAReq(rawAReq(t, func(m map[string]any) { m["dsTransID"] = "not-a-uuid"; m["threeDSServerTransID"] = 7 }, ""))
	if e == nil || e.ThreeDSServerTransID != "" || e.DSTransID != "" || e.ErrorDetail != "dsTransID,threeDSServerTransID" {
		t.Errorf("Erro %+v", e)
	}
}

// An AReq refused before it is decoded is answered with an Erro 403 that names its transaction and
// version when the message carries them well formed, and nothing it does not.
func TestRefusalFor(t *testing.T) {
	body := func(edit func(m map[string]any)) []byte {
		m := validAReq()
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return b
	}
	valid := validAReq()
	for _, tt := range []struct {
		name                    string
		data                    []byte
		serverID, dsID, version string
	}{
		{"a well-formed AReq", body(nil), valid["threeDSServerTransID"].(string), valid["dsTransID"].(string), "2.2.0"},
		{"version 2.1.0", body(func(m map[string]any) { m["messageVersion"] = "2.1.0" }), valid["threeDSServerTransID"].(string), valid["dsTransID"].(string), "2.1.0"},
		{"malformed IDs, unknown version", body(func(m map[string]any) {
			m["threeDSServerTransID"], m["dsTransID"], m["messageVersion"] = "<script>", 7, "9.9.9"
		}), "", "", "2.2.0"},
		{"not JSON", []byte(`{"dsTransID":"9a880dc0-d2d2-4067-bcb1-b08d1690b26e"`), "", "", "2.2.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := refusalFor(tt.data, "busy")
			if e.ErrorCode != emv.ErrTransientFailure || e.ErrorDetail != "busy" || e.MessageType != emv.TypeErro ||
				e.ErrorComponent != emv.ComponentACS || e.ErrorMessageType != emv.TypeAReq || e.ErrorDescription == "" {
				t.Errorf("not a complete Erro 403: %+v", e)
			}
			if e.ThreeDSServerTransID != tt.serverID || e.DSTransID != tt.dsID || e.MessageVersion != tt.version {
				t.Errorf("IDs %q %q version %q, want %q %q %q", e.ThreeDSServerTransID, e.DSTransID, e.MessageVersion, tt.serverID, tt.dsID, tt.version)
			}
		})
	}
}
