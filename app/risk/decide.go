package risk

import "honnin/app/emv"

// Why values: the rule that settled a decision when the score alone did not.
const (
	WhyFrequencyLimit   = "frequency_limit"     // more AReqs for the card in a day than FrequencyLimitDay
	WhyChallengeMandate = "challenge_mandated"  // threeDSRequestorChallengeInd 04
	WhyChallengeAsked   = "challenge_requested" // threeDSRequestorChallengeInd 03 or 09
	WhyInformational    = "informational"       // threeDSRequestorChallengeInd 06 on 2.2.0, low risk
	WhyLocked           = "locked"              // the member's ID or the card's challenges are locked now
)

// Decide scores f under r and turns the score and the requestor's indicators into a decision.
// The order: the frequency limit refuses outright; a lock in force is a challenge (its page tells the
// member about the lock, and it ends N, reason 01); the deny band refuses (N, 11) whatever the
// requestor asked; a mandated or requested challenge is a challenge; 06 on 2.2.0 at low risk is
// informational (I); otherwise the score's band decides.
func Decide(f Facts, r Rules) Decision {
	d := Decision{Fired: fired(f, r)}
	for _, s := range d.Fired {
		d.Score += s.Weight
	}
	switch {
	case r.FrequencyLimitDay > 0 && f.AReqsDay > r.FrequencyLimitDay:
		d.Status, d.Reason, d.Why = emv.StatusN, emv.ReasonFrequencyLimit, WhyFrequencyLimit
	case f.LockedNow:
		d.Status, d.Why = emv.StatusC, WhyLocked
	case d.Score >= r.DenyFrom:
		d.Status, d.Reason = emv.StatusN, emv.ReasonSuspectedFraud
	case f.ChallengeInd == "04":
		d.Status, d.Why = emv.StatusC, WhyChallengeMandate
	case f.ChallengeInd == "03" || f.ChallengeInd == "09":
		d.Status, d.Why = emv.StatusC, WhyChallengeAsked
	case d.Score >= r.ChallengeFrom:
		d.Status = emv.StatusC
	case f.ChallengeInd == "06" && f.MessageVersion == "2.2.0":
		d.Status, d.Why = emv.StatusI, WhyInformational
	default:
		d.Status = emv.StatusY
	}
	return d
}

// fired lists the signals f sets off under r, with their weights, in AllSignals order.
func fired(f Facts, r Rules) []Fired {
	on := map[Signal]bool{
		SignalAmountOverThreshold:  f.AmountMinor > r.amountThreshold(f.Currency),
		SignalNewDevice:            !f.DeviceKnown,
		SignalNewMerchant:          !f.MerchantKnown,
		SignalVelocityHour:         f.AReqsHour > r.VelocityHour,
		SignalVelocityDay:          f.AReqsDay > r.VelocityDay,
		SignalCardTestingAmounts:   f.SmallAmountsHour > r.SmallAmountsHour,
		SignalCardTestingMerchants: f.MerchantsHour > r.MerchantsHour,
		SignalForeignMerchant:      f.MerchantCountry != "" && f.MerchantCountry != CountryJapan,
		SignalAddressMismatch:      f.AddrMatch == "N",
		SignalNewShippingAddress:   f.ShipAddressUsageInd == "01",
		SignalNewAccount:           f.AccountAgeInd == "01" || f.AccountAgeInd == "02",
		SignalSuspiciousAccount:    f.SuspiciousActivity == "02",
		SignalCredentialsChanged:   f.CredentialsChanged24h,
		SignalRecentFailures:       f.FailedChallenges24h > 0,
		SignalRecentLock:           f.Locked24h,
		SignalNoMethodData:         !f.MethodData,
		SignalNonPayment:           f.MessageCategory == "02",
		SignalCardMaintenance:      f.AuthenticationInd == "04" || f.AuthenticationInd == "05",
		SignalTrustedMerchant:      f.MerchantTrusted && f.ChallengeInd == "08" && f.MessageVersion == "2.2.0",
	}
	var out []Fired
	for _, s := range AllSignals {
		if w := r.Weights[s]; on[s] && w != 0 {
			out = append(out, Fired{Signal: s, Weight: w})
		}
	}
	return out
}

// amountThreshold is r's threshold for a currency.
func (r Rules) amountThreshold(currency string) int64 {
	if v, ok := r.AmountThreshold[currency]; ok {
		return v
	}
	return r.DefaultAmountThreshold
}

// SmallAmountFor is what counts as a small amount in a currency; 0 when the rules name none.
func (r Rules) SmallAmountFor(currency string) int64 { return r.SmallAmount[currency] }

// Source gives the rules in force now. The live source reloads them from the database; tests and the
// what-if use Static.
type Source interface{ Current() Rules }

// Static is a Source that always gives the same rules.
type Static Rules

// Current returns the rules themselves.
func (s Static) Current() Rules { return Rules(s) }
