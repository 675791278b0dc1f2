package acs

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"honnin/app/risk"
	"honnin/db"
)

const methodTx = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"

func methodField(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestParseMethodData(t *testing.T) {
	good := map[string]string{"threeDSServerTransID": methodTx, "threeDSMethodNotificationURL": "https://shop.example/3ds/method-done"}
	tests := []struct {
		name      string
		field     string
		allowHTTP bool
		ok        bool
		origin    string
	}{
		{"good", methodField(good), false, true, "https://shop.example"},
		{"padded standard base64", base64.StdEncoding.EncodeToString([]byte(`{"threeDSServerTransID":"` + methodTx + `","threeDSMethodNotificationURL":"https://Shop.example:8443/n"}`)), false, true, "https://shop.example:8443"},
		{"http in demo mode", methodField(map[string]string{"threeDSServerTransID": methodTx, "threeDSMethodNotificationURL": "http://localhost:8080/demo/shop/method"}), true, true, "http://localhost:8080"},
		{"http outside demo mode", methodField(map[string]string{"threeDSServerTransID": methodTx, "threeDSMethodNotificationURL": "http://shop.example/n"}), false, false, ""},
		{"empty", "", false, false, ""},
		{"not base64", "***", false, false, ""},
		{"not JSON", base64.RawURLEncoding.EncodeToString([]byte("hello")), false, false, ""},
		{"no notification URL", methodField(map[string]string{"threeDSServerTransID": methodTx}), false, false, ""},
		{"no transaction ID", methodField(map[string]string{"threeDSMethodNotificationURL": "https://shop.example/n"}), false, false, ""},
		{"transaction ID not a UUID", methodField(map[string]string{"threeDSServerTransID": "1234", "threeDSMethodNotificationURL": "https://shop.example/n"}), false, false, ""},
		{"script URL", methodField(map[string]string{"threeDSServerTransID": methodTx, "threeDSMethodNotificationURL": "javascript:alert(1)"}), true, false, ""},
		{"host with a quote", methodField(map[string]string{"threeDSServerTransID": methodTx, "threeDSMethodNotificationURL": "https://shop.example';/n"}), false, false, ""},
		{"too long", strings.Repeat("A", maxMethodDataChars+1), false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseMethodData(tt.field, tt.allowHTTP)
			if ok != tt.ok || got.NotificationOrigin != tt.origin || ok && got.ThreeDSServerTransID != methodTx {
				t.Errorf("got %+v, %v; want ok %v, origin %q", got, ok, tt.ok, tt.origin)
			}
		})
	}
}

func goodDevice() risk.MethodData {
	return risk.MethodData{TimeZone: "Asia/Tokyo", TZOffset: -540, Languages: []string{"ja-JP", "en"}, ScreenWidth: 1920,
		ScreenHeight: 1080, ColorDepth: 24, PixelRatio: 2, Platform: "MacIntel", HardwareConcurrency: 8, CookiesEnabled: true}
}

func TestValidMethodData(t *testing.T) {
	tests := []struct {
		name string
		edit func(*risk.MethodData)
		ok   bool
	}{
		{"good", func(*risk.MethodData) {}, true},
		{"nothing known", func(m *risk.MethodData) { *m = risk.MethodData{} }, true},
		{"platform with parentheses", func(m *risk.MethodData) { m.Platform = "Linux x86_64 (X11)" }, true},
		{"markup in the time zone", func(m *risk.MethodData) { m.TimeZone = "<script>" }, false},
		{"long platform", func(m *risk.MethodData) { m.Platform = strings.Repeat("x", 65) }, false},
		{"eleven languages", func(m *risk.MethodData) { m.Languages = strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",") }, false},
		{"language not a tag", func(m *risk.MethodData) { m.Languages = []string{"ja JP"} }, false},
		{"offset beyond a day", func(m *risk.MethodData) { m.TZOffset = 1441 }, false},
		{"negative screen", func(m *risk.MethodData) { m.ScreenWidth = -1 }, false},
		{"absurd pixel ratio", func(m *risk.MethodData) { m.PixelRatio = 100 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := goodDevice()
			tt.edit(&m)
			if got := validMethodData(m); got != tt.ok {
				t.Errorf("validMethodData = %v, want %v", got, tt.ok)
			}
		})
	}
}

