package support

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/i18n"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// Audit actions of the risk rules page.
const (
	ActionViewRiskRules   = "view_risk_rules"
	ActionChangeRiskRules = "change_risk_rules"
)

// riskHistoryLimit is how many saved rule sets the page lists.
const riskHistoryLimit = 20

// maxCurrencyRows bounds the currency rows a form may post.
const maxCurrencyRows = 20

// wholeField is one whole-number setting of the rules form: its form name (the rules' JSON name), its
// allowed range and where it goes.
type wholeField struct {
	Name     string
	Min, Max int64
	set      func(r *risk.Rules, v int64)
	get      func(r risk.Rules) int64
}

// bandFields, amountField and countFields are the form's settings in the order the page shows them.
var (
	bandFields = []wholeField{
		{"challengeFrom", 1, 10_000, func(r *risk.Rules, v int64) { r.ChallengeFrom = int(v) }, func(r risk.Rules) int64 { return int64(r.ChallengeFrom) }},
		{"denyFrom", 2, 10_000, func(r *risk.Rules, v int64) { r.DenyFrom = int(v) }, func(r risk.Rules) int64 { return int64(r.DenyFrom) }},
		{"codeFrom", 0, 10_000, func(r *risk.Rules, v int64) { r.CodeFrom = int(v) }, func(r risk.Rules) int64 { return int64(r.CodeFrom) }},
	}
	amountField = wholeField{"defaultAmountThreshold", 0, maxAmount,
		func(r *risk.Rules, v int64) { r.DefaultAmountThreshold = v }, func(r risk.Rules) int64 { return r.DefaultAmountThreshold }}
	countFields = []wholeField{
		{"velocityHour", 1, 100_000, func(r *risk.Rules, v int64) { r.VelocityHour = int(v) }, func(r risk.Rules) int64 { return int64(r.VelocityHour) }},
		{"velocityDay", 1, 100_000, func(r *risk.Rules, v int64) { r.VelocityDay = int(v) }, func(r risk.Rules) int64 { return int64(r.VelocityDay) }},
		{"frequencyLimitDay", 0, 1_000_000, func(r *risk.Rules, v int64) { r.FrequencyLimitDay = int(v) }, func(r risk.Rules) int64 { return int64(r.FrequencyLimitDay) }},
		{"smallAmountsHour", 1, 100_000, func(r *risk.Rules, v int64) { r.SmallAmountsHour = int(v) }, func(r risk.Rules) int64 { return int64(r.SmallAmountsHour) }},
		{"merchantsHour", 1, 100_000, func(r *risk.Rules, v int64) { r.MerchantsHour = int(v) }, func(r risk.Rules) int64 { return int64(r.MerchantsHour) }},
		{"deviceTrustDays", 0, 3650, func(r *risk.Rules, v int64) { r.DeviceTrustDays = int(v) }, func(r risk.Rules) int64 { return int64(r.DeviceTrustDays) }},
	}
)

// maxAmount and maxWeight bound what the form accepts (far beyond any sensible setting, well inside int).
const (
	maxAmount = 1_000_000_000_000
	maxWeight = 1000
)

func weightField(s risk.Signal) string { return "weight." + string(s) }

// RulesForm is r as the form shows it: every setting as text, the currencies sorted, two empty rows
// to add a currency.
func RulesForm(r risk.Rules) viewsupport.RiskRulesForm {
	f := viewsupport.RiskRulesForm{Values: map[string]string{}}
	for _, w := range append(append([]wholeField{amountField}, bandFields...), countFields...) {
		f.Values[w.Name] = strconv.FormatInt(w.get(r), 10)
	}
	for _, s := range risk.AllSignals {
		f.Values[weightField(s)] = strconv.Itoa(r.Weights[s])
	}
	currencies := map[string]bool{}
	for c := range r.AmountThreshold {
		currencies[c] = true
	}
	for c := range r.SmallAmount {
		currencies[c] = true
	}
	for _, c := range sortedKeys(currencies) {
		row := viewsupport.CurrencyRow{Currency: c}
		if v, ok := r.AmountThreshold[c]; ok {
			row.Threshold = strconv.FormatInt(v, 10)
		}
		if v, ok := r.SmallAmount[c]; ok {
			row.Small = strconv.FormatInt(v, 10)
		}
		f.Currencies = append(f.Currencies, row)
	}
	f.Currencies = append(f.Currencies, viewsupport.CurrencyRow{}, viewsupport.CurrencyRow{})
	return f
}

