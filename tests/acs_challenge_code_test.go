package tests

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/risk"
	"honnin/db"
	"honnin/tests/testkit"
)

// startCodeACS starts Honnin with a mail server and a Directory Server of the test, under the code
// policy.
func startCodeACS(t *testing.T, b testkit.Backend, policy credentials.CodePolicy, env ...string) (*testkit.App, *testkit.MailServer, *fakeDS) {
	t.Helper()
	ds := newFakeDS(t)
	app, ms := startWithMailServer(t, b, append([]string{"HONNIN_DS_RESULTS_URL", ds.URL}, env...)...)
	setCodePolicy(t, app, policy)
	return app, ms, ds
}

// setCodePolicy stores the issuer's code policy, as the console's admin page does.
func setCodePolicy(t *testing.T, app *testkit.App, policy credentials.CodePolicy) {
	t.Helper()
	if _, err := credentials.StoreCodePolicy(app.DB, policy); err != nil {
		t.Fatal(err)
	}
}

// challengeCode waits for the challenge code mail to address that follows the skip mails the server
// already got, checks what it says and returns its code.
func challengeCode(t *testing.T, ms *testkit.MailServer, skip int, address string) string {
	t.Helper()
	m := mailTo(t, ms, skip, address, ja("mail.challenge_code.subject"))
	testkit.Contains(t, m.Body, "Fuji Tea Shopでのお買い物（5,000円）", "有効期限は5分")
	noSecrets(t, m, "0019")
	code := mailCodeRE.FindStringSubmatch(m.Body)
	if code == nil {
		t.Fatalf("a code mail without a code:\n%s", m.Body)
	}
	return code[1]
}

// answerCode submits the code form of a challenge page (action submit, resend or cancel).
func answerCode(t *testing.T, base string, p page, code, action string) page {
	t.Helper()
	if p.field("token") == "" {
		t.Fatalf("no code form on the page: %s", p.Text())
	}
	return postForm(t, base+"/3ds/challenge/submit", url.Values{
		"acsTransID": {p.field("acsTransID")}, "token": {p.field("token")}, "code": {code}, "action": {action},
	})
}

// onCodePage asserts the code form: the personal message first, the brand, the masked address.
func onCodePage(t *testing.T, p page) {
	t.Helper()
	text := p.Text()
	testkit.Contains(t, text, "J/Secure", "富士山と緑茶", ja("acs.code.sent_to", "y***@e***.jp", 5), ja("acs.code.label"))
	if strings.Index(text, "富士山と緑茶") > strings.Index(text, ja("acs.code.label")) {
		t.Errorf("the personal message does not come before the code field")
	}
	if strings.Contains(p.Body, "yamada@example.jp") || strings.Contains(p.Body, `name="password"`) {
		t.Errorf("the code page shows the address unmasked or asks for the password")
	}
}

// differentCode is a six-digit code other than code.
func differentCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestACSChallengeCodePolicies: the code policies at checkout over HTTP, with the codes read from the
// mail server: password+code (the ID and password, then the code), code (the ID, then the code), and
// the ARes and RReq codes of each.
func TestACSChallengeCodePolicies(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms, ds := startCodeACS(t, b, credentials.PolicyPasswordCode)

		t.Run("password+code", func(t *testing.T) {
			skip := len(ms.Received())
			ares, p := challengeFor(t, app, mandatedAReq(demodata.YamadaJCB))
			if str(ares, "authenticationType") != "02" {
				t.Errorf("ARes authenticationType %q, want 02 (dynamic)", str(ares, "authenticationType"))
			}
			codePage := answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
			onCodePage(t, codePage)
			code := challengeCode(t, ms, skip, "yamada@example.jp")
			wrong := answerCode(t, app.URL, codePage, differentCode(code), "submit")
			testkit.Contains(t, wrong.Text(), ja("acs.code.wrong"), "あと2回")
			checkCRes(t, answerCode(t, app.URL, wrong, code, "submit"), ares, "Y")
			checkRReqBy(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "", "02", "05")
			// The code went in the mail only: never in the logs.
			if strings.Contains(app.Logs.String(), code) {
				t.Errorf("the code reached the logs")
			}
		})

		t.Run("code", func(t *testing.T) {
			setCodePolicy(t, app, credentials.PolicyCode)
			t.Cleanup(func() { setCodePolicy(t, app, credentials.PolicyPasswordCode) })
			skip := len(ms.Received())
			areq := areq210(demodata.YamadaVisa)
			areq["threeDSRequestorChallengeInd"] = "04"
			ares, p := challengeFor(t, app, areq)
			if str(ares, "authenticationType") != "02" || strings.Contains(p.Body, `name="password"`) {
				t.Fatalf("ARes authenticationType %q; the first page must ask for the ID alone: %s", str(ares, "authenticationType"), p.Text())
			}
			testkit.Contains(t, p.Text(), ja("acs.code.after_id"))
			other := answer(t, app.URL, p, "someone-else", "", "submit")
			testkit.Contains(t, other.Text(), ja("acs.error.wrong_id"))
			codePage := answer(t, app.URL, other, "yamada01", "", "submit")
			testkit.Contains(t, codePage.Text(), "Visa Secure", "富士山と緑茶", "y***@e***.jp")
			code := challengeCode(t, ms, skip, "yamada@example.jp")
			checkCRes(t, answerCode(t, app.URL, codePage, code, "submit"), ares, "Y")
			// 2.1.0 has no authenticationMethod; the type says dynamic.
			checkRReqBy(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "", "02", "05")
		})
	})
}

