package support

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"testing"

	"honnin/app/risk"
	"honnin/db"
	viewsupport "honnin/views/support"
)

// formOf posts the form RulesForm shows for r, with edits applied.
func formOf(r risk.Rules, edits map[string]string) func(string) string {
	f := RulesForm(r)
	values := maps.Clone(f.Values)
	values["currencies"] = strconv.Itoa(len(f.Currencies))
	for i, c := range f.Currencies {
		n := strconv.Itoa(i)
		values["currency."+n], values["threshold."+n], values["small."+n] = c.Currency, c.Threshold, c.Small
	}
	maps.Copy(values, edits)
	return func(k string) string { return values[k] }
}

func TestRulesFormRoundTrip(t *testing.T) {
	got, _, problems := ReadRulesForm(formOf(risk.DefaultRules(), nil))
	if problems.Any() {
		t.Fatalf("the defaults' own form has problems: %v", problems)
	}
	if d := risk.Diff(risk.DefaultRules(), got); len(d) != 0 {
		t.Fatalf("the form changed the rules: %v", d)
	}
	if DraftDigest(got) != DraftDigest(risk.DefaultRules()) {
		t.Fatal("equal rules have different digests")
	}
}

func TestReadRulesForm(t *testing.T) {
	currencyRow := func(i int) string { return strconv.Itoa(len(risk.DefaultRules().AmountThreshold) + i) }
	tests := []struct {
		name    string
		edits   map[string]string
		problem string // field with a problem, "" for none
		key     string
		check   func(t *testing.T, r risk.Rules)
	}{
		{"full-width digits and separators", map[string]string{"challengeFrom": "５０", "defaultAmountThreshold": "25,000", "weight.trusted_merchant": "−40"}, "", "",
			func(t *testing.T, r risk.Rules) {
				if r.ChallengeFrom != 50 || r.DefaultAmountThreshold != 25000 || r.Weights[risk.SignalTrustedMerchant] != -40 {
					t.Errorf("read %d %d %d", r.ChallengeFrom, r.DefaultAmountThreshold, r.Weights[risk.SignalTrustedMerchant])
				}
			}},
		{"new currency", map[string]string{"currency." + currencyRow(0): "156", "threshold." + currencyRow(0): "100000", "small." + currencyRow(0): "1000"}, "", "",
			func(t *testing.T, r risk.Rules) {
				if r.AmountThreshold["156"] != 100000 || r.SmallAmount["156"] != 1000 {
					t.Errorf("currency 156: %d %d", r.AmountThreshold["156"], r.SmallAmount["156"])
				}
			}},
		{"emptied currency row removes it", map[string]string{"currency.1": "", "threshold.1": "", "small.1": ""}, "", "",
			func(t *testing.T, r risk.Rules) {
				if _, ok := r.AmountThreshold["840"]; ok || len(r.AmountThreshold) != 2 {
					t.Errorf("thresholds %v, want 840 removed", r.AmountThreshold)
				}
			}},
		{"not a number", map[string]string{"velocityHour": "five"}, "velocityHour", "support.risk.problem.integer", nil},
		{"empty", map[string]string{"denyFrom": ""}, "denyFrom", "support.risk.problem.integer", nil},
		{"below range", map[string]string{"challengeFrom": "0"}, "challengeFrom", "support.risk.problem.range", nil},
		{"weight above range", map[string]string{"weight.new_device": "1001"}, "weight.new_device", "support.risk.problem.range", nil},
		{"deny not above challenge", map[string]string{"denyFrom": "40"}, "denyFrom", "support.risk.problem.deny_above", nil},
		{"currency not 3 digits", map[string]string{"currency.0": "JPY"}, "currency.0", "support.risk.problem.currency", nil},
		{"currency twice", map[string]string{"currency.1": "392"}, "currency.1", "support.risk.problem.currency_twice", nil},
		{"amounts without currency", map[string]string{"threshold." + currencyRow(0): "5"}, "currency." + currencyRow(0), "support.risk.problem.currency_needed", nil},
		{"currency without threshold", map[string]string{"currency." + currencyRow(0): "156"}, "threshold." + currencyRow(0), "support.risk.problem.amount_missing", nil},
		{"negative amount", map[string]string{"threshold.0": "-1"}, "threshold.0", "support.risk.problem.range", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, form, problems := ReadRulesForm(formOf(risk.DefaultRules(), tt.edits))
			if tt.problem == "" {
				if problems.Any() {
					t.Fatalf("problems %v", problems)
				}
				if err := r.Validate(); err != nil {
					t.Fatal(err)
				}
				tt.check(t, r)
				return
			}
			if problems[tt.problem] != tt.key || len(problems) != 1 {
				t.Fatalf("problems %v, want %s: %s only", problems, tt.problem, tt.key)
			}
			for field, typed := range tt.edits {
				if strings.HasPrefix(field, "currency.") || strings.HasPrefix(field, "threshold.") || strings.HasPrefix(field, "small.") {
					continue
				}
				if form.Values[field] != typed {
					t.Errorf("the form shows %s as %q, typed %q", field, form.Values[field], typed)
				}
			}
		})
	}
}

