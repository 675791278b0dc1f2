package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/app/security"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestACSDecisionTable sends an AReq for every row of the decision table, in both versions, and
// checks the ARes (status, reason, the fields each status needs, no empty optional field).
func TestACSDecisionTable(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, _ := startACS(t, b, nil)
		sealer := app.Server.Sealer
		setCard := func(pan string, fields map[string]any) {
			t.Helper()
			if err := app.DB.Model(&db.Card{}).Where("pan_hash = ?", sealer.PANHash(security.PAN(pan))).Updates(fields).Error; err != nil {
				t.Fatal(err)
			}
		}
		// Make the rows the demo data lacks: a closed card, an expired card, a lost card, a closed member.
		setCard(demodata.UnregVisa, map[string]any{"status": db.CardClosed})
		setCard(demodata.TanakaVisa, map[string]any{"expiry": "2001"})
		setCard(demodata.SatoVisa, map[string]any{"status": db.CardLost})
		var tanaka db.Member
		if err := app.DB.Where("login_id = ?", "tanaka04a").Take(&tanaka).Error; err != nil {
			t.Fatal(err)
		}
		app.DB.Model(&tanaka).Update("status", db.MemberClosed)

		rows := []struct {
			name, pan, status, reason string
			expiry                    string // the AReq's cardExpiryDate when not the demo card's
		}{
			{"registered JCB card: challenge", demodata.YamadaJCB, "C", "", ""},
			{"registered Visa card: challenge", demodata.YamadaVisa, "C", "", ""},
			{"no card with that number", cards.WithCheckDigit("354000000009999"), "N", "08", ""},
			{"number failing the Luhn check", "3540000000000018", "N", "06", ""},
			{"stolen card", demodata.StolenJCB, "R", "10", ""},
			{"lost card", demodata.SatoVisa, "R", "10", ""},
			{"closed card", demodata.UnregVisa, "N", "12", ""},
			{"expired card", demodata.TanakaVisa, "N", "05", "2001"},
			{"expiry not the card's", demodata.YamadaJCB, "N", "01", "3001"},
			{"card without a member", demodata.UnregJCB, "N", "13", ""},
			{"member never set a personal message", demodata.SuzukiJCB, "N", "13", ""},
			{"member closed", demodata.TanakaJCB, "N", "13", ""},
		}
		for _, version := range []string{"2.1.0", "2.2.0"} {
			for _, row := range rows {
				t.Run(version+"/"+row.name, func(t *testing.T) {
					areq := areqFor(row.pan)
					if version == "2.1.0" {
						areq = areq210(row.pan)
					}
					if row.expiry != "" {
						areq["cardExpiryDate"] = row.expiry
					}
					ares := postAReq(t, app.URL, areq)
					checkARes(t, areq, ares)
					if str(ares, "transStatus") != row.status || str(ares, "transStatusReason") != row.reason {
						t.Fatalf("transStatus %q reason %q, want %q %q", str(ares, "transStatus"), str(ares, "transStatusReason"), row.status, row.reason)
					}
					if row.status == "C" {
						if str(ares, "acsURL") != app.URL+"/3ds/challenge" || str(ares, "acsChallengeMandated") != "Y" || str(ares, "authenticationType") != "01" {
							t.Errorf("challenge fields: %v", ares)
						}
					}
					if row.reason == "13" && str(ares, "cardholderInfo") == "" {
						t.Errorf("not enrolled without cardholderInfo")
					}
				})
			}
		}

		t.Run("member stopped 3-D Secure", func(t *testing.T) {
			setCard(demodata.YamadaVisa, map[string]any{"three_ds": db.ThreeDSStopped})
			defer setCard(demodata.YamadaVisa, map[string]any{"three_ds": db.ThreeDSEnrolled})
			areq := areqFor(demodata.YamadaVisa)
			ares := postAReq(t, app.URL, areq)
			checkARes(t, areq, ares)
			if str(ares, "transStatus") != "N" || str(ares, "transStatusReason") != "13" {
				t.Fatalf("stopped: %v", ares)
			}
		})
		t.Run("non-payment AReq without purchase fields", func(t *testing.T) {
			areq := areqFor(demodata.YamadaJCB)
			areq["messageCategory"] = "02"
			for _, f := range []string{"purchaseAmount", "purchaseCurrency", "purchaseExponent", "purchaseDate"} {
				delete(areq, f)
			}
			ares := postAReq(t, app.URL, areq)
			checkARes(t, areq, ares)
			if str(ares, "transStatus") != "C" {
				t.Fatalf("non-payment: %v", ares)
			}
		})
		t.Run("2.2.0 with JavaScript off needs no screen fields", func(t *testing.T) {
			areq := areqFor(demodata.YamadaJCB)
			areq["browserJavascriptEnabled"] = false
			for _, f := range []string{"browserJavaEnabled", "browserColorDepth", "browserScreenHeight", "browserScreenWidth", "browserTZ"} {
				delete(areq, f)
			}
			ares := postAReq(t, app.URL, areq)
			checkARes(t, areq, ares)
		})
		t.Run("app and 3RI channels are declined", func(t *testing.T) {
			for ch, reason := range map[string]string{"01": "03", "03": "21"} {
				areq := areqFor(demodata.YamadaJCB)
				areq["deviceChannel"] = ch
				ares := postAReq(t, app.URL, areq)
				checkARes(t, areq, ares)
				if str(ares, "transStatus") != "N" || str(ares, "transStatusReason") != reason {
					t.Errorf("deviceChannel %s: %v", ch, ares)
				}
			}
		})
		t.Run("the PAN never reaches the logs", func(t *testing.T) {
			for _, pan := range []string{demodata.YamadaJCB, demodata.YamadaVisa, demodata.StolenJCB} {
				if strings.Contains(app.Logs.String(), pan) {
					t.Errorf("the log contains the card number %s", security.MaskPAN(pan))
				}
			}
		})
	})
}

