package tests

import (
	"net/url"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/tests/testkit"
)

// Only an admin chooses the verification method; the change is audited, and a method with codes
// needs a mail server outside demo mode.
func TestSupportCodePolicy(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		agent := signInStaff(t, app, "agent01")
		agent.Get("/code-policy")
		if agent.Status != 403 {
			t.Errorf("an agent opened the policy page: %d", agent.Status)
		}
		admin := signInStaff(t, app, "admin01")
		admin.Get("/code-policy")
		sees(t, admin, en("support.policy.title"), en("support.policy.password"))
		testkit.Contains(t, admin.Last, `data-policy="password"`)
		admin.Submit("/code-policy", url.Values{"policy": {"password+code"}, "reason": {""}})
		sees(t, admin, en("support.reason.required"))
		admin.Submit("/code-policy", url.Values{"policy": {"password+code"}, "reason": {"one-time codes from today"}})
		sees(t, admin, en("support.policy.saved"))
		testkit.Contains(t, admin.Last, `data-policy="password+code"`)
		if rows := auditRows(t, app, "set_code_policy"); len(rows) != 1 || rows[0].Detail != "password → password+code" {
			t.Errorf("audit: %+v", rows)
		}
		admin.Get("/audit")
		sees(t, admin, en("support.audit.action.set_code_policy"), en("support.detail.policy_change", en("support.policy.password"), en("support.policy.password+code")))
	})
}

// TestSupportCodePolicyEveryNode: the method an admin saves is in force at once on the node whose
// console saved it, and on another node of the same database within its reload interval: both answer
// AReqs from the policy they keep in memory.
func TestSupportCodePolicyEveryNode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		other := app.Join(t, map[string]string{"HONNIN_RISK_RULES_RELOAD": "200ms"})
		authType := func(node *testkit.App) string {
			return str(postAReq(t, node.URL, mandatedAReq(demodata.YamadaJCB)), "authenticationType")
		}
		for _, node := range []*testkit.App{app, other} {
			if got := authType(node); got != "01" {
				t.Fatalf("before the change: authenticationType %q, want 01 (the password)", got)
			}
		}
		admin := signInStaff(t, app, "admin01")
		admin.Submit("/code-policy", url.Values{"policy": {"password+code"}, "reason": {"one-time codes from today"}})
		sees(t, admin, en("support.policy.saved"))
		if got := authType(app); got != "02" {
			t.Errorf("the saving node right after the change: authenticationType %q, want 02 (a code)", got)
		}
		for deadline := time.Now().Add(10 * time.Second); authType(other) != "02"; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the other node still asks for the password alone")
			}
		}
	})
}