func deviceRows(t *testing.T, f *fixture) []db.DeviceData {
	t.Helper()
	var rows []db.DeviceData
	if err := f.DB.Order("three_ds_server_trans_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestStoreMethodDataFirstWinsAndExpires: the first post for a transaction is kept, a second one
// changes nothing, and the sweep removes rows only once they expired.
func TestStoreMethodDataFirstWinsAndExpires(t *testing.T) {
	f := newFixture(t)
	first := goodDevice()
	if err := storeMethodData(f.ctx, f.DB, methodTx, first, f.now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	second := goodDevice()
	second.Platform = "Win32"
	if err := storeMethodData(f.ctx, f.DB, methodTx, second, f.now.Add(time.Second), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	rows := deviceRows(t, f)
	var kept risk.MethodData
	if len(rows) != 1 || json.Unmarshal([]byte(rows[0].Data), &kept) != nil || kept.Platform != "MacIntel" || !rows[0].ExpiresAt.Equal(f.now.Add(5*time.Minute)) {
		t.Fatalf("rows %+v", rows)
	}
	other := "0f5c7c6e-0d2c-4b0e-9a31-3f4a0f1f7a10"
	if err := storeMethodData(f.ctx, f.DB, other, first, f.now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if n, err := sweepDeviceData(f.ctx, f.DB, f.now.Add(5*time.Minute-time.Second), 100); err != nil || n != 0 {
		t.Fatalf("before expiry: removed %d (%v)", n, err)
	}
	if n, err := sweepDeviceData(f.ctx, f.DB, f.now.Add(5*time.Minute), 100); err != nil || n != 1 {
		t.Fatalf("at expiry: removed %d (%v)", n, err)
	}
	if rows := deviceRows(t, f); len(rows) != 1 || rows[0].ThreeDSServerTransID != other {
		t.Errorf("left %+v", rows)
	}
}

func (f *fixture) serve(t *testing.T, handler func(echo.Context) error, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/3ds/method", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	if err := handler(echo.New().NewContext(req, rec)); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestMethodPage: good threeDSMethodData give a page that loads the collecting script and posts the
// transaction ID back to the shop, whose origin alone the CSP lets it post to; bad ones a blank page.
func TestMethodPage(t *testing.T) {
	f := newFixture(t)
	field := methodField(map[string]string{"threeDSServerTransID": methodTx, "threeDSMethodNotificationURL": "https://shop.example/method-done?x=1"})
	rec := f.serve(t, f.method, "application/x-www-form-urlencoded", url.Values{"threeDSMethodData": {field}}.Encode())
	body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
	back := methodField(map[string]string{"threeDSServerTransID": methodTx})
	for _, want := range []string{`action="https://shop.example/method-done?x=1"`, `name="threeDSMethodData" value="` + back + `"`,
		`src="/static/js/acs-method.js"`, `data-method-trans-id="` + methodTx + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || !strings.Contains(csp, "form-action https://shop.example;") ||
		!strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self';") || !strings.Contains(csp, "frame-ancestors http: https:;") {
		t.Errorf("inline script or CSP %q", csp)
	}
	if rows := deviceRows(t, f); len(rows) != 0 {
		t.Errorf("the page itself wrote %+v", rows)
	}

	rec = f.serve(t, f.method, "application/x-www-form-urlencoded", url.Values{"threeDSMethodData": {"garbage"}}.Encode())
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "form-action 'self';") {
		t.Errorf("garbage: HTTP %d %q", rec.Code, rec.Body.String())
	}
}

func TestMethodDataHandler(t *testing.T) {
	f := newFixture(t)
	f.Config.MethodDataTTL = 5 * time.Minute
	good, _ := json.Marshal(deviceDataPost{ThreeDSServerTransID: methodTx, Device: goodDevice()})
	for name, body := range map[string]string{
		"not JSON":           "device=1",
		"unknown field":      `{"threeDSServerTransID":"` + methodTx + `","device":{},"extra":1}`,
		"no transaction ID":  `{"device":{}}`,
		"implausible device": `{"threeDSServerTransID":"` + methodTx + `","device":{"screenWidth":-5}}`,
		"too large":          `{"threeDSServerTransID":"` + methodTx + `","device":{"platform":"` + strings.Repeat("x", maxDeviceDataBytes) + `"}}`,
	} {
		if rec := f.serve(t, f.methodData, "application/json", body); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d", name, rec.Code)
		}
	}
	if rows := deviceRows(t, f); len(rows) != 0 {
		t.Fatalf("bad posts wrote %+v", rows)
	}
	if rec := f.serve(t, f.methodData, "application/json", string(good)); rec.Code != http.StatusNoContent {
		t.Fatalf("good post: HTTP %d", rec.Code)
	}
	if rows := deviceRows(t, f); len(rows) != 1 || rows[0].ThreeDSServerTransID != methodTx {
		t.Errorf("rows %+v", rows)
	}
}
