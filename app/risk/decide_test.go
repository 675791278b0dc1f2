package risk

import (
	"encoding/json"
	"reflect"
	"testing"

	"honnin/app/emv"
	"honnin/app/i18n"
)

// quiet is a purchase about which nothing is new or unusual: no signal fires under the default rules.
func quiet() Facts {
	return Facts{MessageVersion: emv.V220, MessageCategory: "01", AuthenticationInd: "01", ChallengeInd: "01", CompInd: "Y",
		MethodData: true, AmountMinor: 3000, Currency: CurrencyJPY, MerchantCountry: CountryJapan, AddrMatch: "Y",
		DeviceKnown: true, MerchantKnown: true, AReqsHour: 1, AReqsDay: 1, MerchantsHour: 1}
}

func TestEachSignalAlone(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		signal Signal
		edit   func(*Facts)
	}{
		{SignalAmountOverThreshold, func(f *Facts) { f.AmountMinor = 30001 }},
		{SignalNewDevice, func(f *Facts) { f.DeviceKnown = false }},
		{SignalNewMerchant, func(f *Facts) { f.MerchantKnown = false }},
		{SignalVelocityHour, func(f *Facts) { f.AReqsHour, f.AReqsDay = 6, 6 }},
		{SignalVelocityDay, func(f *Facts) { f.AReqsDay = 21 }},
		{SignalCardTestingAmounts, func(f *Facts) { f.SmallAmountsHour = 4 }},
		{SignalCardTestingMerchants, func(f *Facts) { f.MerchantsHour = 5 }},
		{SignalForeignMerchant, func(f *Facts) { f.MerchantCountry = "840" }},
		{SignalAddressMismatch, func(f *Facts) { f.AddrMatch = "N" }},
		{SignalNewShippingAddress, func(f *Facts) { f.ShipAddressUsageInd = "01" }},
		{SignalNewAccount, func(f *Facts) { f.AccountAgeInd = "02" }},
		{SignalSuspiciousAccount, func(f *Facts) { f.SuspiciousActivity = "02" }},
		{SignalCredentialsChanged, func(f *Facts) { f.CredentialsChanged24h = true }},
		{SignalRecentFailures, func(f *Facts) { f.FailedChallenges24h = 1 }},
		{SignalRecentLock, func(f *Facts) { f.Locked24h = true }},
		{SignalNoMethodData, func(f *Facts) { f.MethodData, f.CompInd = false, "N" }},
		{SignalCardMaintenance, func(f *Facts) { f.AuthenticationInd = "04" }},
		{SignalTrustedMerchant, func(f *Facts) { f.MerchantTrusted, f.ChallengeInd = true, "08" }},
	}
	seen := map[Signal]bool{SignalNonPayment: true} // weight 0 by default: never reported (below)
	for _, tt := range tests {
		t.Run(string(tt.signal), func(t *testing.T) {
			f := quiet()
			tt.edit(&f)
			d := Decide(f, r)
			want := []Fired{{tt.signal, r.Weights[tt.signal]}}
			if !reflect.DeepEqual(d.Fired, want) || d.Score != r.Weights[tt.signal] {
				t.Fatalf("fired %v score %d, want %v", d.Fired, d.Score, want)
			}
			wantStatus := emv.StatusY
			if d.Score >= r.ChallengeFrom {
				wantStatus = emv.StatusC
			}
			if d.Status != wantStatus || d.Why != "" {
				t.Fatalf("status %s why %q, want %s by the score", d.Status, d.Why, wantStatus)
			}
		})
		seen[tt.signal] = true
	}
	for _, s := range AllSignals {
		if !seen[s] {
			t.Errorf("signal %s has no test of its own", s)
		}
	}
}

func TestSignalEdges(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		name  string
		edit  func(*Facts)
		fires bool
	}{
		{"amount at the threshold", func(f *Facts) { f.AmountMinor = 30000 }, false},
		{"USD 200.00 is at its threshold", func(f *Facts) { f.Currency, f.Exponent, f.AmountMinor = "840", 2, 20000 }, false},
		{"USD 200.01 is above", func(f *Facts) { f.Currency, f.Exponent, f.AmountMinor = "840", 2, 20001 }, true},
		{"an unlisted currency uses the default threshold", func(f *Facts) { f.Currency, f.AmountMinor = "410", 20001 }, true},
		{"5 AReqs in the hour are allowed", func(f *Facts) { f.AReqsHour, f.AReqsDay = 5, 5 }, false},
		{"3 small amounts are allowed", func(f *Facts) { f.SmallAmountsHour = 3 }, false},
		{"4 merchants are allowed", func(f *Facts) { f.MerchantsHour = 4 }, false},
		{"no country given", func(f *Facts) { f.MerchantCountry = "" }, false},
		{"addrMatch absent", func(f *Facts) { f.AddrMatch = "" }, false},
		{"shipping address used before", func(f *Facts) { f.ShipAddressUsageInd = "02" }, false},
		{"account older than a month", func(f *Facts) { f.AccountAgeInd = "04" }, false},
		{"no suspicious activity", func(f *Facts) { f.SuspiciousActivity = "01" }, false},
		{"maintain card", func(f *Facts) { f.AuthenticationInd = "05" }, true},
		{"recurring payment", func(f *Facts) { f.AuthenticationInd = "02" }, false},
		{"trusted merchant without 08", func(f *Facts) { f.MerchantTrusted = true }, false},
		{"trusted merchant with 08 on 2.1.0", func(f *Facts) { f.MerchantTrusted, f.ChallengeInd, f.MessageVersion = true, "08", emv.V210 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := quiet()
			tt.edit(&f)
			if d := Decide(f, r); (len(d.Fired) > 0) != tt.fires {
				t.Fatalf("fired %v, want fires=%v", d.Fired, tt.fires)
			}
		})
	}
}

