package acs

// The EMV 3-D Secure messages Honnin reads and writes (browser channel, versions 2.1.0 and 2.2.0).
// Optional fields carry omitempty: real 3DS Servers and Directory Servers reject an empty string as a
// format error, so a field without a value is left out.

// Supported protocol versions.
const (
	V210 = "2.1.0"
	V220 = "2.2.0"
)

// SupportedVersion reports whether Honnin speaks a message version.
func SupportedVersion(v string) bool { return v == V210 || v == V220 }

// ACSReferenceNumber is Honnin's ACS reference number (EMVCo assigns the real one at approval).
const ACSReferenceNumber = "HONNIN-ACS-00001"

// AuthenticationTypeStatic is authenticationType 01: static passcode (the member's ID and password).
const AuthenticationTypeStatic = "01"

// AuthenticationMethodOther is the 2.2.0 authenticationMethod Honnin reports for its static password
// check: 09 ("other"), as no 2.2.0 method names a static password.
const AuthenticationMethodOther = "09"

// Transaction statuses.
const (
	StatusY = "Y"
	StatusN = "N"
	StatusU = "U"
	StatusA = "A"
	StatusC = "C"
	StatusR = "R"
)

// transStatusReason values Honnin uses.
const (
	ReasonAuthFailed     = "01"
	ReasonUnsupportedDev = "03"
	ReasonFrequencyLimit = "04"
	ReasonExpiredCard    = "05"
	ReasonInvalidCard    = "06"
	ReasonNoCardRecord   = "08"
	ReasonStolenCard     = "10"
	ReasonNotPermitted   = "12"
	ReasonNotEnrolled    = "13"
	ReasonTimedOut       = "14"
	ReasonMaxChallenges  = "19"
	Reason3RINotSupport  = "21"
)

// challengeCancel values.
const (
	CancelByCardholder = "01"
	CancelTimeout      = "04"
	CancelNoCReq       = "05"
)

// ECI values (Visa and JCB).
const (
	ECIAuthenticated = "05"
	ECIAttempt       = "06"
)

// AReq is the authentication request from the Directory Server. Only the fields Honnin reads are named;
// everything else the message carries is accepted and ignored.
type AReq struct {
	ThreeDSServerTransID              string `json:"threeDSServerTransID"`
	DSTransID                         string `json:"dsTransID"`
	DSReferenceNumber                 string `json:"dsReferenceNumber"`
	DSURL                             string `json:"dsURL"`
	ThreeDSServerRefNumber            string `json:"threeDSServerRefNumber"`
	ThreeDSServerURL                  string `json:"threeDSServerURL"`
	ThreeDSRequestorID                string `json:"threeDSRequestorID"`
	ThreeDSRequestorName              string `json:"threeDSRequestorName"`
	ThreeDSRequestorURL               string `json:"threeDSRequestorURL"`
	ThreeDSRequestorChallengeInd      string `json:"threeDSRequestorChallengeInd"`
	ThreeDSRequestorAuthenticationInd string `json:"threeDSRequestorAuthenticationInd"`
	ThreeDSCompInd                    string `json:"threeDSCompInd"`
	AcquirerBIN                       string `json:"acquirerBIN"`
	AcquirerMerchantID                string `json:"acquirerMerchantID"`
	AcctNumber                        string `json:"acctNumber"`
	CardExpiryDate                    string `json:"cardExpiryDate"`
	MCC                               string `json:"mcc"`
	MerchantCountryCode               string `json:"merchantCountryCode"`
	MerchantName                      string `json:"merchantName"`
	PurchaseAmount                    string `json:"purchaseAmount"`
	PurchaseCurrency                  string `json:"purchaseCurrency"`
	PurchaseExponent                  string `json:"purchaseExponent"`
	PurchaseDate                      string `json:"purchaseDate"`
	NotificationURL                   string `json:"notificationURL"`
	BrowserAcceptHeader               string `json:"browserAcceptHeader"`
	BrowserIP                         string `json:"browserIP"`
	BrowserJavaEnabled                *bool  `json:"browserJavaEnabled"`
	BrowserJavascriptEnabled          *bool  `json:"browserJavascriptEnabled"`
	BrowserLanguage                   string `json:"browserLanguage"`
	BrowserColorDepth                 string `json:"browserColorDepth"`
	BrowserScreenHeight               string `json:"browserScreenHeight"`
	BrowserScreenWidth                string `json:"browserScreenWidth"`
	BrowserTZ                         string `json:"browserTZ"`
	BrowserUserAgent                  string `json:"browserUserAgent"`
	MessageCategory                   string `json:"messageCategory"`
	MessageType                       string `json:"messageType"`
	MessageVersion                    string `json:"messageVersion"`
	DeviceChannel                     string `json:"deviceChannel"`
}

