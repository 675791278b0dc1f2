// Package emv holds the EMV 3-D Secure messages (browser channel, versions 2.1.0 and 2.2.0) and the code
// lists of their coded fields, shared by the ACS and the demo's 3DS Server and Directory Server. It has
// no behaviour: what a message means is decided by its users.
package emv

// Protocol versions Honnin speaks.
const (
	V210 = "2.1.0"
	V220 = "2.2.0"
)

// MessageType is a message's messageType.
type MessageType string

// Message types.
const (
	TypeAReq MessageType = "AReq"
	TypeARes MessageType = "ARes"
	TypeCReq MessageType = "CReq"
	TypeCRes MessageType = "CRes"
	TypeRReq MessageType = "RReq"
	TypeRRes MessageType = "RRes"
	TypeErro MessageType = "Erro"
	// The card-range exchange between a 3DS Server and a Directory Server (the demo plays both).
	TypePReq MessageType = "PReq"
	TypePRes MessageType = "PRes"
)

// MessageTypes is the code list of messageType (browser channel).
var MessageTypes = map[MessageType]string{
	TypeAReq: "authentication request", TypeARes: "authentication response", TypeCReq: "challenge request",
	TypeCRes: "challenge response", TypeRReq: "results request", TypeRRes: "results response", TypeErro: "error",
	TypePReq: "preparation request", TypePRes: "preparation response",
}

// TransStatus is transStatus.
type TransStatus string

// Transaction statuses.
const (
	StatusY TransStatus = "Y"
	StatusN TransStatus = "N"
	StatusU TransStatus = "U"
	StatusA TransStatus = "A"
	StatusC TransStatus = "C"
	StatusD TransStatus = "D"
	StatusR TransStatus = "R"
	StatusI TransStatus = "I"
)

// TransStatuses is the code list of transStatus.
var TransStatuses = map[TransStatus]string{
	StatusY: "authenticated", StatusN: "not authenticated", StatusU: "could not be performed",
	StatusA: "attempt proven", StatusC: "challenge required", StatusD: "decoupled challenge",
	StatusR: "rejected", StatusI: "informational only",
}

// TransStatusReason is transStatusReason (with N, U and R).
type TransStatusReason string

// Reasons Honnin gives.
const (
	ReasonAuthFailed        TransStatusReason = "01"
	ReasonUnsupportedDevice TransStatusReason = "03"
	ReasonFrequencyLimit    TransStatusReason = "04"
	ReasonExpiredCard       TransStatusReason = "05"
	ReasonInvalidCard       TransStatusReason = "06"
	ReasonNoCardRecord      TransStatusReason = "08"
	ReasonStolenCard        TransStatusReason = "10"
	ReasonSuspectedFraud    TransStatusReason = "11"
	ReasonNotPermitted      TransStatusReason = "12"
	ReasonNotEnrolled       TransStatusReason = "13"
	ReasonTimedOut          TransStatusReason = "14"
	ReasonMaxChallenges     TransStatusReason = "19"
	Reason3RINotSupported   TransStatusReason = "21"
)

// TransStatusReasons is the code list of transStatusReason an ACS may send (80–99 belong to the
// Directory Server).
var TransStatusReasons = map[TransStatusReason]string{
	"01": "card authentication failed", "02": "unknown device", "03": "unsupported device",
	"04": "exceeds authentication frequency limit", "05": "expired card", "06": "invalid card number",
	"07": "invalid transaction", "08": "no card record", "09": "security failure", "10": "stolen card",
	"11": "suspected fraud", "12": "transaction not permitted to cardholder", "13": "cardholder not enrolled in service",
	"14": "transaction timed out at the ACS", "15": "low confidence", "16": "medium confidence",
	"17": "high confidence", "18": "very high confidence", "19": "exceeds ACS maximum challenges",
	"20": "non-payment transaction not supported", "21": "3RI transaction not supported", "22": "ACS technical issue",
	"23": "decoupled authentication required by ACS but not requested", "24": "3DS Requestor decoupled max expiry time exceeded",
	"25": "decoupled authentication was provided insufficient time", "26": "authentication attempted but not performed by the cardholder",
}

// ECI is the electronic commerce indicator (Visa and JCB use the same values).
type ECI string

// ECI values.
const (
	ECIAuthenticated    ECI = "05"
	ECIAttempt          ECI = "06"
	ECINotAuthenticated ECI = "07"
)

// ECIs is the code list of eci.
var ECIs = map[ECI]string{ECIAuthenticated: "authenticated", ECIAttempt: "attempt", ECINotAuthenticated: "not authenticated"}

// AuthenticationType is authenticationType.
type AuthenticationType string

// Honnin's authentication types: the member's ID and password (static), or a one-time code by e-mail
// (dynamic), as the issuer's code policy says.
const (
	AuthenticationTypeStatic  AuthenticationType = "01"
	AuthenticationTypeDynamic AuthenticationType = "02"
)

// AuthenticationTypes is the code list of authenticationType.
var AuthenticationTypes = map[AuthenticationType]string{"01": "static", "02": "dynamic", "03": "out of band", "04": "decoupled"}

// AuthenticationMethod is the 2.2.0 RReq's authenticationMethod.
type AuthenticationMethod string

// Honnin's authentication methods: an ID and password check, or a one-time code sent by e-mail (the
// code table's "OTP other"; 02 is reserved for SMS).
const (
	AuthenticationMethodStaticPasscode AuthenticationMethod = "01"
	AuthenticationMethodEmailOTP       AuthenticationMethod = "05"
)