// TestACSChallengeCodeStepUp: under password+code with the rules' codeFrom, a purchase scored below
// it is decided by the password alone (01); one at or above it asks for the code (02).
func TestACSChallengeCodeStepUp(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		// The purchase below codeFrom is opened last: its CReq may come late.
		app, ms, ds := startCodeACS(t, b, credentials.PolicyPasswordCode, "HONNIN_CREQ_TIMEOUT", "5m")
		rules := risk.DefaultRules()
		rules.CodeFrom = 100
		// The AReqs that wait for the rules must not raise the card's score by their number.
		rules.VelocityHour, rules.VelocityDay, rules.FrequencyLimitDay = 1<<20, 1<<20, 0
		body, _ := json.Marshal(rules)
		if err := app.DB.Create(&db.RiskRuleSet{Rules: string(body), Reason: "step-up test"}).Error; err != nil {
			t.Fatal(err)
		}
		// Scored 80 (a new device and shop, no 3DS Method data): below codeFrom once the rules are in force.
		var low map[string]any
		eventually(t, "the rules with codeFrom in force", func() bool {
			low = postAReq(t, app.URL, mandatedAReq(demodata.YamadaJCB))
			return str(low, "authenticationType") == "01"
		})
		// A foreign shop and differing addresses add 35: 115, at or above codeFrom and below denyFrom.
		skip := len(ms.Received())
		high := mandatedAReq(demodata.YamadaJCB)
		high["merchantCountryCode"], high["addrMatch"] = "840", "N"
		ares, p := challengeFor(t, app, high)
		if str(ares, "authenticationType") != "02" {
			var row db.Challenge
			app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&row)
			t.Fatalf("ARes authenticationType %q at score %d, want 02", str(ares, "authenticationType"), *row.RiskScore)
		}
		codePage := answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
		onCodePage(t, codePage)
		checkCRes(t, answerCode(t, app.URL, codePage, challengeCode(t, ms, skip, "yamada@example.jp"), "submit"), ares, "Y")
		checkRReqBy(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "Y", "", "", "02", "05")

		// The purchase scored below codeFrom: the password alone.
		p = openChallenge(t, low, creqFor(low, "05"), "sd")
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), low, "Y")
		checkRReq(t, ds.waitRReqs(t, str(low, "acsTransID"), 1)[0], low, "Y", "", "")
		var codeMails int64
		app.DB.Model(&db.MailNotice{}).Where("kind = ?", "challenge_code").Count(&codeMails)
		if codeMails != 1 {
			t.Errorf("%d code mails, want the one of the purchase above codeFrom", codeMails)
		}
	})
}

// TestACSChallengeCodeConcurrentWrongCodes: wrong codes sent in parallel bursts take no more than the
// code's three tries, count three failures in the lockout, and end the challenge once (N 19).
func TestACSChallengeCodeConcurrentWrongCodes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms, ds := startCodeACS(t, b, credentials.PolicyPasswordCode)
		skip := len(ms.Received())
		ares, p := challengeFor(t, app, mandatedAReq(demodata.YamadaJCB))
		live := answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
		wrong := differentCode(challengeCode(t, ms, skip, "yamada@example.jp"))
		for round := 0; round < 6 && live.field("token") != ""; round++ {
			pages := make([]page, 5)
			var wg sync.WaitGroup
			for i := range pages {
				wg.Add(1)
				go func() { defer wg.Done(); pages[i] = answerCode(t, app.URL, live, wrong, "submit") }()
			}
			wg.Wait()
			live = pages[0]
			for _, pg := range pages {
				if pg.cres(t) != nil {
					live = pg
				}
			}
		}
		checkCRes(t, live, ares, "N")
		checkRReqBy(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "19", "", "02", "05")
		var row db.Challenge
		var m db.Member
		app.DB.Where("acs_trans_id = ?", str(ares, "acsTransID")).Take(&row)
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		if row.CodeTries != 3 || m.FailedAttempts != 3 {
			t.Errorf("parallel wrong codes took %d tries and counted %d failures, want 3 and 3", row.CodeTries, m.FailedAttempts)
		}
		if n := len(events(t, app, str(ares, "acsTransID"), db.EventChallengeResult)); n != 1 {
			t.Errorf("the challenge ended %d times", n)
		}
	})
}

// TestFaultsMailDownDuringCodeChallenge: with the mail server down the code waits in the outbox and
// the challenge does not fall back to the password: it ends at its time limit (N 14, challengeCancel
// 04). The code, delivered once the server is back, opens nothing.
func TestFaultsMailDownDuringCodeChallenge(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms, ds := startCodeACS(t, b, credentials.PolicyPasswordCode, "HONNIN_CHALLENGE_TIMEOUT", "8s")
		ms.Stop()
		skip := len(ms.Received())
		ares, p := challengeFor(t, app, mandatedAReq(demodata.YamadaJCB))
		codePage := answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit")
		onCodePage(t, codePage)
		var waiting int64
		app.DB.Model(&db.MailNotice{}).Where("kind = ? AND state = ?", "challenge_code", db.NoticePending).Count(&waiting)
		if waiting != 1 {
			t.Fatalf("%d code mails waiting in the outbox, want 1", waiting)
		}
		checkRReqBy(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "14", "04", "02", "05")

		ms.Start()
		code := challengeCode(t, ms, skip, "yamada@example.jp")
		late := answerCode(t, app.URL, codePage, code, "submit")
		checkCRes(t, late, ares, "N")
		if len(ds.received(str(ares, "acsTransID"))) != 1 {
			t.Errorf("more than one RReq")
		}
	})
}