// ARes is the answer to an AReq.
type ARes struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	DSTransID            string `json:"dsTransID"`
	ACSTransID           string `json:"acsTransID"`
	ACSReferenceNumber   string `json:"acsReferenceNumber"`
	DSReferenceNumber    string `json:"dsReferenceNumber"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	TransStatus          string `json:"transStatus"`
	TransStatusReason    string `json:"transStatusReason,omitempty"`
	ACSURL               string `json:"acsURL,omitempty"`
	ACSChallengeMandated string `json:"acsChallengeMandated,omitempty"`
	AuthenticationType   string `json:"authenticationType,omitempty"`
	AuthenticationValue  string `json:"authenticationValue,omitempty"`
	ECI                  string `json:"eci,omitempty"`
	CardholderInfo       string `json:"cardholderInfo,omitempty"`
}

// CReq is the browser's challenge request (the creq form field, base64url JSON).
type CReq struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	ChallengeWindowSize  string `json:"challengeWindowSize"`
}

// CRes is the final challenge response posted to the notificationURL.
type CRes struct {
	ThreeDSServerTransID   string `json:"threeDSServerTransID"`
	ACSTransID             string `json:"acsTransID"`
	MessageType            string `json:"messageType"`
	MessageVersion         string `json:"messageVersion"`
	TransStatus            string `json:"transStatus"`
	ChallengeCompletionInd string `json:"challengeCompletionInd"`
}

// RReq is the result sent to the Directory Server once a challenge has ended.
type RReq struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	DSTransID            string `json:"dsTransID"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	MessageCategory      string `json:"messageCategory"`
	TransStatus          string `json:"transStatus"`
	InteractionCounter   string `json:"interactionCounter"`
	AuthenticationType   string `json:"authenticationType,omitempty"`
	AuthenticationMethod string `json:"authenticationMethod,omitempty"`
	AuthenticationValue  string `json:"authenticationValue,omitempty"`
	ECI                  string `json:"eci,omitempty"`
	TransStatusReason    string `json:"transStatusReason,omitempty"`
	ChallengeCancel      string `json:"challengeCancel,omitempty"`
}

// RRes is the Directory Server's receipt for an RReq.
type RRes struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	DSTransID            string `json:"dsTransID"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	ResultsStatus        string `json:"resultsStatus"`
}

// Erro codes Honnin sends.
const (
	ErrInvalidMessage   = "101"
	ErrVersion          = "102"
	ErrMissing          = "201"
	ErrCriticalExt      = "202"
	ErrFormat           = "203"
	ErrDuplicate        = "204"
	ErrTransID          = "301"
	ErrAccessDenied     = "303"
	ErrTransData        = "305"
	ErrTimedOut         = "402"
	ErrTransientFailure = "403"
)

var errorDescriptions = map[string]string{
	ErrInvalidMessage:   "Message Received Invalid",
	ErrVersion:          "Message Version Number Not Supported",
	ErrMissing:          "Required Data Element Missing",
	ErrCriticalExt:      "Critical Message Extension Not Recognised",
	ErrFormat:           "Format of One or More Data Elements is Invalid",
	ErrDuplicate:        "Duplicate Data Element",
	ErrTransID:          "Transaction ID Not Recognised",
	ErrAccessDenied:     "Access Denied, Invalid Endpoint",
	ErrTransData:        "Transaction Data Not Valid",
	ErrTimedOut:         "Transaction Timed Out",
	ErrTransientFailure: "Transient System Failure",
}

// Erro reports a defect in a message, or a failure handling it.
type Erro struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID,omitempty"`
	ACSTransID           string `json:"acsTransID,omitempty"`
	DSTransID            string `json:"dsTransID,omitempty"`
	ErrorCode            string `json:"errorCode"`
	ErrorComponent       string `json:"errorComponent"`
	ErrorDescription     string `json:"errorDescription"`
	ErrorDetail          string `json:"errorDetail"`
	ErrorMessageType     string `json:"errorMessageType,omitempty"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
}

// NewErro builds an Erro from the ACS ("A") about a message of type msgType.
func NewErro(code, detail, msgType, version string) *Erro {
	if !SupportedVersion(version) {
		version = V220
	}
	if detail == "" {
		detail = errorDescriptions[code]
	}
	return &Erro{
		ErrorCode: code, ErrorComponent: "A", ErrorDescription: errorDescriptions[code], ErrorDetail: detail,
		ErrorMessageType: msgType, MessageType: "Erro", MessageVersion: version,
	}
}

func (e *Erro) Error() string { return "erro " + e.ErrorCode + ": " + e.ErrorDetail }