func TestCombinedSignalsAndBands(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		name   string
		edit   func(*Facts)
		score  int
		status emv.TransStatus
		reason emv.TransStatusReason
	}{
		{"nothing unusual", func(*Facts) {}, 0, emv.StatusY, ""},
		{"new merchant and no method data: 40, the challenge band's edge", func(f *Facts) { f.MerchantKnown, f.MethodData = false, false }, 40, emv.StatusC, ""},
		{"new merchant and new shipping address: 35, below it", func(f *Facts) { f.MerchantKnown, f.ShipAddressUsageInd = false, "01" }, 35, emv.StatusY, ""},
		{"trusted merchant offsets a new device", func(f *Facts) {
			f.DeviceKnown, f.MerchantTrusted, f.ChallengeInd = false, true, "08"
		}, 10, emv.StatusY, ""},
		{"card testing from a new device with a new address: in the deny band", func(f *Facts) {
			f.DeviceKnown, f.SmallAmountsHour, f.AddrMatch, f.ShipAddressUsageInd = false, 9, "N", "01"
		}, 135, emv.StatusN, emv.ReasonSuspectedFraud},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := quiet()
			tt.edit(&f)
			d := Decide(f, r)
			if d.Score != tt.score || d.Status != tt.status || d.Reason != tt.reason {
				t.Fatalf("got %d %s/%s (%v), want %d %s/%s", d.Score, d.Status, d.Reason, d.Fired, tt.score, tt.status, tt.reason)
			}
		})
	}
	// The deny band's edge exactly: 119 is a challenge, 120 a refusal.
	edge := r
	edge.Weights = map[Signal]int{SignalNewDevice: 119}
	f := quiet()
	f.DeviceKnown = false
	if d := Decide(f, edge); d.Status != emv.StatusC {
		t.Fatalf("score 119: %s, want C", d.Status)
	}
	edge.Weights[SignalNewDevice] = 120
	if d := Decide(f, edge); d.Status != emv.StatusN || d.Reason != emv.ReasonSuspectedFraud {
		t.Fatalf("score 120: %s/%s, want N/11", d.Status, d.Reason)
	}
	edge.Weights[SignalNewDevice] = 39
	if d := Decide(f, edge); d.Status != emv.StatusY {
		t.Fatalf("score 39: %s, want Y", d.Status)
	}
}

func TestIndicators(t *testing.T) {
	r := DefaultRules()
	risky := func(f *Facts) { f.DeviceKnown = false } // 40: the challenge band
	tests := []struct {
		name    string
		version string
		ind     string
		edit    func(*Facts)
		status  emv.TransStatus
		why     string
	}{
		{"01 low risk", emv.V220, "01", nil, emv.StatusY, ""},
		{"02 low risk", emv.V220, "02", nil, emv.StatusY, ""},
		{"02 high risk is still challenged", emv.V220, "02", risky, emv.StatusC, ""},
		{"03 challenges at low risk", emv.V220, "03", nil, emv.StatusC, WhyChallengeAsked},
		{"04 always challenges", emv.V210, "04", nil, emv.StatusC, WhyChallengeMandate},
		{"05 low risk", emv.V220, "05", nil, emv.StatusY, ""},
		{"06 on 2.2.0 is informational", emv.V220, "06", nil, emv.StatusI, WhyInformational},
		{"06 at high risk is challenged", emv.V220, "06", risky, emv.StatusC, ""},
		{"07 low risk", emv.V220, "07", nil, emv.StatusY, ""},
		{"08 low risk", emv.V220, "08", nil, emv.StatusY, ""},
		{"09 challenges at low risk", emv.V220, "09", nil, emv.StatusC, WhyChallengeAsked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := quiet()
			f.MessageVersion, f.ChallengeInd = tt.version, tt.ind
			if tt.edit != nil {
				tt.edit(&f)
			}
			d := Decide(f, r)
			if d.Status != tt.status || d.Why != tt.why {
				t.Fatalf("got %s why %q, want %s why %q", d.Status, d.Why, tt.status, tt.why)
			}
		})
	}
}

