package tests

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"honnin/app/risk"
	"honnin/db"
	"honnin/tests/testkit"
)

var inputOnPage = regexp.MustCompile(`<input[^>]*?name="([^"]*)"[^>]*?value="([^"]*)"`)

// formFields is every named input of the form with the given id on page, as a browser would post it
// (without the submit button's own name and value).
func formFields(t *testing.T, page, formID string) url.Values {
	t.Helper()
	start := strings.Index(page, `id="`+formID+`"`)
	if start < 0 {
		t.Fatalf("no form %s on the page:\n%s", formID, testkit.Excerpt(testkit.VisibleText(page)))
	}
	end := strings.Index(page[start:], "</form>")
	values := url.Values{}
	for _, m := range inputOnPage.FindAllStringSubmatch(page[start:start+end], -1) {
		values.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return values
}

// storeDecision records an AReq decided by risk at the given time, with its facts, as the ACS stores it.
func storeDecision(t *testing.T, app *testkit.App, f risk.Facts, at time.Time) {
	t.Helper()
	body, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	ch := db.Challenge{ACSTransID: id, ThreeDSServerTransID: uuid.NewString(), DSTransID: uuid.NewString(), MessageVersion: f.MessageVersion,
		MessageCategory: f.MessageCategory, State: db.ChallengeAnswered, TransStatus: string(risk.Decide(f, risk.DefaultRules()).Status),
		Deadline: at, RiskFacts: string(body)}
	if err := app.DB.Create(&ch).Error; err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Model(&ch).UpdateColumn("created_at", at.UTC()).Error; err != nil {
		t.Fatal(err)
	}
}

// lowRisk is a small purchase from a known device at a known shop.
var lowRisk = risk.Facts{MessageVersion: "2.2.0", MessageCategory: "01", AmountMinor: 3000, Currency: risk.CurrencyJPY, Exponent: 0,
	MerchantCountry: risk.CountryJapan, MethodData: true, DeviceKnown: true, MerchantKnown: true, AReqsHour: 1, AReqsDay: 1}

// TestSupportRiskRules: agents cannot see the rules, supervisors see them read-only, an admin tries a
// draft on the last seven days' stored decisions, sees the counts, saves it with a reason (audited),
// and another node runs the new rules within seconds without a restart.
func TestSupportRiskRules(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		other := app.Join(t, map[string]string{"HONNIN_RISK_RULES_RELOAD": "200ms"})
		now := time.Now()
		storeDecision(t, app, lowRisk, now.Add(-time.Hour))
		large := lowRisk
		large.AmountMinor = 50000
		storeDecision(t, app, large, now.Add(-3*24*time.Hour))
		newDevice := lowRisk
		newDevice.DeviceKnown = false
		storeDecision(t, app, newDevice, now.Add(-6*24*time.Hour))
		storeDecision(t, app, large, now.Add(-8*24*time.Hour)) // older than the what-if's window

		agent := signInStaff(t, app, "agent01")
		if strings.Contains(agent.Last, `href="/risk"`) {
			t.Error("the agent's menu links to the risk rules")
		}
		agent.Get("/risk")
		if agent.Status != http.StatusForbidden {
			t.Fatalf("agent GET /risk: %d", agent.Status)
		}
		if len(auditRows(t, app, "denied:view_risk_rules")) != 1 {
			t.Error("the agent's refused look at the rules is not audited")
		}

		super := signInStaff(t, app, "super01")
		super.Get("/risk")
		if super.Status != http.StatusOK {
			t.Fatalf("supervisor GET /risk: %d", super.Status)
		}
		testkit.Contains(t, super.Text(), "Risk rules", "In force on this server: the built-in defaults", "Only administrators change the rules.",
			"New device", "Challenge from score")
		if strings.Contains(super.Last, `id="rules-try"`) || !strings.Contains(super.Last, `id="challengeFrom" name="challengeFrom" value="40" inputmode="numeric" readonly`) {
			t.Error("the supervisor's page is not read-only")
		}
		fields := formFields(t, super.Last, "rules-form")
		fields.Set("challengeFrom", "10")
		fields.Set("step", "save")
		super.Submit("/risk", fields)
		if super.Status != http.StatusForbidden || len(auditRows(t, app, "denied:change_risk_rules")) != 1 {
			t.Fatalf("supervisor's save: %d, or not audited", super.Status)
		}

		admin := signInStaff(t, app, "admin01")
		admin.Get("/risk")
		if !strings.Contains(admin.Last, `href="/risk"`) {
			t.Error("the admin's menu has no link to the risk rules")
		}
		fields = formFields(t, admin.Last, "rules-form")
		if strings.Contains(admin.Last, `id="rules-save"`) {
			t.Fatal("the save button is offered before any try")
		}
		// Bad input: a field message, nothing saved.
		fields.Set("denyFrom", "30")
		fields.Set("step", "try")
		admin.Submit("/risk", fields)
		if admin.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad draft: %d", admin.Status)
		}
		testkit.Contains(t, admin.Text(), "Please check the highlighted fields.", "Must be above the challenge score.")

		// A draft that challenges only from 50 points: the large purchase and the new device pass.
		fields.Set("denyFrom", "120")
		fields.Set("challengeFrom", "50")
		admin.Submit("/risk", fields)
		if admin.Status != http.StatusOK {
			t.Fatalf("try: %d\n%s", admin.Status, testkit.Excerpt(admin.Text()))
		}
		testkit.Contains(t, admin.Text(), "Result of the try (last 7 days)", "The 3 purchases since",
			"Approved without a check (Y) 1 3 +2", "Check screen (C) 2 0 -2", "Refused (N) 0 0 ±0",
			"Purchases whose decision changes: 2", "challengeFrom 40→50")
		if !strings.Contains(admin.Last, `id="rules-save"`) {
			t.Fatal("no save button after the try")
		}

		// Changing the draft after its try: saving tries again instead.
		fields = formFields(t, admin.Last, "rules-form")
		fields.Set("challengeFrom", "45")
		fields.Set("step", "save")
		fields.Set("reason", "fewer challenges")
		admin.Submit("/risk", fields)
		testkit.Contains(t, admin.Text(), "The draft changed after its try", "challengeFrom 40→45")
		if n := countRuleSets(t, app); n != 0 {
			t.Fatalf("%d rule sets saved from an untried draft", n)
		}

		// Saving without a reason is refused; with one it is saved and audited.
		fields = formFields(t, admin.Last, "rules-form")
		fields.Set("step", "save")
		fields.Set("reason", "")
		admin.Submit("/risk", fields)
		if admin.Status != http.StatusUnprocessableEntity || countRuleSets(t, app) != 0 {
			t.Fatalf("save without a reason: %d", admin.Status)
		}
		fields.Set("reason", "Too many challenges for known devices")
		admin.Submit("/risk", fields)
		if admin.Status != http.StatusOK || !strings.HasSuffix(admin.LastURL, "/risk") {
			t.Fatalf("save: %d at %s", admin.Status, admin.LastURL)
		}
		testkit.Contains(t, admin.Text(), "The rules are saved.", "In force on this server: version 1", "admin01",
			"Too many challenges for known devices", "challengeFrom 40→45")
		evs := auditRows(t, app, "change_risk_rules")
		if len(evs) != 1 || evs[0].Reason != "Too many challenges for known devices" || evs[0].Detail != "challengeFrom 40→45" || evs[0].StaffLogin != "admin01" {
			t.Fatalf("audit %+v", evs)
		}

		// The other node runs version 1 within seconds, without a restart.
		otherSuper := signInStaff(t, other, "super01")
		deadline := time.Now().Add(10 * time.Second)
		for {
			otherSuper.Get("/risk")
			if strings.Contains(otherSuper.Text(), "In force on this server: version 1") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other node still runs: %s", testkit.Excerpt(otherSuper.Text()))
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := other.Server.RiskRules().Current().ChallengeFrom; got != 45 {
			t.Fatalf("the other node decides with challengeFrom %d", got)
		}
		resp, err := http.Get(other.Internal + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if metrics := testkit.ReadAll(t, resp.Body); !strings.Contains(metrics, "honnin_risk_rules_version 1\n") {
			t.Error("the other node's metrics do not show rules version 1")
		}

		// An edit started before that save (from the defaults) would undo it: refused, the newest shown.
		fields.Set("base", "0")
		fields.Set("challengeFrom", "70")
		fields.Set("step", "try")
		admin.Submit("/risk", fields)
		if admin.Status != http.StatusConflict {
			t.Fatalf("stale edit: %d", admin.Status)
		}
		testkit.Contains(t, admin.Text(), "Another administrator saved the rules meanwhile.")
		if !strings.Contains(admin.Last, `id="challengeFrom" name="challengeFrom" value="45"`) {
			t.Error("the refused edit does not show the newest rules")
		}
	})
}