// ReadRulesForm reads a posted rules form. It returns the rules, the form as typed (to show again) and
// the problems per field (message IDs); the rules are usable only when there are no problems.
func ReadRulesForm(get func(string) string) (risk.Rules, viewsupport.RiskRulesForm, i18n.Problems) {
	r := risk.Rules{AmountThreshold: map[string]int64{}, SmallAmount: map[string]int64{}, Weights: map[risk.Signal]int{}}
	f := viewsupport.RiskRulesForm{Values: map[string]string{}}
	p := i18n.Problems{}
	read := func(name string, lo, hi int64) (int64, bool) {
		typed := strings.TrimSpace(get(name))
		f.Values[name] = typed
		v, err := parseWhole(typed)
		switch {
		case err != nil:
			p.Add(name, "support.risk.problem.integer")
			return 0, false
		case v < lo || v > hi:
			p.Add(name, "support.risk.problem.range")
			return 0, false
		}
		return v, true
	}
	for _, w := range append(append([]wholeField{amountField}, bandFields...), countFields...) {
		if v, ok := read(w.Name, w.Min, w.Max); ok {
			w.set(&r, v)
		}
	}
	if _, bad := p["denyFrom"]; !bad && p["challengeFrom"] == "" && r.DenyFrom <= r.ChallengeFrom {
		p.Add("denyFrom", "support.risk.problem.deny_above")
	}
	if _, bad := p["codeFrom"]; !bad && p["denyFrom"] == "" && r.CodeFrom >= r.DenyFrom {
		p.Add("codeFrom", "support.risk.problem.code_below_deny")
	}
	for _, s := range risk.AllSignals {
		if v, ok := read(weightField(s), -maxWeight, maxWeight); ok {
			r.Weights[s] = int(v)
		}
	}
	rows, _ := strconv.Atoi(get("currencies"))
	rows = min(max(rows, 0), maxCurrencyRows)
	for i := range rows {
		n := strconv.Itoa(i)
		row := viewsupport.CurrencyRow{
			Currency:  strings.TrimSpace(norm.NFKC.String(get("currency." + n))),
			Threshold: strings.TrimSpace(get("threshold." + n)),
			Small:     strings.TrimSpace(get("small." + n)),
		}
		f.Currencies = append(f.Currencies, row)
		if row == (viewsupport.CurrencyRow{}) {
			continue
		}
		switch {
		case row.Currency == "":
			p.Add("currency."+n, "support.risk.problem.currency_needed")
			continue
		case len(row.Currency) != 3 || !cards.AllDigits(row.Currency):
			p.Add("currency."+n, "support.risk.problem.currency")
			continue
		}
		if _, twice := r.AmountThreshold[row.Currency]; twice {
			p.Add("currency."+n, "support.risk.problem.currency_twice")
			continue
		}
		if row.Threshold == "" {
			p.Add("threshold."+n, "support.risk.problem.amount_missing")
		} else if v, ok := read("threshold."+n, 0, maxAmount); ok {
			r.AmountThreshold[row.Currency] = v
		}
		if row.Small != "" {
			if v, ok := read("small."+n, 0, maxAmount); ok {
				r.SmallAmount[row.Currency] = v
			}
		}
	}
	if !slices.Contains(f.Currencies, viewsupport.CurrencyRow{}) {
		f.Currencies = append(f.Currencies, viewsupport.CurrencyRow{}) // room to add a currency
	}
	if !p.Any() {
		// The form's checks are the rules' own; this only catches a gap between the two.
		if err := r.Validate(); err != nil {
			p.Add("", "support.risk.fix_fields")
		}
	}
	return r, f, p
}

// parseWhole reads a whole number as staff type it: full-width digits, a full-width minus, thousands
// separators.
func parseWhole(s string) (int64, error) {
	s = norm.NFKC.String(s)
	s = strings.NewReplacer(",", "", "−", "-", " ", "").Replace(s)
	return strconv.ParseInt(s, 10, 64)
}

func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}

