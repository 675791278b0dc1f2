package tests

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"honnin/app/demodata"
	"honnin/app/risk"
	"honnin/db"
	"honnin/tests/testkit"
)

// methodDataField is the threeDSMethodData a 3DS Server posts into the hidden iframe.
func methodDataField(fields map[string]string) string {
	b, _ := json.Marshal(fields)
	return base64.RawURLEncoding.EncodeToString(b)
}

// postDeviceData sends device data to the ACS as the method page's script does.
func postDeviceData(t *testing.T, base, body string) int {
	t.Helper()
	resp, err := testkit.HTTPClient().Post(base+"/3ds/method/data", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	testkit.ReadAll(t, resp.Body)
	return resp.StatusCode
}

func deviceDataRows(t *testing.T, app *testkit.App) []db.DeviceData {
	t.Helper()
	var rows []db.DeviceData
	if err := app.DB.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMethodEndpoint: the threeDSMethodURL serves a hidden page that loads the collecting script and
// posts threeDSMethodData back to the shop; the device data are kept by threeDSServerTransID until they
// expire. Garbage or a missing notification URL get a blank page and no write.
func TestMethodEndpoint(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		tx := uuid.NewString()

		for name, field := range map[string]string{
			"garbage":                  "%%%not-base64",
			"missing notification URL": methodDataField(map[string]string{"threeDSServerTransID": tx}),
			"missing transaction ID":   methodDataField(map[string]string{"threeDSMethodNotificationURL": "https://shop.example/method"}),
		} {
			p := postForm(t, app.URL+"/3ds/method", url.Values{"threeDSMethodData": {field}})
			if p.Status != http.StatusOK || strings.TrimSpace(p.Body) != "" {
				t.Errorf("%s: HTTP %d %s", name, p.Status, testkit.Excerpt(p.Body))
			}
		}
		if rows := deviceDataRows(t, app); len(rows) != 0 {
			t.Fatalf("bad method calls wrote %+v", rows)
		}

		notify := "https://shop.example/3ds/method-done"
		p := postForm(t, app.URL+"/3ds/method", url.Values{"threeDSMethodData": {methodDataField(map[string]string{
			"threeDSServerTransID": tx, "threeDSMethodNotificationURL": notify})}})
		if p.Status != http.StatusOK || p.formAction() != notify || !strings.Contains(p.Body, `src="/static/js/acs-method.js"`) {
			t.Fatalf("method page: HTTP %d %s", p.Status, testkit.Excerpt(p.Body))
		}
		back, err := base64.RawURLEncoding.DecodeString(p.field("threeDSMethodData"))
		var backMsg map[string]string
		if err != nil || json.Unmarshal(back, &backMsg) != nil || backMsg["threeDSServerTransID"] != tx || len(backMsg) != 1 {
			t.Errorf("threeDSMethodData posted back: %s (%v)", back, err)
		}
		csp := p.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "form-action https://shop.example;") || !strings.Contains(csp, "script-src 'self';") ||
			!strings.Contains(csp, "frame-ancestors http: https:;") || p.Header.Get("X-Frame-Options") != "" {
			t.Errorf("CSP %q, X-Frame-Options %q", csp, p.Header.Get("X-Frame-Options"))
		}
		if code := postDeviceData(t, app.URL, `{"threeDSServerTransID":"`+tx+`","device":{"screenWidth":"wide"}}`); code != http.StatusBadRequest {
			t.Errorf("bad device data: HTTP %d", code)
		}
		device := `{"threeDSServerTransID":"` + tx + `","device":{"timeZone":"Asia/Tokyo","tzOffset":-540,"languages":["ja-JP"],` +
			`"screenWidth":1440,"screenHeight":900,"colorDepth":24,"pixelRatio":2,"platform":"MacIntel","hardwareConcurrency":8,"touchPoints":0,"cookiesEnabled":true}}`
		if code := postDeviceData(t, app.URL, device); code != http.StatusNoContent {
			t.Fatalf("device data: HTTP %d", code)
		}
		rows := deviceDataRows(t, app)
		if len(rows) != 1 || rows[0].ThreeDSServerTransID != tx || !strings.Contains(rows[0].Data, `"timeZone":"Asia/Tokyo"`) ||
			rows[0].ExpiresAt.Sub(rows[0].CreatedAt) != app.Server.Config.MethodDataTTL {
			t.Fatalf("stored %+v", rows)
		}
	})
}

// TestMethodDataExpireUnclaimed: device data whose time passed are not used by a late AReq, which is
// answered as any other, and the sweeper removes them.
func TestMethodDataExpireUnclaimed(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		areq := areqFor(demodata.YamadaJCB)
		tx := str(areq, "threeDSServerTransID")
		if code := postDeviceData(t, app.URL, `{"threeDSServerTransID":"`+tx+`","device":{"screenWidth":1440}}`); code != http.StatusNoContent {
			t.Fatalf("device data: HTTP %d", code)
		}
		// The clock cannot be moved: the row is made to have expired a TTL ago instead.
		if err := app.DB.Model(&db.DeviceData{}).Where("three_ds_server_trans_id = ?", tx).
			Update("expires_at", db.Now().Add(-app.Server.Config.MethodDataTTL)).Error; err != nil {
			t.Fatal(err)
		}

		areq["threeDSCompInd"] = "Y"
		ares := postAReq(t, app.URL, areq)
		if str(ares, "messageType") != "ARes" || str(ares, "threeDSServerTransID") != tx {
			t.Fatalf("late AReq: %v", ares)
		}
		checkARes(t, areq, ares)
		var ch db.Challenge
		if err := app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&ch).Error; err != nil {
			t.Fatal(err)
		}
		// Where the ACS keeps the facts of its risk decision, they say no method data were found.
		var facts risk.Facts
		if ch.RiskFacts != "" && (json.Unmarshal([]byte(ch.RiskFacts), &facts) != nil || facts.MethodData) {
			t.Errorf("the late AReq used expired device data: %s", ch.RiskFacts)
		}
		eventually(t, "the sweeper removes expired device data", func() bool { return len(deviceDataRows(t, app)) == 0 })
	})
}
