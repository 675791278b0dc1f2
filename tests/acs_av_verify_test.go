package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestAVVerifyCallerAndReplay: the authentication-value check answers only the authorisation system's
// bearer token; of 10 concurrent checks of one value exactly one passes and the others report reuse
// (R), and so does every later check.
func TestAVVerifyCallerAndReplay(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ares, p := challengeFor(t, app, areqFor(demodata.YamadaJCB))
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), ares, "Y")
		var ch db.Challenge
		if err := app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&ch).Error; err != nil || ch.AuthenticationValue == "" {
			t.Fatalf("no authentication value: %v", err)
		}
		check, _ := json.Marshal(map[string]string{"acctNumber": demodata.YamadaJCB, "authenticationValue": ch.AuthenticationValue,
			"eci": "05", "purchaseAmount": "5000", "purchaseCurrency": "392"})
		ask := func(auth string) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, app.Internal+"/internal/av/verify", bytes.NewReader(check))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return 0, nil
			}
			var out map[string]any
			_ = json.Unmarshal([]byte(testkit.ReadAll(t, resp.Body)), &out)
			return resp.StatusCode, out
		}
		token := app.Env["HONNIN_AV_VERIFY_TOKEN"]
		for _, auth := range []string{"", "Bearer wrong-token", "Basic " + token, "Bearer " + token[:len(token)-1]} {
			if status, out := ask(auth); status != http.StatusUnauthorized || out["result"] != nil {
				t.Errorf("Authorization %q: HTTP %d %v, want 401 without a verdict", auth, status, out)
			}
		}

		results := make([]map[string]any, 10)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() { defer wg.Done(); _, results[i] = ask("Bearer " + token) }()
		}
		wg.Wait()
		passed, reused := 0, 0
		for _, r := range results {
			switch {
			case str(r, "result") == "passed" && str(r, "resultCode") == "2":
				passed++
			case str(r, "result") == "reused" && str(r, "resultCode") == "R":
				reused++
			default:
				t.Errorf("unexpected verdict %v", r)
			}
		}
		if passed != 1 || reused != 9 {
			t.Errorf("10 concurrent checks: %d passed, %d reused; want 1 and 9", passed, reused)
		}
		if _, r := ask("bearer " + token); str(r, "result") != "reused" || str(r, "firstVerifiedAt") == "" {
			t.Errorf("a later check: %v, want reused with the first check's time", r)
		}
	})
}