func TestSettlingRules(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		name   string
		edit   func(*Facts)
		status emv.TransStatus
		reason emv.TransStatusReason
		why    string
	}{
		{"above the day's frequency limit", func(f *Facts) { f.AReqsDay = 101 }, emv.StatusN, emv.ReasonFrequencyLimit, WhyFrequencyLimit},
		{"at the limit the score decides", func(f *Facts) { f.AReqsDay = 100 }, emv.StatusY, "", ""},
		{"the deny band beats a mandate", func(f *Facts) {
			f.ChallengeInd, f.SuspiciousActivity, f.Locked24h, f.DeviceKnown = "04", "02", true, false
		}, emv.StatusN, emv.ReasonSuspectedFraud, ""},
		{"a lock in force is challenged even in the deny band", func(f *Facts) {
			f.LockedNow, f.Locked24h, f.SuspiciousActivity, f.DeviceKnown = true, true, "02", false
		}, emv.StatusC, "", WhyLocked},
		{"a lock in force is challenged at low risk", func(f *Facts) { f.LockedNow = true }, emv.StatusC, "", WhyLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := quiet()
			tt.edit(&f)
			d := Decide(f, r)
			if d.Status != tt.status || d.Reason != tt.reason || d.Why != tt.why {
				t.Fatalf("got %s/%s why %q, want %s/%s why %q", d.Status, d.Reason, d.Why, tt.status, tt.reason, tt.why)
			}
		})
	}
	// With the frequency limit off, any count is left to the score.
	off := r
	off.FrequencyLimitDay = 0
	f := quiet()
	f.AReqsDay = 10_000
	if d := Decide(f, off); d.Status == emv.StatusN && d.Reason == emv.ReasonFrequencyLimit {
		t.Fatal("frequency limit 0 refused")
	}
}

func TestFactsReplayAsStored(t *testing.T) {
	f := quiet()
	f.DeviceKnown, f.AddrMatch, f.LockedNow = false, "N", true
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Facts
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(Decide(back, DefaultRules()), Decide(f, DefaultRules())) {
		t.Fatal("stored facts decide differently")
	}
}

// Facts are stored without their zero fields, and rows stored before, which spell every field out,
// read back as the same facts.
func TestFactsStoredWithoutZeroFields(t *testing.T) {
	spelled := `{"messageVersion":"2.2.0","messageCategory":"01","methodData":false,"amountMinor":3000,"currency":"392",` +
		`"exponent":0,"deviceKnown":false,"merchantKnown":true,"merchantTrusted":false,"areqsHour":1,"areqsDay":1,` +
		`"smallAmountsHour":0,"merchantsHour":0,"credentialsChanged24h":false,"failedChallenges24h":0,"locked24h":false}`
	cases := []struct {
		name   string
		facts  Facts
		stored string
	}{
		{"nothing known", Facts{}, `{}`},
		{"a payment from a new device", Facts{MessageVersion: emv.V220, MessageCategory: "01", AmountMinor: 3000, Currency: CurrencyJPY,
			MerchantKnown: true, AReqsHour: 1, AReqsDay: 1},
			`{"messageVersion":"2.2.0","messageCategory":"01","amountMinor":3000,"currency":"392","merchantKnown":true,"areqsHour":1,"areqsDay":1}`},
		{"every flag set", Facts{MethodData: true, DeviceKnown: true, MerchantTrusted: true, CredentialsChanged24h: true, Locked24h: true, LockedNow: true},
			`{"methodData":true,"deviceKnown":true,"merchantTrusted":true,"credentialsChanged24h":true,"locked24h":true,"lockedNow":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.facts)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.stored {
				t.Fatalf("stored %s, want %s", b, c.stored)
			}
			var back Facts
			if err := json.Unmarshal(b, &back); err != nil || back != c.facts {
				t.Fatalf("read back %+v (%v), want %+v", back, err, c.facts)
			}
		})
	}
	var old Facts
	if err := json.Unmarshal([]byte(spelled), &old); err != nil || old != cases[1].facts {
		t.Fatalf("a row stored with every field spelled out read as %+v (%v), want %+v", old, err, cases[1].facts)
	}
}

func TestDefaultRulesValid(t *testing.T) {
	if err := DefaultRules().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDeviceLabel(t *testing.T) {
	tests := map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36":               "Chrome / Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1": "Safari / iPhone",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                    "Firefox / Linux",
		"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0":                                     "Edge / Windows",
		"curl/8.0": "curl/8.0",
	}
	for ua, want := range tests {
		if got := DeviceLabel(ua); got != want {
			t.Errorf("DeviceLabel(%q) = %q, want %q", ua, got, want)
		}
	}
}

func TestEverySignalAndRuleHasWords(t *testing.T) {
	keys := []string{}
	for _, s := range AllSignals {
		keys = append(keys, "risk.signal."+string(s))
	}
	for _, w := range []string{WhyFrequencyLimit, WhyChallengeMandate, WhyChallengeAsked, WhyInformational, WhyLocked} {
		keys = append(keys, "risk.why."+w)
	}
	for _, k := range keys {
		for _, l := range []i18n.Locale{i18n.JA, i18n.EN} {
			if i18n.Tr(l, k) == k {
				t.Errorf("%s has no %v words", k, l)
			}
		}
	}
}
