package support

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"honnin/app/cards"
	"honnin/app/i18n"
	"honnin/db"
	viewsupport "honnin/views/support"
)

// Audit and history details are stored as short English phrases (rows already stored cannot change:
// the audit log is append-only), so they are put into the reader's language when shown. Each shape
// that code writes has a pattern here; a detail of an unknown shape is shown as stored.
type detailShape struct {
	pattern *regexp.Regexp
	key     string                                // message ID, formatted with the parts
	parts   func(l i18n.Locale, m []string) []any // from the pattern's submatches
}

func shape(pattern, key string, parts func(l i18n.Locale, m []string) []any) detailShape {
	return detailShape{regexp.MustCompile(`^` + pattern + `$`), key, parts}
}

// verbatim passes the submatches on unchanged.
func verbatim(_ i18n.Locale, m []string) []any {
	out := make([]any, len(m)-1)
	for i, s := range m[1:] {
		out[i] = s
	}
	return out
}

// jstTime shows a stored UTC time (RFC 3339 or "2006-01-02 15:04:05Z") in Japan time, as every other time in the console.
func jstTime(s string) string {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return viewsupport.When(t)
		}
	}
	return s
}

// threeDSWord is a card's 3-D Secure state in the reader's language.
func threeDSWord(l i18n.Locale, state string) string {
	if key := "support.threeds." + state; i18n.Has(key) {
		return i18n.Tr(l, key)
	}
	return state
}

var auditShapes = map[string][]detailShape{
	ActionSearch: {
		shape(`login ID starting with (.*)`, "support.detail.search_login", verbatim),
		shape(`card ending (\d{4}), expiry (\d{4})`, "support.detail.search_card",
			func(_ i18n.Locale, m []string) []any { return []any{m[1], cards.ExpiryText(m[2])} }),
		shape(`full card number \(not recorded\)`, "support.detail.search_pan", verbatim),
		shape(`phone number ending (\d{4})`, "support.detail.search_phone", verbatim),
		shape(`member (M\d+)`, "support.detail.search_member", verbatim),
		shape(`holder name (.*)`, "support.detail.search_holder", verbatim),
	},
	ActionViewMember: {
		shape(`history filter: kind=(.*) from=(.*) to=(.*)`, "support.detail.history_filter",
			func(l i18n.Locale, m []string) []any {
				return []any{i18n.Tr(l, "support.history.kind."+kindOrAll(m[1])), orNone(m[2]), orNone(m[3])}
			}),
	},
	ActionUnlock: {
		shape(`was not locked; challenges of (\d+) card\(s\) were locked`, "support.detail.unlock_cards", verbatim),
		shape(`was locked until (.*); challenges of (\d+) card\(s\) were locked`, "support.detail.unlock_locked_and_cards",
			func(_ i18n.Locale, m []string) []any { return []any{jstTime(m[1]), m[2]} }),
		shape(`was not locked`, "support.detail.unlock_not_locked", verbatim),
		shape(`was locked until (.*)`, "support.detail.unlock_locked",
			func(_ i18n.Locale, m []string) []any { return []any{jstTime(m[1])} }),
	},
	ActionSetCodePolicy: {
		shape(`(.*) → (.*)`, "support.detail.policy_change",
			func(l i18n.Locale, m []string) []any {
				return []any{i18n.Tr(l, "support.policy."+m[1]), i18n.Tr(l, "support.policy."+m[2])}
			}),
	},
	ActionResendCode: {
		shape(`to (.*)`, "support.detail.code_to", verbatim),
	},
	ActionStopThreeDS:   {threeDSChangeShape},
	ActionResumeThreeDS: {threeDSChangeShape},
	ActionResetTrust: {
		shape(`(\w+) (\S+): (\d+) devices, (\d+) shops removed`, "support.detail.reset_trust",
			func(_ i18n.Locale, m []string) []any { return []any{cards.BrandName(m[1]), m[2], m[3], m[4]} }),
	},
	ActionSignIn: {
		shape(`setup completed`, "support.detail.setup_completed", verbatim),
	},
	"denied:" + ActionSignIn: {
		shape(string(FailUnknownLogin), "support.detail.fail_unknown", verbatim),
		shape(string(FailPassword), "support.detail.fail_password", verbatim),
		shape(string(FailCode), "support.detail.fail_code", verbatim),
		shape(string(FailCodeReused), "support.detail.fail_code_reused", verbatim),
		shape(string(FailLocked), "support.detail.fail_locked", verbatim),
	},
	ActionStaffLocked: {
		shape(`locked until (.*) after repeated failed sign-ins`, "support.detail.staff_locked",
			func(_ i18n.Locale, m []string) []any { return []any{jstTime(m[1])} }),
	},
	ActionCreateStaff: {
		shape(`role (\w+)`, "support.detail.role",
			func(l i18n.Locale, m []string) []any { return []any{roleWord(l, m[1])} }),
	},
	ActionExportAudit: {
		shape(`filter: (.*)`, "support.detail.export_filter",
			func(l i18n.Locale, m []string) []any { return []any{filterWords(m[1])} }),
	},
	db.ActionAuditRemoved: {
		shape(`(\d+) audit events made before (.*) removed`, "support.detail.audit_removed",
			func(_ i18n.Locale, m []string) []any { return []any{m[1], jstTime(m[2])} }),
	},
	db.ActionPersonalDataRemoved: {
		shape(`login ID, password, personal message, login times and addresses removed`, "support.detail.personal_data_removed", verbatim),
	},
}

