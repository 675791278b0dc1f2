package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"honnin/app/emv"
	"honnin/db"
)

// WhatIfDays is how far back the what-if replays stored decisions.
const WhatIfDays = 7

// Counts are decisions by transStatus.
type Counts struct{ Y, C, N, I int }

func (c *Counts) add(s emv.TransStatus) {
	switch s {
	case emv.StatusY:
		c.Y++
	case emv.StatusC:
		c.C++
	case emv.StatusN:
		c.N++
	case emv.StatusI:
		c.I++
	}
}

// WhatIfResult compares two rule sets on the same stored facts.
type WhatIfResult struct {
	Since      time.Time
	Total      int    // transactions replayed
	InForce    Counts // under the rules in force
	Draft      Counts // under the draft
	Changed    int    // transactions whose transStatus differs between the two
	Unreadable int    // stored facts that could not be read (left out of every count)
}

// WhatIf replays the facts stored with every AReq decided by risk since since under the rules in
// force and under a draft. It reads one row at a time, so its memory does not grow with the days'
// volume; the rows are found by created_at, as the retention sweeper finds them.
func WhatIf(ctx context.Context, gdb *gorm.DB, inForce, draft Rules, since time.Time) (WhatIfResult, error) {
	res := WhatIfResult{Since: since}
	rows, err := gdb.WithContext(ctx).Model(&db.Challenge{}).Select("risk_facts").
		Where("risk_facts <> '' AND created_at >= ?", since.UTC()).Rows()
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var stored string
		if err := rows.Scan(&stored); err != nil {
			return res, err
		}
		var f Facts
		if err := json.Unmarshal([]byte(stored), &f); err != nil {
			res.Unreadable++
			continue
		}
		before, after := Decide(f, inForce).Status, Decide(f, draft).Status
		res.Total++
		res.InForce.add(before)
		res.Draft.add(after)
		if before != after {
			res.Changed++
		}
	}
	return res, rows.Err()
}

// Change is one setting that differs between two rule sets, named as in the stored JSON
// ("challengeFrom", "amountThreshold.392", "weights.new_device"); an absent side is "".
type Change struct{ Field, From, To string }

// Diff lists what differs from old to new: the scalar settings, then the amounts per currency, then
// the weights in AllSignals order.
func Diff(old, new Rules) []Change {
	a, b := flatten(old), flatten(new)
	var out []Change
	for _, k := range fieldOrder(a, b) {
		if a[k] != b[k] {
			out = append(out, Change{Field: k, From: a[k], To: b[k]})
		}
	}
	return out
}

// scalarFields are Rules' single numbers, in the order people read them.
var scalarFields = []string{"challengeFrom", "denyFrom", "defaultAmountThreshold", "velocityHour", "velocityDay",
	"frequencyLimitDay", "smallAmountsHour", "merchantsHour", "deviceTrustDays"}

func flatten(r Rules) map[string]string {
	n := strconv.Itoa
	m := map[string]string{
		"challengeFrom": n(r.ChallengeFrom), "denyFrom": n(r.DenyFrom),
		"defaultAmountThreshold": strconv.FormatInt(r.DefaultAmountThreshold, 10),
		"velocityHour":           n(r.VelocityHour), "velocityDay": n(r.VelocityDay), "frequencyLimitDay": n(r.FrequencyLimitDay),
		"smallAmountsHour": n(r.SmallAmountsHour), "merchantsHour": n(r.MerchantsHour), "deviceTrustDays": n(r.DeviceTrustDays),
	}
	for cur, v := range r.AmountThreshold {
		m["amountThreshold."+cur] = strconv.FormatInt(v, 10)
	}
	for cur, v := range r.SmallAmount {
		m["smallAmount."+cur] = strconv.FormatInt(v, 10)
	}
	for s, w := range r.Weights {
		m["weights."+string(s)] = n(w)
	}
	return m
}

// fieldOrder is every key of a and b: scalars, amounts by currency, weights by AllSignals.
func fieldOrder(a, b map[string]string) []string {
	order := slices.Clone(scalarFields)
	var amounts []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if (strings.HasPrefix(k, "amountThreshold.") || strings.HasPrefix(k, "smallAmount.")) && !slices.Contains(amounts, k) {
				amounts = append(amounts, k)
			}
		}
	}
	slices.Sort(amounts)
	order = append(order, amounts...)
	for _, s := range AllSignals {
		order = append(order, "weights."+string(s))
	}
	return order
}

// String is a change as the audit log records it: "field from→to".
func (c Change) String() string {
	from, to := c.From, c.To
	if from == "" {
		from = "—"
	}
	if to == "" {
		to = "—"
	}
	return fmt.Sprintf("%s %s→%s", c.Field, from, to)
}
