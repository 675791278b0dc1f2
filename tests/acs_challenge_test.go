package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// challengeFor sends an AReq and opens the challenge: the ARes and the password page.
func challengeFor(t *testing.T, app *testkit.App, areq map[string]any) (map[string]any, page) {
	t.Helper()
	ares := postAReq(t, app.URL, areq)
	checkARes(t, areq, ares)
	if str(ares, "transStatus") != "C" {
		t.Fatalf("no challenge: %v", ares)
	}
	p := openChallenge(t, ares, creqFor(ares, "05"), "shop-session-42")
	if p.Status != http.StatusOK || p.field("token") == "" {
		t.Fatalf("no password page (HTTP %d): %s", p.Status, p.Text())
	}
	return ares, p
}

// verifyAV asks the authentication-value check as the authorisation system does, with its token.
func verifyAV(t *testing.T, app *testkit.App, in map[string]string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, app.Internal+"/internal/av/verify", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+app.Env["HONNIN_AV_VERIFY_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(testkit.ReadAll(t, resp.Body)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func events(t *testing.T, app *testkit.App, acsTransID, kind string) []db.AuthEvent {
	t.Helper()
	var evs []db.AuthEvent
	if err := app.DB.Where("challenge_id = ? AND kind = ?", acsTransID, kind).Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestACSChallengeSuccess: the member types the right ID and password; the page posts CRes Y to the
// notificationURL with the session data unchanged, the RReq carries ECI 05 and a 28-character value
// that the authorisation-side check accepts; a double submit ends the challenge once.
func TestACSChallengeSuccess(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		for _, tc := range []struct{ name, version, pan, brand, lang string }{
			{"2.2.0 JCB in Japanese", "2.2.0", demodata.YamadaJCB, "J/Secure", "ja-JP"},
			{"2.1.0 Visa in English", "2.1.0", demodata.YamadaVisa, "Visa Secure", "en-US"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				areq := areqFor(tc.pan)
				if tc.version == "2.1.0" {
					areq = areq210(tc.pan)
				}
				areq["browserLanguage"] = tc.lang
				ares, p := challengeFor(t, app, areq)
				text := p.Text()
				testkit.Contains(t, text, tc.brand, "Fuji Tea Shop", "****"+tc.pan[len(tc.pan)-4:], "富士山と緑茶")
				if tc.lang == "ja-JP" {
					testkit.Contains(t, text, "5,000円", "このカードを登録したID", "キャンセル")
				} else {
					testkit.Contains(t, text, "JPY 5,000", "use the one this card is registered to", "Cancel")
				}
				csp := p.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "frame-ancestors http: https:") || !strings.Contains(csp, "form-action 'self' https://shop.example") {
					t.Errorf("challenge CSP: %s", csp)
				}
				if p.Header.Get("X-Frame-Options") != "" {
					t.Errorf("X-Frame-Options forbids the shop's iframe")
				}
				if len(p.Header.Values("Set-Cookie")) != 0 {
					t.Errorf("the challenge sets cookies: %v", p.Header.Values("Set-Cookie"))
				}

				// Double-clicked Submit: two posts at once. Both get the same final page; one result.
				var wg sync.WaitGroup
				pages := make([]page, 2)
				for i := range pages {
					wg.Add(1)
					go func() { defer wg.Done(); pages[i] = answer(t, app.URL, p, "Yamada01", "fuji-san-2026", "submit") }()
				}
				wg.Wait()
				for _, fp := range pages {
					checkCRes(t, fp, ares, "Y")
					if fp.formAction() != "https://shop.example/3ds/notify" || fp.field("threeDSSessionData") != "shop-session-42" {
						t.Errorf("final page posts to %q with session data %q", fp.formAction(), fp.field("threeDSSessionData"))
					}
					if !strings.Contains(fp.Body, `src="/static/js/acs-autopost.js"`) || !strings.Contains(fp.Body, "<noscript>") {
						t.Errorf("final page does not post by itself with a no-script button")
					}
				}
				acsID := str(ares, "acsTransID")
				rreq := ds.waitRReqs(t, acsID, 1)[0]
				checkRReq(t, rreq, ares, "Y", "", "")
				if str(rreq, "interactionCounter") != "01" {
					t.Errorf("interactionCounter %q, want 01", str(rreq, "interactionCounter"))
				}
				var outbox int64
				app.DB.Model(&db.OutboxMessage{}).Where("acs_trans_id = ?", acsID).Count(&outbox)
				if outbox != 1 || len(events(t, app, acsID, db.EventChallengeResult)) != 1 {
					t.Errorf("the challenge ended %d times (outbox) / %d (events)", outbox, len(events(t, app, acsID, db.EventChallengeResult)))
				}
				av := str(rreq, "authenticationValue")
				if raw, err := base64.StdEncoding.DecodeString(av); err != nil || len(raw) != 20 {
					t.Errorf("authentication value %q is not 20 bytes of base64", av)
				}
				check := map[string]string{"acctNumber": tc.pan, "authenticationValue": av, "eci": "05", "purchaseAmount": "5000", "purchaseCurrency": "392"}
				if v := verifyAV(t, app, check); str(v, "result") != "passed" || str(v, "resultCode") != "2" {
					t.Errorf("verify: %v", v)
				}
				check["purchaseAmount"] = "5001"
				if v := verifyAV(t, app, check); str(v, "result") != "failed" {
					t.Errorf("verify with another amount: %v", v)
				}
				check["purchaseAmount"], check["acctNumber"] = "5000", demodata.SuzukiJCB
				if v := verifyAV(t, app, check); str(v, "result") != "failed" {
					t.Errorf("verify with another card: %v", v)
				}
				check["authenticationValue"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 20))
				if v := verifyAV(t, app, check); str(v, "result") != "unknown" {
					t.Errorf("verify of a value never issued: %v", v)
				}

				// The CReq replayed after the end: a clear page and an Erro posted back, no second CRes.
				again := openChallenge(t, ares, creqFor(ares, "05"), "shop-session-42")
				testkit.Contains(t, again.Text(), map[bool]string{true: "すでに終わっています", false: "already ended"}[tc.lang == "ja-JP"])
				if e := again.cres(t); str(e, "messageType") != "Erro" || str(e, "errorCode") != "305" {
					t.Errorf("second CReq: %v", e)
				}
				if len(ds.received(acsID)) != 1 {
					t.Errorf("more than one RReq")
				}
				tries := events(t, app, acsID, db.EventChallengeTry)
				if len(tries) < 1 || tries[0].Result != db.ResultOK {
					t.Errorf("try events: %+v", tries)
				}
				if strings.Contains(app.Logs.String(), tc.pan) || strings.Contains(app.Logs.String(), "fuji-san-2026") {
					t.Errorf("a PAN or password reached the logs")
				}
			})
		}
	})
}

