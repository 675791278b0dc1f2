package support

import (
	"encoding/json"
	"fmt"
	"strings"

	"honnin/app/i18n"
	"honnin/app/risk"
	"honnin/db"
)

// RiskExplanation says why the risk engine decided a transaction as it did, in the staff member's
// language: the score, each signal that fired with its weight, and the rule that settled it when the
// score alone did not ("スコア 80：初めての端末 +40、初めてのお店 +15、端末情報なし +25"). Empty for a
// transaction the decision table ended before the risk engine was asked.
func RiskExplanation(l i18n.Locale, ch db.Challenge) string {
	if ch.RiskScore == nil {
		return ""
	}
	var fired []risk.Fired
	_ = json.Unmarshal([]byte(ch.RiskFired), &fired) // unreadable: the score alone is still shown
	parts := make([]string, 0, len(fired))
	for _, f := range fired {
		parts = append(parts, fmt.Sprintf("%s %+d", i18n.Tr(l, "risk.signal."+string(f.Signal)), f.Weight))
	}
	sep, colon, open, close := "、", "：", "（", "）"
	if l == i18n.EN {
		sep, colon, open, close = ", ", ": ", " (", ")"
	}
	out := i18n.Tr(l, "risk.score", *ch.RiskScore)
	if len(parts) > 0 {
		out += colon + strings.Join(parts, sep)
	}
	if ch.RiskWhy != "" {
		out += open + i18n.Tr(l, "risk.why."+ch.RiskWhy) + close
	}
	return out
}
