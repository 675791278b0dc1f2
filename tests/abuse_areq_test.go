package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/tests/testkit"
)

// postAReqAs posts body to /3ds/areq with the content type and returns the answer, failing unless it
// is HTTP 200 JSON (never HTML, never a server error). The client gives up after a few seconds: a
// Directory Server waits no longer for an answer.
func postAReqAs(t *testing.T, client *http.Client, base, contentType string, body []byte) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/3ds/areq", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("no answer within the client's timeout: %v", err)
	}
	text := testkit.ReadAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("AReq answered HTTP %d: %s", resp.StatusCode, testkit.Excerpt(text))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("AReq answered %s, not JSON: %s", ct, testkit.Excerpt(text))
	}
	if strings.Contains(strings.ToLower(text), "<html") {
		t.Fatalf("the answer carries HTML: %s", testkit.Excerpt(text))
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, testkit.Excerpt(text))
	}
	return out
}

// TestAbuseMalformedAReqs is the catalogue of malformed AReqs a hostile or broken Directory Server
// can send. Each gets the Erro code docs/protocol.md gives for it, quickly, and never an HTML page or
// a server error; the ACS still answers a good AReq afterwards.
func TestAbuseMalformedAReqs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, _ := startACS(t, b, nil) // the default body limit (64 KiB)
		client := &http.Client{Timeout: 5 * time.Second}
		good := func() string { b, _ := json.Marshal(areqFor(demodata.YamadaJCB)); return string(b) }
		// with puts raw text (JSON or not) in place of a field of a good AReq.
		with := func(field, raw string) []byte {
			m := areqFor(demodata.YamadaJCB)
			delete(m, field)
			rest, _ := json.Marshal(m)
			return []byte(`{"` + field + `":` + raw + "," + string(rest[1:]))
		}
		// splice adds raw text as the first member of a good AReq (duplicated keys, invalid UTF-8).
		splice := func(raw string) []byte { return []byte("{" + raw + "," + good()[1:]) }
		padded := func(size int) []byte {
			return splice(`"padding":"` + strings.Repeat("x", size) + `"`)
		}
		deep := strings.Repeat("[", 10000)

		tests := []struct {
			name, contentType string
			body              []byte
			code, detail      string
		}{
			{"truncated JSON", "", []byte(good()[:len(good())/2]), "101", ""},
			{"truncated after the last field", "", []byte(strings.TrimSuffix(good(), "}")), "101", ""},
			{"number for a string", "", with("acctNumber", "3540000000000019"), "203", "acctNumber"},
			{"object for a string", "", with("merchantName", `{"ja":"富士"}`), "203", "merchantName"},
			{"array for a string", "", with("dsTransID", `["a"]`), "203", "dsTransID"},
			{"null for a string", "", with("purchaseCurrency", `null`), "203", "purchaseCurrency"},
			{"string for a boolean", "", with("browserJavascriptEnabled", `"true"`), "203", "browserJavascriptEnabled"},
			{"array body", "", []byte(`[` + good() + `]`), "101", ""},
			{"number body", "", []byte(`42`), "101", ""},
			{"string body", "", []byte(`"AReq"`), "101", ""},
			{"JSON null", "", []byte(`null`), "101", ""},
			{"empty body", "", nil, "101", ""},
			{"only whitespace", "", []byte(" \n\t "), "101", ""},
			{"1e400 amount", "", with("purchaseAmount", `1e400`), "203", "purchaseAmount"},
			{"100-digit amount", "", with("purchaseAmount", `"`+strings.Repeat("9", 100)+`"`), "203", "purchaseAmount"},
			{"100-digit number amount", "", with("purchaseAmount", strings.Repeat("9", 100)), "203", "purchaseAmount"},
			{"negative amount", "", with("purchaseAmount", `"-5000"`), "203", "purchaseAmount"},
			{"duplicated top-level key", "", splice(`"acctNumber":"4000000000000010"`), "204", "acctNumber"},
			{"duplicated messageType", "", splice(`"messageType":"AReq"`), "204", "messageType"},
			{"duplicated nested key", "", with("acctInfo", `{"chAccAgeInd":"01","chAccAgeInd":"02"}`), "204", "acctInfo.chAccAgeInd"},
			{"invalid UTF-8 in a value", "", with("merchantName", "\"Fuji \xff\xfe Tea\""), "101", ""},
			{"invalid UTF-8 in a key", "", splice("\"pad\xc3\x28\":\"x\""), "101", ""},
			{"escaped lone surrogate", "", with("merchantName", `"Fuji \ud800 Tea"`), "101", ""},
			{"1 MB body", "", padded(1 << 20), "101", ""},
			{"10 MB body", "", padded(10 << 20), "101", ""},
			{"text/plain", "text/plain", []byte(good()), "101", ""},
			{"form-urlencoded", "application/x-www-form-urlencoded", []byte("messageType=AReq&messageVersion=2.2.0"), "101", ""},
			{"form-urlencoded JSON", "application/x-www-form-urlencoded", []byte(good()), "101", ""},
			{"multipart", "multipart/form-data; boundary=x", []byte(good()), "101", ""},
			{"BOM prefix", "", append([]byte("\xef\xbb\xbf"), good()...), "101", ""},
			{"10000 levels of [", "", []byte(deep), "101", ""},
			{"10000 levels of [ inside the AReq", "", splice(`"deep":` + deep), "101", ""},
			{"10000 closed levels inside the AReq", "", splice(`"deep":` + deep + strings.Repeat("]", 10000)), "101", ""},
			{"raw control character in a string", "", with("merchantName", "\"Fuji\x01Tea\""), "101", ""},
			{"raw newline in a string", "", with("merchantName", "\"Fuji\nTea\""), "101", ""},
			{"escaped control character", "", with("merchantName", `"Fuji\u0007Tea"`), "203", "merchantName"},
			{"escaped NUL", "", with("browserUserAgent", `"Mozilla\u0000"`), "203", "browserUserAgent"},
			{"escaped DEL and C1", "", with("threeDSRequestorName", `"Shop\u007f\u0085"`), "203", "threeDSRequestorName"},
			{"trailing garbage", "", []byte(good() + "x"), "101", ""},
			{"two objects", "", []byte(good() + good()), "101", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ct := tt.contentType
				if ct == "" {
					ct = "application/json; charset=utf-8"
				}
				checkErro(t, postAReqAs(t, client, app.URL, ct, tt.body), tt.code, tt.detail)
			})
		}

		// After all of it the ACS answers a good AReq as before.
		areq := areqFor(demodata.YamadaJCB)
		body, _ := json.Marshal(areq)
		ares := postAReqAs(t, client, app.URL, "application/json", body)
		checkARes(t, areq, ares)
		if str(ares, "transStatus") != "C" {
			t.Errorf("a good AReq after the catalogue got %v", ares)
		}
	})
}