// TestACSErro sends defective AReqs and checks each gets the right Erro (HTTP 200 JSON) naming the field.
func TestACSErro(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, _ := startACS(t, b, map[string]string{"HONNIN_MAX_BODY_BYTES": "8192"})
		marshal := func(m map[string]any) []byte { b, _ := json.Marshal(m); return b }
		with := func(f func(m map[string]any)) []byte { m := areqFor(demodata.YamadaJCB); f(m); return marshal(m) }
		tests := []struct {
			name, code, detail string
			body               []byte
		}{
			{"not JSON", "101", "", []byte("<AReq/>")},
			{"empty body", "101", "", nil},
			{"JSON array", "101", "", []byte(`[1,2]`)},
			{"wrong messageType", "101", "messageType", with(func(m map[string]any) { m["messageType"] = "CReq" })},
			{"too large", "101", "", with(func(m map[string]any) { m["padding"] = strings.Repeat("x", 9000) })},
			{"unsupported version", "102", "messageVersion", with(func(m map[string]any) { m["messageVersion"] = "2.3.1" })},
			{"version 1.0.2", "102", "messageVersion", with(func(m map[string]any) { m["messageVersion"] = "1.0.2" })},
			{"missing acctNumber", "201", "acctNumber", with(func(m map[string]any) { delete(m, "acctNumber") })},
			{"missing messageVersion", "201", "messageVersion", with(func(m map[string]any) { delete(m, "messageVersion") })},
			{"missing notificationURL", "201", "notificationURL", with(func(m map[string]any) { delete(m, "notificationURL") })},
			{"2.1.0 missing browserJavaEnabled", "201", "browserJavaEnabled", func() []byte {
				m := areq210(demodata.YamadaJCB)
				delete(m, "browserJavaEnabled")
				return marshal(m)
			}()},
			{"2.2.0 missing browserJavascriptEnabled", "201", "browserJavascriptEnabled", with(func(m map[string]any) { delete(m, "browserJavascriptEnabled") })},
			{"two fields missing", "201", "mcc", with(func(m map[string]any) { delete(m, "mcc"); delete(m, "merchantName") })},
			{"bad acctNumber", "203", "acctNumber", with(func(m map[string]any) { m["acctNumber"] = "35400000ABC" })},
			{"bad UUID", "203", "threeDSServerTransID", with(func(m map[string]any) { m["threeDSServerTransID"] = "1234" })},
			{"bad purchaseDate", "203", "purchaseDate", with(func(m map[string]any) { m["purchaseDate"] = "20261399000000" })},
			{"empty optional field", "203", "threeDSRequestorChallengeInd", with(func(m map[string]any) { m["threeDSRequestorChallengeInd"] = "" })},
			{"number instead of string", "203", "purchaseAmount", with(func(m map[string]any) { m["purchaseAmount"] = 5000 })},
			{"string instead of bool", "203", "browserJavaEnabled", with(func(m map[string]any) { m["browserJavaEnabled"] = "false" })},
			{"bad colour depth", "203", "browserColorDepth", with(func(m map[string]any) { m["browserColorDepth"] = "23" })},
			{"notificationURL not a URL", "203", "notificationURL", with(func(m map[string]any) { m["notificationURL"] = "javascript:alert(1)" })},
			{"duplicate key", "204", "acctNumber", []byte(strings.Replace(string(marshal(areqFor(demodata.YamadaJCB))), `"acctNumber":`, `"acctNumber":"4000000000000010","acctNumber":`, 1))},
			{"critical extension", "202", "messageExtension", with(func(m map[string]any) {
				m["messageExtension"] = []map[string]any{{"name": "x", "id": "A000000802-999", "criticalityIndicator": true, "data": map[string]any{}}}
			})},
			{"JPY with exponent 2", "305", "purchaseExponent", with(func(m map[string]any) { m["purchaseExponent"] = "2" })},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				checkErro(t, postRaw(t, app.URL, tt.body), tt.code, tt.detail)
			})
		}

		t.Run("duplicate dsTransID", func(t *testing.T) {
			areq := areqFor(demodata.YamadaJCB)
			checkARes(t, areq, postAReq(t, app.URL, areq))
			areq["threeDSServerTransID"] = areqFor(demodata.YamadaJCB)["threeDSServerTransID"]
			e := postAReq(t, app.URL, areq)
			checkErro(t, e, "305", "dsTransID")
			if str(e, "dsTransID") != str(areq, "dsTransID") || str(e, "threeDSServerTransID") != str(areq, "threeDSServerTransID") {
				t.Errorf("Erro does not echo the transaction IDs: %v", e)
			}
		})
		t.Run("Erro echoes the version of a 2.1.0 AReq", func(t *testing.T) {
			m := areq210(demodata.YamadaJCB)
			delete(m, "acctNumber")
			e := postAReq(t, app.URL, m)
			checkErro(t, e, "201", "acctNumber")
			if str(e, "messageVersion") != "2.1.0" || str(e, "errorMessageType") != "AReq" {
				t.Errorf("Erro version/type: %v", e)
			}
		})
		// Last: with the database gone, an AReq gets Erro 403 (transient), still JSON.
		t.Run("database unavailable", func(t *testing.T) {
			sqlDB, _ := app.DB.DB()
			sqlDB.Close()
			checkErro(t, postAReq(t, app.URL, areqFor(demodata.YamadaJCB)), "403", "")
		})
	})
}