// DraftDigest names a draft: the save button carries the digest of the draft its what-if was run on,
// so that rules changed after their try are tried again before they can be saved.
func DraftDigest(r risk.Rules) string {
	body, _ := json.Marshal(r) // maps marshal in key order: equal rules, equal digest
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// RunWhatIf replays the last risk.WhatIfDays days under the rules in force and the draft.
func RunWhatIf(ctx context.Context, gdb *gorm.DB, inForce, draft risk.Rules, now time.Time) (risk.WhatIfResult, error) {
	return risk.WhatIf(ctx, gdb, inForce, draft, now.AddDate(0, 0, -risk.WhatIfDays))
}

// ErrNoRuleChanges means a draft to be saved is the same as the rules in force.
var ErrNoRuleChanges = errors.New("support: the draft equals the rules in force")

// SaveRiskRules saves a draft as the new rules (admins only, with a reason), replacing version base,
// and records the change with what changed in the audit log, in one transaction.
func SaveRiskRules(ctx context.Context, store *risk.Store, a Actor, draft risk.Rules, base uint, reason string) (db.RiskRuleSet, error) {
	reason = security.Truncate(ScrubCardNumbers(cleanReason(reason)), 500)
	if reason == "" {
		return db.RiskRuleSet{}, ErrReasonRequired
	}
	if !RoleAtLeast(a.Role, db.RoleAdmin) {
		return db.RiskRuleSet{}, ErrForbidden
	}
	inForce := store.InForce()
	if inForce.Version != base {
		return db.RiskRuleSet{}, risk.ErrRulesChanged
	}
	changes := risk.Diff(inForce.Rules, draft)
	if len(changes) == 0 {
		return db.RiskRuleSet{}, ErrNoRuleChanges
	}
	return store.Save(ctx, draft, base, reason, a.StaffID, func(tx *gorm.DB, saved db.RiskRuleSet) error {
		parts := make([]string, len(changes))
		for i, c := range changes {
			parts[i] = c.String()
		}
		return WriteAudit(tx, a, db.AuditEvent{Action: ActionChangeRiskRules, Target: "risk rules v" + strconv.FormatUint(uint64(saved.ID), 10),
			Reason: reason, Detail: strings.Join(parts, "; ")})
	})
}

// RuleHistory is the saved rule sets, newest first, each with who saved it and what it changed from
// the set before it (the defaults before the first).
func RuleHistory(ctx context.Context, gdb *gorm.DB) ([]viewsupport.RuleSetRow, error) {
	sets, err := risk.History(ctx, gdb, riskHistoryLimit+1)
	if err != nil {
		return nil, err
	}
	staffIDs := []uint{}
	for _, s := range sets {
		if s.StaffID != nil {
			staffIDs = append(staffIDs, *s.StaffID)
		}
	}
	logins := map[uint]string{}
	if len(staffIDs) > 0 {
		var staff []db.Staff
		if err := gdb.WithContext(ctx).Select("id", "login").Where("id IN ?", staffIDs).Find(&staff).Error; err != nil {
			return nil, err
		}
		for _, st := range staff {
			logins[st.ID] = st.Login
		}
	}
	var rows []viewsupport.RuleSetRow
	for i, s := range sets {
		if i == riskHistoryLimit {
			break
		}
		row := viewsupport.RuleSetRow{Version: s.ID, At: s.CreatedAt, Reason: s.Reason}
		if s.StaffID != nil {
			row.Staff = logins[*s.StaffID]
		}
		previous := risk.DefaultRules()
		if i+1 < len(sets) {
			if p, err := risk.ParseRules(sets[i+1].Rules); err == nil {
				previous = p
			}
		}
		if r, err := risk.ParseRules(s.Rules); err == nil {
			row.Changes = changeTexts(risk.Diff(previous, r))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func changeTexts(cs []risk.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

// riskRulesPage shows the rules in force, the form (admins) and the history.
func (s *Console) riskRulesPage(c echo.Context) error {
	inForce := s.RiskRules.InForce()
	p := viewsupport.RiskRulesPage{Form: RulesForm(inForce.Rules), Base: inForce.Version,
		Notice: s.popFlash(c.Request().Context())}
	return s.renderRiskRules(c, http.StatusOK, p)
}

// riskRulesPost tries a draft (step "try") or saves it (step "save"): a save whose draft is not the
// one last tried is tried again instead, so nobody saves rules without having seen their effect.
func (s *Console) riskRulesPost(c echo.Context) error {
	ctx := c.Request().Context()
	draft, form, problems := ReadRulesForm(c.FormValue)
	base, _ := strconv.ParseUint(c.FormValue("base"), 10, 32)
	p := viewsupport.RiskRulesPage{Form: form, Base: uint(base), Problems: problems, Reason: c.FormValue("reason")}
	inForce := s.RiskRules.InForce()
	if inForce.Version != p.Base {
		p = viewsupport.RiskRulesPage{Form: RulesForm(inForce.Rules), Base: inForce.Version, Error: "support.risk.changed_since"}
		return s.renderRiskRules(c, http.StatusConflict, p)
	}
	if problems.Any() {
		p.Error = "support.risk.fix_fields"
		return s.renderRiskRules(c, http.StatusUnprocessableEntity, p)
	}
	digest := DraftDigest(draft)
	if c.FormValue("step") == "save" && c.FormValue("tried") == digest {
		_, err := SaveRiskRules(ctx, s.RiskRules, s.actor(c), draft, p.Base, p.Reason)
		switch {
		case err == nil:
			s.Log.InfoContext(ctx, "console action", "staff", current(c).Login, "action", ActionChangeRiskRules)
			s.flash(ctx, "support.risk.saved")
			return c.Redirect(http.StatusSeeOther, "/risk")
		case errors.Is(err, risk.ErrRulesChanged):
			inForce = s.RiskRules.InForce()
			p = viewsupport.RiskRulesPage{Form: RulesForm(inForce.Rules), Base: inForce.Version, Error: "support.risk.changed_since"}
			return s.renderRiskRules(c, http.StatusConflict, p)
		case errors.Is(err, ErrForbidden):
			return echo.NewHTTPError(http.StatusForbidden)
		case errors.Is(err, ErrReasonRequired):
			p.ReasonProblem = "support.reason.required"
		case errors.Is(err, ErrNoRuleChanges):
			p.Error = "support.risk.no_changes"
		default:
			return err
		}
	} else if c.FormValue("step") == "save" {
		p.Notice = "support.risk.retried"
	}
	res, err := RunWhatIf(ctx, s.DB, inForce.Rules, draft, db.Now())
	if err != nil {
		return err
	}
	p.WhatIf = whatIfView(res, risk.Diff(inForce.Rules, draft), digest)
	status := http.StatusOK
	if p.ReasonProblem != "" || p.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.renderRiskRules(c, status, p)
}

func whatIfView(res risk.WhatIfResult, changes []risk.Change, digest string) *viewsupport.WhatIfView {
	return &viewsupport.WhatIfView{
		Days: risk.WhatIfDays, Since: res.Since, Total: res.Total, Changed: res.Changed, Unreadable: res.Unreadable,
		Rows: []viewsupport.WhatIfRow{
			{Status: "Y", InForce: res.InForce.Y, Draft: res.Draft.Y},
			{Status: "C", InForce: res.InForce.C, Draft: res.Draft.C},
			{Status: "N", InForce: res.InForce.N, Draft: res.Draft.N},
			{Status: "I", InForce: res.InForce.I, Draft: res.Draft.I},
		},
		Changes: changeTexts(changes), Tried: digest,
	}
}

// renderRiskRules fills in what every rules page shows: this node's version, the history, the role.
func (s *Console) renderRiskRules(c echo.Context, status int, p viewsupport.RiskRulesPage) error {
	inForce := s.RiskRules.InForce()
	p.InForceVersion, p.InForceLoaded = inForce.Version, inForce.LoadedAt
	st := current(c)
	p.CanEdit = st != nil && RoleAtLeast(st.Role, db.RoleAdmin)
	p.BandFields, p.AmountField, p.CountFields = ruleFields(bandFields), ruleFields([]wholeField{amountField})[0], ruleFields(countFields)
	p.MaxWeight = maxWeight
	for _, sig := range risk.AllSignals {
		p.Signals = append(p.Signals, string(sig))
	}
	var err error
	if p.History, err = RuleHistory(c.Request().Context(), s.DB); err != nil {
		return err
	}
	return views.Render(c, status, viewsupport.RiskRules(me(c), p))
}

func ruleFields(fs []wholeField) []viewsupport.RuleField {
	out := make([]viewsupport.RuleField, len(fs))
	for i, f := range fs {
		out[i] = viewsupport.RuleField{Name: f.Name, Min: f.Min, Max: f.Max}
	}
	return out
}