// An acsTransID carries the millisecond of its row's created_at (a UUIDv7, whose month names the row's
// partition), and a transaction stored before acsTransIDs did (a version 4 id) still goes through its
// CReq, answer, CRes and RReq.
func TestACSChallengeOfATransactionFromBeforeV7IDs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)
		ares := postAReq(t, app.URL, areqFor(demodata.YamadaJCB))
		id := str(ares, "acsTransID")
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("acsTransID %q is not a UUIDv7", id)
		}
		var ch db.Challenge
		if err := app.DB.Where("acs_trans_id = ?", id).Take(&ch).Error; err != nil {
			t.Fatal(err)
		}
		if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UnixMilli() != ch.CreatedAt.UnixMilli() {
			t.Errorf("acsTransID %s carries %v, the row was made at %v", id, time.Unix(sec, nsec).UTC(), ch.CreatedAt.UTC())
		}

		old := uuid.NewString()
		if err := app.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", id).Update("acs_trans_id", old).Error; err != nil {
			t.Fatal(err)
		}
		ares["acsTransID"] = old
		p := openChallenge(t, ares, creqFor(ares, "05"), "shop-session-42")
		if p.field("token") == "" {
			t.Fatalf("no password page for a version 4 acsTransID: %s", p.Text())
		}
		checkCRes(t, answer(t, app.URL, p, "Yamada01", "fuji-san-2026", "submit"), ares, "Y")
		checkRReq(t, ds.waitRReqs(t, old, 1)[0], ares, "Y", "", "")
	})
}

