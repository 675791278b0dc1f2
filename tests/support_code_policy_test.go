package tests

import (
	"net/url"
	"testing"

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