// deniedRole is the detail of every refused console action.
var deniedRole = shape(`role (\w+) below (\w+)`, "support.detail.denied_role",
	func(l i18n.Locale, m []string) []any { return []any{roleWord(l, m[1]), roleWord(l, m[2])} })

var threeDSChangeShape = shape(`(\w+) (\S+): (\w+) → (\w+)`, "support.detail.threeds_change",
	func(l i18n.Locale, m []string) []any {
		return []any{cards.BrandName(m[1]), m[2], threeDSWord(l, m[3]), threeDSWord(l, m[4])}
	})

func kindOrAll(kind string) string {
	if kind == "" {
		return "all"
	}
	return kind
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func roleWord(l i18n.Locale, role string) string {
	if key := "support.role." + role; i18n.Has(key) {
		return i18n.Tr(l, key)
	}
	return role
}

// filterWords shows an exported filter's query string as "staff=…, from=…" (or a dash when empty).
func filterWords(query string) string {
	v, err := url.ParseQuery(query)
	if err != nil || len(v) == 0 {
		return orNone(query)
	}
	var parts []string
	for _, k := range []string{"staff", "action", "member", "from", "to"} {
		if s := v.Get(k); s != "" {
			parts = append(parts, k+"="+s)
		}
	}
	return strings.Join(parts, ", ")
}

// AuditDetailText is an audit event's detail in the reader's language.
func AuditDetailText(l i18n.Locale, action, detail string) string {
	shapes := auditShapes[action]
	if strings.HasPrefix(action, "denied:") {
		shapes = slices.Concat(shapes, []detailShape{deniedRole})
	}
	return matchShapes(l, shapes, detail)
}

// AuditTargetText is an audit event's target in the reader's language: staff actions name "staff LOGIN".
func AuditTargetText(l i18n.Locale, target string) string {
	if login, ok := strings.CutPrefix(target, "staff "); ok {
		return i18n.Tr(l, "support.detail.target_staff", login)
	}
	return target
}

var eventShapes = map[string][]detailShape{
	"": {
		shape(`support: (.*)`, "support.detail.by_staff", verbatim),
	},
	"credential_change": {
		shape(`([a-z_,]+)`, "support.detail.changed",
			func(l i18n.Locale, m []string) []any {
				var words []string
				for _, what := range strings.Split(m[1], ",") {
					if key := "support.detail.changed." + what; i18n.Has(key) {
						what = i18n.Tr(l, key)
					}
					words = append(words, what)
				}
				return []any{strings.Join(words, i18n.Tr(l, "support.detail.and"))}
			}),
	},
	"registration": {
		shape(`registration`, "support.detail.registration", verbatim),
		shape(`re-registration`, "support.detail.rereg", verbatim),
		shape(`card added`, "support.detail.card_added", verbatim),
		shape(`re-registration: card moved to a new ID`, "support.detail.card_moved", verbatim),
	},
	db.EventTrustChange: {
		shape(`device removed`, "support.detail.trust_device_removed", verbatim),
		shape(`shop removed`, "support.detail.trust_shop_removed", verbatim),
	},
	"challenge_result": {
		shape(`transStatus=(\w)(.*)`, "support.detail.trans_status", verbatim),
	},
}

// EventDetailText is a history event's detail in the reader's language.
func EventDetailText(l i18n.Locale, kind, detail string) string {
	return matchShapes(l, slices.Concat(eventShapes[kind], eventShapes[""]), detail)
}

func matchShapes(l i18n.Locale, shapes []detailShape, detail string) string {
	for _, s := range shapes {
		if m := s.pattern.FindStringSubmatch(detail); m != nil {
			return i18n.Tr(l, s.key, s.parts(l, m)...)
		}
	}
	return detail
}