// TestACSChallengeFailures: wrong answers, the tries limit, the shared lockout, cancel, padding variants,
// unknown and mismatched CReqs.
func TestACSChallengeFailures(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, nil)

		t.Run("creq with and without padding, standard and URL alphabets", func(t *testing.T) {
			for _, enc := range []string{"raw", "padded", "std"} {
				areq := areqFor(demodata.TanakaVisa)
				ares := postAReq(t, app.URL, areq)
				raw, _ := base64.RawURLEncoding.DecodeString(creqFor(ares, "01"))
				creq := map[string]string{"raw": base64.RawURLEncoding.EncodeToString(raw), "padded": base64.URLEncoding.EncodeToString(raw),
					"std": base64.StdEncoding.EncodeToString(raw)}[enc]
				p := openChallenge(t, ares, creq, "")
				if p.field("token") == "" || !strings.Contains(p.Body, "acs--w01") {
					t.Errorf("%s creq: %s", enc, p.Text())
				}
			}
		})

		t.Run("wrong password, wrong ID, then the limit: N 19", func(t *testing.T) {
			ares, p := challengeFor(t, app, areqFor(demodata.TanakaJCB))
			p1 := answer(t, app.URL, p, "tanaka04a", "wrong-password", "submit")
			p2 := answer(t, app.URL, p1, "someone-else", "tanaka-jcb-01", "submit")
			// The ID of the member's other card is refused with the same message.
			p3 := answer(t, app.URL, p2, "tanaka04b", "tanaka-visa-02", "submit")
			if p1.Text() == "" || !strings.Contains(p1.Text(), "IDまたはパスワードが正しくありません") || !strings.Contains(p1.Text(), "あと2回") {
				t.Errorf("first wrong answer: %s", p1.Text())
			}
			if !strings.Contains(p2.Text(), "IDまたはパスワードが正しくありません") || !strings.Contains(p2.Text(), "あと1回") {
				t.Errorf("second wrong answer: %s", p2.Text())
			}
			if p2.field("loginID") != "someone-else" || p2.field("password") != "" {
				t.Errorf("the form should keep the ID and never the password")
			}
			checkCRes(t, p3, ares, "N")
			r := ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0]
			checkRReq(t, r, ares, "N", "19", "")
			if str(r, "interactionCounter") != "03" {
				t.Errorf("interactionCounter %q", str(r, "interactionCounter"))
			}
			if n := len(events(t, app, str(ares, "acsTransID"), db.EventChallengeTry)); n != 3 {
				t.Errorf("%d try events, want 3", n)
			}
		})

		t.Run("five failures across challenges lock the ID: N 01 and a page saying how to unlock", func(t *testing.T) {
			// tanaka04a has one failure from the test above (the answers typed there with other IDs
			// counted against the card, not against tanaka04a); two more here make three, and two more
			// after them lock the ID.
			_, pre := challengeFor(t, app, areqFor(demodata.TanakaJCB))
			pre = answer(t, app.URL, pre, "tanaka04a", "wrong-a", "submit")
			pre = answer(t, app.URL, pre, "tanaka04a", "wrong-b", "submit")
			answer(t, app.URL, pre, "", "", "cancel")
			ares, p := challengeFor(t, app, areqFor(demodata.TanakaJCB))
			p1 := answer(t, app.URL, p, "tanaka04a", "wrong-1", "submit")
			testkit.Contains(t, p1.Text(), "あと2回")
			// The same form sent twice (a double click) counts once.
			dup := answer(t, app.URL, p, "tanaka04a", "wrong-1", "submit")
			testkit.Contains(t, dup.Text(), "あと2回")
			p2 := answer(t, app.URL, p1, "tanaka04a", "wrong-2", "submit")
			testkit.Contains(t, p2.Text(), "ロックされています", "054-000-0000")
			if strings.Contains(p2.Body, "data-autopost") {
				t.Errorf("the locked page must wait for the shopper to read it")
			}
			checkCRes(t, p2, ares, "N")
			checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "01", "")

			// A new purchase: the challenge page says the ID is locked, even with the right password unasked.
			ares2 := postAReq(t, app.URL, areqFor(demodata.TanakaJCB))
			lp := openChallenge(t, ares2, creqFor(ares2, "02"), "")
			testkit.Contains(t, lp.Text(), "ロックされています")
			if lp.field("token") != "" {
				t.Errorf("a locked ID still gets a password form")
			}
			checkCRes(t, lp, ares2, "N")
			checkRReq(t, ds.waitRReqs(t, str(ares2, "acsTransID"), 1)[0], ares2, "N", "01", "")
			var m db.Member
			app.DB.Where("login_id = ?", "tanaka04a").Take(&m)
			if m.LockedUntil == nil || !m.LockedUntil.After(time.Now()) {
				t.Errorf("member not locked: %+v", m.LockedUntil)
			}
		})

		t.Run("cancel: N with challengeCancel 01", func(t *testing.T) {
			areq := areqFor(demodata.YamadaVisa)
			areq["browserLanguage"] = "en"
			ares, p := challengeFor(t, app, areq)
			cp := answer(t, app.URL, p, "", "", "cancel")
			testkit.Contains(t, cp.Text(), "You cancelled")
			checkCRes(t, cp, ares, "N")
			r := ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0]
			checkRReq(t, r, ares, "N", "01", "01")
			if str(r, "interactionCounter") != "00" {
				t.Errorf("interactionCounter %q, want 00", str(r, "interactionCounter"))
			}
			ev := events(t, app, str(ares, "acsTransID"), db.EventChallengeResult)
			if len(ev) != 1 || ev[0].Result != db.ChallengeCancelled {
				t.Errorf("result events: %+v", ev)
			}
			// Submitting the old form after the end shows the same final page, nothing more is sent.
			late := answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
			checkCRes(t, late, ares, "N")
		})

		t.Run("a second CReq while the form is open shows it again; the old form stops working", func(t *testing.T) {
			ares, first := challengeFor(t, app, areqFor(demodata.YamadaVisa))
			second := openChallenge(t, ares, creqFor(ares, "05"), "shop-session-42")
			if second.field("token") == "" || second.field("token") == first.field("token") {
				t.Fatalf("reload: %s", second.Text())
			}
			stale := answer(t, app.URL, first, "yamada01", "fuji-san-2026", "submit")
			if stale.cres(t) != nil {
				t.Errorf("the replaced form still ends the challenge")
			}
			testkit.Contains(t, stale.Text(), "この画面は使えなくなりました")
			checkCRes(t, answer(t, app.URL, second, "yamada01", "fuji-san-2026", "submit"), ares, "Y")
		})

		t.Run("unknown and mismatched CReqs", func(t *testing.T) {
			ares := postAReq(t, app.URL, areqFor(demodata.YamadaJCB))
			fake := map[string]any{"threeDSServerTransID": str(ares, "threeDSServerTransID"), "acsTransID": "00000000-0000-4000-8000-000000000000",
				"messageVersion": "2.2.0", "acsURL": str(ares, "acsURL")}
			p := openChallenge(t, ares, creqFor(fake, "05"), "")
			if p.Status != http.StatusBadRequest || p.cres(t) != nil {
				t.Errorf("unknown acsTransID: HTTP %d, posts %v", p.Status, p.cres(t))
			}
			testkit.Contains(t, p.Text(), "見つかりませんでした")

			wrong := map[string]any{"threeDSServerTransID": "11111111-1111-4111-8111-111111111111", "acsTransID": str(ares, "acsTransID"), "messageVersion": "2.2.0"}
			p = openChallenge(t, ares, creqFor(wrong, "05"), "")
			if e := p.cres(t); str(e, "errorCode") != "301" || p.formAction() != "https://shop.example/3ds/notify" {
				t.Errorf("mismatched threeDSServerTransID: %v to %s", e, p.formAction())
			}
			for _, bad := range []string{"", "!!!", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq"}`))} {
				p = openChallenge(t, ares, bad, "")
				if p.Status != http.StatusBadRequest {
					t.Errorf("creq %q: HTTP %d", bad, p.Status)
				}
				testkit.Contains(t, p.Text(), "読み取れませんでした")
			}
			// A CReq for a transaction that needed none (ARes N).
			nares := postAReq(t, app.URL, areqFor(demodata.SuzukiJCB))
			p = openChallenge(t, map[string]any{"acsURL": app.URL + "/3ds/challenge"}, creqFor(nares, "05"), "")
			if e := p.cres(t); str(e, "errorCode") != "305" {
				t.Errorf("CReq after ARes N: %v", e)
			}
			// A forged token gets nothing.
			_, cp := challengeFor(t, app, areqFor(demodata.YamadaJCB))
			cp.Body = strings.Replace(cp.Body, `name="token" value="`, `name="token" value="x`, 1)
			fp := answer(t, app.URL, cp, "yamada01", "fuji-san-2026", "submit")
			if fp.cres(t) != nil {
				t.Errorf("a forged token ended the challenge")
			}
		})
	})
}