// A crafted form cannot post more currency rows than the page ever shows.
func TestReadRulesFormBoundsCurrencyRows(t *testing.T) {
	_, form, _ := ReadRulesForm(formOf(risk.DefaultRules(), map[string]string{"currencies": "100000"}))
	if len(form.Currencies) > maxCurrencyRows+1 {
		t.Fatalf("%d currency rows read", len(form.Currencies))
	}
}

func TestSaveRiskRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store, err := risk.NewStore(ctx, f.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	admin := f.staff(t, "admin01")
	draft := risk.DefaultRules()
	draft.ChallengeFrom = 60
	draft.Weights[risk.SignalForeignMerchant] = 35

	as := func(st db.Staff) Actor { return Actor{StaffID: st.ID, Login: st.Login, Role: st.Role, IP: "192.0.2.1"} }
	for _, role := range []string{"agent01", "super01"} {
		if _, err := SaveRiskRules(ctx, store, as(f.staff(t, role)), draft, 0, "try"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s saved rules: %v", role, err)
		}
	}
	if _, err := SaveRiskRules(ctx, store, as(admin), draft, 0, "  "); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("saved without a reason: %v", err)
	}
	if _, err := SaveRiskRules(ctx, store, as(admin), risk.DefaultRules(), 0, "nothing"); !errors.Is(err, ErrNoRuleChanges) {
		t.Fatalf("saved an unchanged draft: %v", err)
	}
	saved, err := SaveRiskRules(ctx, store, as(admin), draft, 0, "more foreign fraud 4111 1111 1111 1111")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(saved.Reason, "4111") {
		t.Fatalf("the rule set keeps a card number in its reason: %q", saved.Reason)
	}
	if store.InForce().Version != saved.ID || store.Current().ChallengeFrom != 60 {
		t.Fatalf("in force %+v after saving version %d", store.InForce(), saved.ID)
	}
	var ev db.AuditEvent
	if err := f.DB.Where("action = ?", ActionChangeRiskRules).Take(&ev).Error; err != nil {
		t.Fatal(err)
	}
	if ev.StaffLogin != "admin01" || !strings.Contains(ev.Reason, "more foreign fraud") || strings.Contains(ev.Reason, "4111") ||
		ev.Detail != "challengeFrom 40→60; weights.foreign_merchant 20→35" || ev.Target != "risk rules v"+strconv.Itoa(int(saved.ID)) {
		t.Fatalf("audit event %+v", ev)
	}
	// An edit from the defaults, made before that save, is refused.
	if _, err := SaveRiskRules(ctx, store, as(admin), risk.DefaultRules(), 0, "undo"); !errors.Is(err, risk.ErrRulesChanged) {
		t.Fatalf("stale edit: %v", err)
	}

	rows, err := RuleHistory(ctx, f.DB)
	if err != nil {
		t.Fatal(err)
	}
	want := viewsupport.RuleSetRow{Version: saved.ID, Staff: "admin01", Reason: saved.Reason,
		Changes: []string{"challengeFrom 40→60", "weights.foreign_merchant 20→35"}}
	if len(rows) != 1 || rows[0].Version != want.Version || rows[0].Staff != want.Staff || strings.Join(rows[0].Changes, "|") != strings.Join(want.Changes, "|") {
		t.Fatalf("history %+v, want %+v", rows, want)
	}
}
