// Package risk decides, among members who use 3-D Secure, which purchases pass without a screen
// (frictionless Y), which are challenged (C) and which are refused (N). Decide is a pure function of
// the facts gathered for one AReq and the issuer's rules, so the console's what-if can replay stored
// facts under a draft rule set and get exactly the answers the live path would have given.
package risk

import (
	"errors"
	"fmt"
	"slices"

	"honnin/app/emv"
)

// Signal names one thing the engine noticed. The names are stable: they are stored with every
// transaction, shown in the console and used as metric labels.
type Signal string

// The signals. Weights come from Rules; a signal with weight 0 is not reported.
const (
	SignalAmountOverThreshold  Signal = "amount_over_threshold"  // purchase amount above the issuer's threshold for its currency
	SignalNewDevice            Signal = "new_device"             // no successful authentication for this card from this device
	SignalNewMerchant          Signal = "new_merchant"           // no successful authentication for this card at this merchant
	SignalVelocityHour         Signal = "velocity_hour"          // more AReqs for the card in the last hour than the rules allow
	SignalVelocityDay          Signal = "velocity_day"           // the same over the last day
	SignalCardTestingAmounts   Signal = "card_testing_amounts"   // many small amounts for the card in a short time
	SignalCardTestingMerchants Signal = "card_testing_merchants" // many different merchants for the card in a short time
	SignalForeignMerchant      Signal = "foreign_merchant"       // merchantCountryCode is not Japan (392)
	SignalAddressMismatch      Signal = "address_mismatch"       // addrMatch N: billing and shipping differ
	SignalNewShippingAddress   Signal = "new_shipping_address"   // acctInfo.shipAddressUsageInd 01: first use of this address
	SignalNewAccount           Signal = "new_account"            // acctInfo.chAccAgeInd 01/02: the shop account is new
	SignalSuspiciousAccount    Signal = "suspicious_account"     // acctInfo.suspiciousAccActivity 02
	SignalCredentialsChanged   Signal = "credentials_changed"    // the member's ID and password changed in the last 24 h
	SignalRecentFailures       Signal = "recent_failures"        // failed challenges for the card in the last 24 h
	SignalRecentLock           Signal = "recent_lock"            // the member's ID was locked in the last 24 h
	SignalNoMethodData         Signal = "no_method_data"         // threeDSCompInd N or U, or no device data arrived
	SignalNonPayment           Signal = "non_payment"            // messageCategory 02
	SignalCardMaintenance      Signal = "card_maintenance"       // threeDSRequestorAuthenticationInd 04 (add card) or 05 (maintain card)
	SignalTrustedMerchant      Signal = "trusted_merchant"       // the member trusts this merchant and the requestor asked for the trust list (08); usually a negative weight
)

// AllSignals lists every signal in a fixed order (console tables, metric labels, defaults).
var AllSignals = []Signal{
	SignalAmountOverThreshold, SignalNewDevice, SignalNewMerchant, SignalVelocityHour, SignalVelocityDay,
	SignalCardTestingAmounts, SignalCardTestingMerchants, SignalForeignMerchant, SignalAddressMismatch,
	SignalNewShippingAddress, SignalNewAccount, SignalSuspiciousAccount, SignalCredentialsChanged,
	SignalRecentFailures, SignalRecentLock, SignalNoMethodData, SignalNonPayment, SignalCardMaintenance,
	SignalTrustedMerchant,
}