// TestACSChallengeExpiry: a CReq after HONNIN_CREQ_TIMEOUT gets a page and Erro 402, the sweeper ends a
// challenge nobody opened (05) and one nobody answered (04) once each, with an RReq.
func TestACSChallengeExpiry(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, map[string]string{"HONNIN_CREQ_TIMEOUT": "1s", "HONNIN_CHALLENGE_TIMEOUT": "2s"})

		late := postAReq(t, app.URL, areqFor(demodata.YamadaJCB))
		never := postAReq(t, app.URL, areqFor(demodata.YamadaVisa))
		_, open := challengeFor(t, app, areqFor(demodata.YamadaJCB))
		openID := open.field("acsTransID")

		// Nobody opened "never": the sweeper ends it with challengeCancel 05.
		r := ds.waitRReqs(t, str(never, "acsTransID"), 1)[0]
		checkRReq(t, r, never, "N", "14", "05")

		// "late" was swept too; its CReq now gets a clear page and Erro 402 posted back.
		ds.waitRReqs(t, str(late, "acsTransID"), 1)
		p := openChallenge(t, late, creqFor(late, "05"), "sd")
		testkit.Contains(t, p.Text(), "有効時間が過ぎました")
		if e := p.cres(t); str(e, "errorCode") != "402" || p.field("threeDSSessionData") != "sd" {
			t.Errorf("late CReq: %v", e)
		}

		// The open form nobody answered: challengeCancel 04; the shopper's late answer gets the N CRes.
		r = ds.waitRReqs(t, openID, 1)[0]
		if str(r, "transStatus") != "N" || str(r, "transStatusReason") != "14" || str(r, "challengeCancel") != "04" {
			t.Errorf("unanswered challenge: %v", r)
		}
		fp := answer(t, app.URL, open, "yamada01", "fuji-san-2026", "submit")
		if c := fp.cres(t); str(c, "transStatus") != "N" {
			t.Errorf("answer after expiry: %v", c)
		}
		for _, id := range []string{str(late, "acsTransID"), str(never, "acsTransID"), openID} {
			ev := events(t, app, id, db.EventChallengeResult)
			if len(ev) != 1 || ev[0].Result != db.ChallengeExpired {
				t.Errorf("%s: result events %+v", id, ev)
			}
		}
	})
}