// AuthenticationMethods is the code list of authenticationMethod.
var AuthenticationMethods = map[AuthenticationMethod]string{
	"01": "static passcode", "02": "SMS OTP", "03": "key fob or EMV card reader OTP", "04": "app OTP",
	"05": "OTP other", "06": "knowledge-based", "07": "OOB biometrics", "08": "OOB login", "09": "OOB other",
	"10": "other", "11": "push confirmation",
}

// ChallengeCancel is challengeCancel.
type ChallengeCancel string

// Cancellation reasons Honnin gives.
const (
	CancelByCardholder ChallengeCancel = "01"
	CancelTimeout      ChallengeCancel = "04"
	CancelNoCReq       ChallengeCancel = "05"
)

// ChallengeCancels is the code list of challengeCancel.
var ChallengeCancels = map[ChallengeCancel]string{
	"01": "cardholder cancelled", "04": "timed out at the ACS (no answer in time)",
	"05": "timed out at the ACS (first CReq never came)", "06": "transaction error", "07": "unknown",
	"08": "timed out at the SDK",
}

// YesNo is a Y/N indicator such as acsChallengeMandated or challengeCompletionInd.
type YesNo string

// Indicator values.
const (
	Yes YesNo = "Y"
	No  YesNo = "N"
)

// YesNos is the code list of Y/N indicators.
var YesNos = map[YesNo]string{Yes: "yes", No: "no"}

// ResultsStatus is the RRes's resultsStatus.
type ResultsStatus string

// ResultsReceived is resultsStatus 01: the RReq was received.
const ResultsReceived ResultsStatus = "01"

// ErrorCode is an Erro's errorCode.
type ErrorCode string

// Error codes.
const (
	ErrInvalidMessage   ErrorCode = "101"
	ErrVersion          ErrorCode = "102"
	ErrMissing          ErrorCode = "201"
	ErrCriticalExt      ErrorCode = "202"
	ErrFormat           ErrorCode = "203"
	ErrDuplicate        ErrorCode = "204"
	ErrTransID          ErrorCode = "301"
	ErrAccessDenied     ErrorCode = "303"
	ErrTransData        ErrorCode = "305"
	ErrTimedOut         ErrorCode = "402"
	ErrTransientFailure ErrorCode = "403"
)

// ErrorCodes is the code list of errorCode, with each code's errorDescription.
var ErrorCodes = map[ErrorCode]string{
	"101": "Message Received Invalid",
	"102": "Message Version Number Not Supported",
	"201": "Required Data Element Missing",
	"202": "Critical Message Extension Not Recognised",
	"203": "Format of One or More Data Elements is Invalid",
	"204": "Duplicate Data Element",
	"301": "Transaction ID Not Recognised",
	"302": "Data Decryption Failure",
	"303": "Access Denied, Invalid Endpoint",
	"304": "ISO Code Invalid",
	"305": "Transaction Data Not Valid",
	"306": "MCC Not Valid for Payment System",
	"307": "Serial Number Not Valid",
	"402": "Transaction Timed Out",
	"403": "Transient System Failure",
	"404": "Permanent System Failure",
	"405": "System Connection Failure",
}

// ErrorComponent is an Erro's errorComponent: who found the error.
type ErrorComponent string

// Components.
const (
	ComponentACS ErrorComponent = "A"
	ComponentDS  ErrorComponent = "D"
)

// ErrorComponents is the code list of errorComponent.
var ErrorComponents = map[ErrorComponent]string{"A": "ACS", "C": "3DS SDK", "D": "Directory Server", "S": "3DS Server"}

// MessageCategory is messageCategory.
type MessageCategory string

// MessageCategories is the code list of messageCategory.
var MessageCategories = map[MessageCategory]string{"01": "payment", "02": "non-payment"}

// WhiteListStatus is whiteListStatus (2.2.0): the merchant's place on the cardholder's trust list.
type WhiteListStatus string

// Trust-list statuses Honnin sends.
const (
	WhiteListTrusted     WhiteListStatus = "Y"
	WhiteListNotTrusted  WhiteListStatus = "N"
	WhiteListNotEligible WhiteListStatus = "E"
)

// WhiteListStatuses is the code list of whiteListStatus.
var WhiteListStatuses = map[WhiteListStatus]string{"Y": "trusted by the cardholder", "N": "not trusted",
	"E": "not eligible", "P": "pending confirmation", "R": "rejected", "U": "status unknown"}

// WhiteListStatusSource is whiteListStatusSource: who set the trust-list status.
type WhiteListStatusSource string

// WhiteListSourceACS: Honnin, the ACS, sets every status it sends.
const WhiteListSourceACS WhiteListStatusSource = "03"

// WhiteListStatusSources is the code list of whiteListStatusSource.
var WhiteListStatusSources = map[WhiteListStatusSource]string{"01": "3DS Server", "02": "Directory Server", "03": "ACS"}

// ACSInfoInd is acsInfoInd (2.2.0 card ranges): what the ACS supports for a card range.
type ACSInfoInd string

// What Honnin's ACS supports: authentication, and the trust list (whitelisting) on 2.2.0. It proves no
// attempts and has no decoupled authentication.
const (
	ACSInfoAuthentication ACSInfoInd = "01"
	ACSInfoWhitelisting   ACSInfoInd = "04"
)

// ACSInfoInds is the code list of acsInfoInd.
var ACSInfoInds = map[ACSInfoInd]string{"01": "authentication available at the ACS", "02": "attempts supported by the ACS or DS",
	"03": "decoupled authentication supported", "04": "whitelisting supported"}