// Facts are what is known about one AReq when it is decided: read from the AReq and from the card's
// own history (kept as counters and small lists, never by scanning history on the hot path). They are
// stored with the transaction (JSON) so that a decision can be explained and replayed later. A field
// at its zero value is left out of the stored JSON, and reads back as that zero: most of a row's facts
// are false or 0, and spelled out they were a third of the bytes every AReq's row writes. Rows stored
// before that spell every field and read back the same.
type Facts struct {
	MessageVersion    string `json:"messageVersion,omitempty"`
	MessageCategory   string `json:"messageCategory,omitempty"`   // 01 payment, 02 non-payment
	AuthenticationInd string `json:"authenticationInd,omitempty"` // threeDSRequestorAuthenticationInd
	ChallengeInd      string `json:"challengeInd,omitempty"`      // threeDSRequestorChallengeInd
	CompInd           string `json:"compInd,omitempty"`           // threeDSCompInd Y, N or U
	MethodData        bool   `json:"methodData,omitempty"`        // device data from the 3DS Method was found for this AReq

	AmountMinor int64  `json:"amountMinor,omitempty"` // purchaseAmount in minor units of Currency
	Currency    string `json:"currency,omitempty"`    // ISO 4217 numeric
	Exponent    int    `json:"exponent,omitempty"`

	MerchantCountry     string `json:"merchantCountry,omitempty"`
	AddrMatch           string `json:"addrMatch,omitempty"`           // Y or N when the requestor sent it
	ShipAddressUsageInd string `json:"shipAddressUsageInd,omitempty"` // acctInfo
	AccountAgeInd       string `json:"accountAgeInd,omitempty"`       // acctInfo.chAccAgeInd
	SuspiciousActivity  string `json:"suspiciousActivity,omitempty"`  // acctInfo.suspiciousAccActivity

	DeviceKnown     bool `json:"deviceKnown,omitempty"`     // this device authenticated successfully for the card and is still trusted
	MerchantKnown   bool `json:"merchantKnown,omitempty"`   // the card authenticated successfully at this merchant before
	MerchantTrusted bool `json:"merchantTrusted,omitempty"` // the member put this merchant on the trust list

	AReqsHour        int `json:"areqsHour,omitempty"`        // AReqs for the card in the last hour, this one included
	AReqsDay         int `json:"areqsDay,omitempty"`         // the same over the last 24 hours
	SmallAmountsHour int `json:"smallAmountsHour,omitempty"` // of AReqsHour, those at or below Rules.SmallAmount
	MerchantsHour    int `json:"merchantsHour,omitempty"`    // distinct merchants among AReqsHour

	CredentialsChanged24h bool `json:"credentialsChanged24h,omitempty"`
	FailedChallenges24h   int  `json:"failedChallenges24h,omitempty"`
	Locked24h             bool `json:"locked24h,omitempty"`
	// LockedNow: the member's ID or the card's challenges are locked at this moment. Such a purchase
	// is never frictionless: the challenge page tells the member about the lock.
	LockedNow bool `json:"lockedNow,omitempty"`
}

// Rules are the issuer's tunable settings. They are data: stored in the database, edited in the
// console, validated before use.
type Rules struct {
	// AmountThreshold is, per currency (ISO 4217 numeric), the amount in minor units above which
	// SignalAmountOverThreshold fires. A currency without an entry uses DefaultAmountThreshold, which is
	// in the minor units of that currency as the AReq gives them.
	AmountThreshold        map[string]int64 `json:"amountThreshold"`
	DefaultAmountThreshold int64            `json:"defaultAmountThreshold"`
	// SmallAmount is, per currency, what counts as a small (card-testing) amount.
	SmallAmount map[string]int64 `json:"smallAmount"`

	VelocityHour int `json:"velocityHour"` // SignalVelocityHour fires above this many AReqs in an hour
	VelocityDay  int `json:"velocityDay"`  // SignalVelocityDay fires above this many in a day
	// FrequencyLimitDay refuses outright (N, reason 04) above this many AReqs for the card in a day; 0 never.
	FrequencyLimitDay int `json:"frequencyLimitDay"`

	SmallAmountsHour int `json:"smallAmountsHour"` // card testing: more small amounts than this in an hour
	MerchantsHour    int `json:"merchantsHour"`    // card testing: more distinct merchants than this in an hour

	Weights map[Signal]int `json:"weights"`

	// Score bands: below ChallengeFrom frictionless, from ChallengeFrom challenge, from DenyFrom N/11.
	ChallengeFrom int `json:"challengeFrom"`
	DenyFrom      int `json:"denyFrom"`

	// DeviceTrustDays is how long a device stays known after a successful challenge.
	DeviceTrustDays int `json:"deviceTrustDays"`

	// CodeFrom is the step-up of the password+code policy: a challenge whose score is at least this
	// asks for the one-time code after the password; below it the password alone. 0: every challenge
	// asks for the code.
	CodeFrom int `json:"codeFrom"`
}