func countRuleSets(t *testing.T, app *testkit.App) int64 {
	t.Helper()
	var n int64
	if err := app.DB.Model(&db.RiskRuleSet{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSupportRiskRulesBrowser: in Chromium, an admin opens the rules from the menu, tries a draft, reads
// the counts, and saves it with a reason.
func TestSupportRiskRulesBrowser(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		large := lowRisk
		large.AmountMinor = 45000
		storeDecision(t, app, lowRisk, time.Now().Add(-time.Hour))
		storeDecision(t, app, large, time.Now().Add(-2*time.Hour))
		ctx := testkit.Browser(t)
		browserSignIn(t, ctx, app, "admin01")
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`nav a[href="/risk"]`)),
			chromedp.WaitVisible(chromedp.ID("rules-form")),
			chromedp.SetValue(chromedp.ID("threshold-0"), "50000"), // 392, the first currency row
			chromedp.Click(chromedp.ID("rules-try")),
			chromedp.WaitVisible(chromedp.ID("what-if")),
		); err != nil {
			t.Fatal(err)
		}
		if got := browserText(t, ctx, "#what-if-Y"); !strings.Contains(got, "1") || !strings.Contains(got, "2") || !strings.Contains(got, "+1") {
			t.Errorf("the frictionless row reads %q, want 1 in force, 2 under the draft, +1", got)
		}
		testkit.Screenshot(t, ctx, "support-risk-rules-what-if")
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("reason"), "Tea sets above 30,000 yen are normal"),
			chromedp.Click(chromedp.ID("rules-save")),
			chromedp.WaitVisible(chromedp.CSS(`p.notice--ok`)),
		); err != nil {
			t.Fatal(err)
		}
		if got := browserText(t, ctx, "#in-force"); !strings.Contains(got, "version 1") {
			t.Errorf("after saving the page says %q", got)
		}
		if got := browserText(t, ctx, "#rules-history"); !strings.Contains(got, "amountThreshold.392 30000→50000") || !strings.Contains(got, "Tea sets above") {
			t.Errorf("the history reads %q", got)
		}
		if app.Server.RiskRules().Current().AmountThreshold["392"] != 50000 {
			t.Error("the saved threshold is not in force")
		}
	})
}
