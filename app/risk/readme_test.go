package risk

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The README's tables of default rules are what DefaultRules returns, so that the page an issuer
// tunes from never drifts from the code.
func TestREADMEDescribesTheDefaultRules(t *testing.T) {
	body, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // first cell (without backquotes) → second cell
	row := regexp.MustCompile("(?m)^\\| `([a-zA-Z_]+)`(?: / `([a-zA-Z_]+)`)? \\| ([^|]+) \\|")
	start := strings.Index(string(body), "### The default rules")
	if start < 0 {
		t.Fatal("README has no section on the default rules")
	}
	end := strings.Index(string(body)[start:], "### Tuning the rules")
	for _, m := range row.FindAllStringSubmatch(string(body)[start:start+end], -1) {
		key := m[1]
		if m[2] != "" {
			key += "/" + m[2]
		}
		rows[key] = strings.TrimSpace(m[3])
	}
	d := DefaultRules()
	want := map[string]string{
		"challengeFrom": strconv.Itoa(d.ChallengeFrom), "denyFrom": strconv.Itoa(d.DenyFrom),
		"defaultAmountThreshold":   strconv.FormatInt(d.DefaultAmountThreshold, 10),
		"velocityHour/velocityDay": fmt.Sprintf("%d / %d", d.VelocityHour, d.VelocityDay),
		"frequencyLimitDay":        strconv.Itoa(d.FrequencyLimitDay), "smallAmountsHour": strconv.Itoa(d.SmallAmountsHour),
		"merchantsHour": strconv.Itoa(d.MerchantsHour), "deviceTrustDays": strconv.Itoa(d.DeviceTrustDays),
		"codeFrom": strconv.Itoa(d.CodeFrom),
	}
	for _, s := range AllSignals {
		want[string(s)] = strconv.Itoa(d.Weights[s])
	}
	for k, v := range want {
		if rows[k] != v {
			t.Errorf("README gives %s as %q, DefaultRules %q", k, rows[k], v)
		}
	}
	for name, amounts := range map[string]map[string]int64{"amountThreshold": d.AmountThreshold, "smallAmount": d.SmallAmount} {
		parts := strings.Split(rows[name], ", ")
		if len(parts) != len(amounts) {
			t.Errorf("README lists %d currencies for %s, DefaultRules %d", len(parts), name, len(amounts))
		}
		for cur, v := range amounts {
			if !regexp.MustCompile(`(^|, )` + cur + `( \([A-Z]{3}\))?: ` + strconv.FormatInt(v, 10) + `(,|$)`).MatchString(rows[name]) {
				t.Errorf("README's %s %q does not give %s: %d", name, rows[name], cur, v)
			}
		}
	}
}