// CurrencyJPY is the ISO 4217 numeric code of the yen; CountryJapan the ISO 3166 numeric code of Japan.
const (
	CurrencyJPY  = "392"
	CountryJapan = "392"
)

// DefaultRules is the safe set Honnin starts with: a purchase is frictionless only when nothing about
// it is new or unusual, and anything that looks like fraud is challenged before it is refused.
func DefaultRules() Rules {
	return Rules{
		AmountThreshold:        map[string]int64{CurrencyJPY: 30000, "840": 20000, "978": 20000},
		DefaultAmountThreshold: 20000,
		SmallAmount:            map[string]int64{CurrencyJPY: 500, "840": 500, "978": 500},
		VelocityHour:           5,
		VelocityDay:            20,
		FrequencyLimitDay:      100,
		SmallAmountsHour:       3,
		MerchantsHour:          4,
		Weights: map[Signal]int{
			SignalAmountOverThreshold:  40,
			SignalNewDevice:            40,
			SignalNewMerchant:          15,
			SignalVelocityHour:         30,
			SignalVelocityDay:          20,
			SignalCardTestingAmounts:   60,
			SignalCardTestingMerchants: 60,
			SignalForeignMerchant:      20,
			SignalAddressMismatch:      15,
			SignalNewShippingAddress:   20,
			SignalNewAccount:           10,
			SignalSuspiciousAccount:    50,
			SignalCredentialsChanged:   40,
			SignalRecentFailures:       30,
			SignalRecentLock:           50,
			SignalNoMethodData:         25,
			SignalNonPayment:           0,
			SignalCardMaintenance:      40,
			SignalTrustedMerchant:      -30,
		},
		ChallengeFrom:   40,
		DenyFrom:        120,
		DeviceTrustDays: 90,
	}
}

// Validate reports the first thing wrong with r, naming the field.
func (r Rules) Validate() error {
	switch {
	case r.DefaultAmountThreshold < 0:
		return errors.New("defaultAmountThreshold: must not be negative")
	case r.VelocityHour < 1 || r.VelocityDay < 1:
		return errors.New("velocityHour, velocityDay: must be at least 1")
	case r.FrequencyLimitDay < 0:
		return errors.New("frequencyLimitDay: must not be negative")
	case r.SmallAmountsHour < 1 || r.MerchantsHour < 1:
		return errors.New("smallAmountsHour, merchantsHour: must be at least 1")
	case r.ChallengeFrom < 1:
		return errors.New("challengeFrom: must be at least 1")
	case r.DenyFrom <= r.ChallengeFrom:
		return errors.New("denyFrom: must be above challengeFrom")
	case r.DeviceTrustDays < 0:
		return errors.New("deviceTrustDays: must not be negative")
	case r.CodeFrom < 0 || r.CodeFrom >= r.DenyFrom:
		return errors.New("codeFrom: 0 (always) or a score below denyFrom")
	}
	for cur, v := range r.AmountThreshold {
		if len(cur) != 3 || v < 0 {
			return fmt.Errorf("amountThreshold[%s]: a 3-digit currency and an amount not below 0", cur)
		}
	}
	for cur, v := range r.SmallAmount {
		if len(cur) != 3 || v < 0 {
			return fmt.Errorf("smallAmount[%s]: a 3-digit currency and an amount not below 0", cur)
		}
	}
	for s := range r.Weights {
		if !slices.Contains(AllSignals, s) {
			return fmt.Errorf("weights: unknown signal %q", s)
		}
	}
	return nil
}

// Fired is a signal that fired and the weight it added to the score.
type Fired struct {
	Signal Signal `json:"signal"`
	Weight int    `json:"weight"`
}

// Decision is the engine's answer for one AReq.
type Decision struct {
	Status emv.TransStatus       // Y (frictionless), C, N or I
	Reason emv.TransStatusReason // with N: 11 suspected fraud or 04 frequency limit
	Score  int
	Fired  []Fired // in AllSignals order
	// Why names the rule that settled the decision when it was not the score alone (an indicator, the
	// frequency limit); empty when the score decided.
	Why string
}
