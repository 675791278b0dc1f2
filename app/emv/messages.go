package emv

import "honnin/app/security"

// Optional fields carry omitempty: real 3DS Servers and Directory Servers reject an empty string as a
// format error, so a field without a value is left out.

// AReq is the authentication request from the Directory Server. Only the fields Honnin reads are named.
type AReq struct {
	ThreeDSServerTransID              string       `json:"threeDSServerTransID"`
	DSTransID                         string       `json:"dsTransID"`
	DSReferenceNumber                 string       `json:"dsReferenceNumber"`
	DSURL                             string       `json:"dsURL,omitempty"`
	ThreeDSServerRefNumber            string       `json:"threeDSServerRefNumber"`
	ThreeDSServerURL                  string       `json:"threeDSServerURL"`
	ThreeDSRequestorID                string       `json:"threeDSRequestorID"`
	ThreeDSRequestorName              string       `json:"threeDSRequestorName"`
	ThreeDSRequestorURL               string       `json:"threeDSRequestorURL"`
	ThreeDSRequestorChallengeInd      string       `json:"threeDSRequestorChallengeInd,omitempty"`
	ThreeDSRequestorAuthenticationInd string       `json:"threeDSRequestorAuthenticationInd,omitempty"`
	ThreeDSCompInd                    string       `json:"threeDSCompInd,omitempty"`
	AcquirerBIN                       string       `json:"acquirerBIN,omitempty"`
	AcquirerMerchantID                string       `json:"acquirerMerchantID,omitempty"`
	AcctNumber                        security.PAN `json:"acctNumber"` // masked when printed, logged or encoded
	CardExpiryDate                    string       `json:"cardExpiryDate"`
	MCC                               string       `json:"mcc,omitempty"`
	MerchantCountryCode               string       `json:"merchantCountryCode,omitempty"`
	MerchantName                      string       `json:"merchantName,omitempty"`
	PurchaseAmount                    string       `json:"purchaseAmount,omitempty"`
	PurchaseCurrency                  string       `json:"purchaseCurrency,omitempty"`
	PurchaseExponent                  string       `json:"purchaseExponent,omitempty"`
	PurchaseDate                      string       `json:"purchaseDate,omitempty"`
	NotificationURL                   string       `json:"notificationURL,omitempty"`
	BrowserAcceptHeader               string       `json:"browserAcceptHeader,omitempty"`
	BrowserIP                         string       `json:"browserIP,omitempty"`
	BrowserJavaEnabled                *bool        `json:"browserJavaEnabled,omitempty"`
	BrowserJavascriptEnabled          *bool        `json:"browserJavascriptEnabled,omitempty"`
	BrowserLanguage                   string       `json:"browserLanguage,omitempty"`
	BrowserColorDepth                 string       `json:"browserColorDepth,omitempty"`
	BrowserScreenHeight               string       `json:"browserScreenHeight,omitempty"`
	BrowserScreenWidth                string       `json:"browserScreenWidth,omitempty"`
	BrowserTZ                         string       `json:"browserTZ,omitempty"`
	BrowserUserAgent                  string       `json:"browserUserAgent,omitempty"`
	// Cardholder data the requestor holds, read by the risk engine.
	AddrMatch       string      `json:"addrMatch,omitempty"`
	AcctInfo        *AcctInfo   `json:"acctInfo,omitempty"`
	MessageCategory string      `json:"messageCategory"`
	MessageType     MessageType `json:"messageType"`
	MessageVersion  string      `json:"messageVersion"`
	DeviceChannel   string      `json:"deviceChannel"`
}

// AcctInfo is what the 3DS Requestor knows of the shopper's account with it (all optional).
type AcctInfo struct {
	ChAccAgeInd           string `json:"chAccAgeInd,omitempty"`
	ChAccChange           string `json:"chAccChange,omitempty"`
	ChAccChangeInd        string `json:"chAccChangeInd,omitempty"`
	ChAccDate             string `json:"chAccDate,omitempty"`
	ChAccPwChange         string `json:"chAccPwChange,omitempty"`
	ChAccPwChangeInd      string `json:"chAccPwChangeInd,omitempty"`
	NbPurchaseAccount     string `json:"nbPurchaseAccount,omitempty"`
	ProvisionAttemptsDay  string `json:"provisionAttemptsDay,omitempty"`
	TxnActivityDay        string `json:"txnActivityDay,omitempty"`
	TxnActivityYear       string `json:"txnActivityYear,omitempty"`
	ShipAddressUsage      string `json:"shipAddressUsage,omitempty"`
	ShipAddressUsageInd   string `json:"shipAddressUsageInd,omitempty"`
	ShipNameIndicator     string `json:"shipNameIndicator,omitempty"`
	SuspiciousAccActivity string `json:"suspiciousAccActivity,omitempty"`
}

// ARes is the answer to an AReq.
type ARes struct {
	ThreeDSServerTransID string             `json:"threeDSServerTransID"`
	DSTransID            string             `json:"dsTransID"`
	ACSTransID           string             `json:"acsTransID"`
	ACSReferenceNumber   string             `json:"acsReferenceNumber"`
	DSReferenceNumber    string             `json:"dsReferenceNumber"`
	MessageType          MessageType        `json:"messageType"`
	MessageVersion       string             `json:"messageVersion"`
	TransStatus          TransStatus        `json:"transStatus"`
	TransStatusReason    TransStatusReason  `json:"transStatusReason,omitempty"`
	ACSURL               string             `json:"acsURL,omitempty"`
	ACSChallengeMandated YesNo              `json:"acsChallengeMandated,omitempty"`
	AuthenticationType   AuthenticationType `json:"authenticationType,omitempty"`
	AuthenticationValue  string             `json:"authenticationValue,omitempty"`
	ECI                  ECI                `json:"eci,omitempty"`
	CardholderInfo       string             `json:"cardholderInfo,omitempty"`
	// 2.2.0 trust list (whitelisting); sent only together.
	WhiteListStatus       WhiteListStatus       `json:"whiteListStatus,omitempty"`
	WhiteListStatusSource WhiteListStatusSource `json:"whiteListStatusSource,omitempty"`
}

// CReq is the browser's challenge request (the creq form field, base64url JSON).
type CReq struct {
	ThreeDSServerTransID string      `json:"threeDSServerTransID"`
	ACSTransID           string      `json:"acsTransID"`
	MessageType          MessageType `json:"messageType"`
	MessageVersion       string      `json:"messageVersion"`
	ChallengeWindowSize  string      `json:"challengeWindowSize"`
}

// CRes is the final challenge response posted to the notificationURL.
type CRes struct {
	ThreeDSServerTransID   string      `json:"threeDSServerTransID"`
	ACSTransID             string      `json:"acsTransID"`
	MessageType            MessageType `json:"messageType"`
	MessageVersion         string      `json:"messageVersion"`
	TransStatus            TransStatus `json:"transStatus"`
	ChallengeCompletionInd YesNo       `json:"challengeCompletionInd"`
	// 2.2.0 trust list, as in the ARes.
	WhiteListStatus       WhiteListStatus       `json:"whiteListStatus,omitempty"`
	WhiteListStatusSource WhiteListStatusSource `json:"whiteListStatusSource,omitempty"`
}

// RReq is the result sent to the Directory Server once a challenge has ended.
type RReq struct {
	ThreeDSServerTransID string               `json:"threeDSServerTransID"`
	ACSTransID           string               `json:"acsTransID"`
	DSTransID            string               `json:"dsTransID"`
	MessageType          MessageType          `json:"messageType"`
	MessageVersion       string               `json:"messageVersion"`
	MessageCategory      MessageCategory      `json:"messageCategory"`
	TransStatus          TransStatus          `json:"transStatus"`
	InteractionCounter   string               `json:"interactionCounter"` // challenge submissions, 2 digits
	AuthenticationType   AuthenticationType   `json:"authenticationType,omitempty"`
	AuthenticationMethod AuthenticationMethod `json:"authenticationMethod,omitempty"`
	AuthenticationValue  string               `json:"authenticationValue,omitempty"`
	ECI                  ECI                  `json:"eci,omitempty"`
	TransStatusReason    TransStatusReason    `json:"transStatusReason,omitempty"`
	ChallengeCancel      ChallengeCancel      `json:"challengeCancel,omitempty"`
	// 2.2.0 trust list, as in the ARes.
	WhiteListStatus       WhiteListStatus       `json:"whiteListStatus,omitempty"`
	WhiteListStatusSource WhiteListStatusSource `json:"whiteListStatusSource,omitempty"`
}

// RRes is the Directory Server's receipt for an RReq.
type RRes struct {
	ThreeDSServerTransID string        `json:"threeDSServerTransID"`
	ACSTransID           string        `json:"acsTransID"`
	DSTransID            string        `json:"dsTransID"`
	MessageType          MessageType   `json:"messageType"`
	MessageVersion       string        `json:"messageVersion"`
	ResultsStatus        ResultsStatus `json:"resultsStatus"`
}

// Erro reports a defect in a message, or a failure handling it.
type Erro struct {
	ThreeDSServerTransID string         `json:"threeDSServerTransID,omitempty"`
	ACSTransID           string         `json:"acsTransID,omitempty"`
	DSTransID            string         `json:"dsTransID,omitempty"`
	ErrorCode            ErrorCode      `json:"errorCode"`
	ErrorComponent       ErrorComponent `json:"errorComponent"`
	ErrorDescription     string         `json:"errorDescription"`
	ErrorDetail          string         `json:"errorDetail"`
	ErrorMessageType     MessageType    `json:"errorMessageType,omitempty"`
	MessageType          MessageType    `json:"messageType"`
	MessageVersion       string         `json:"messageVersion"`
}

// CardRangeData is one card range as a Directory Server publishes it in its PRes, and as the ACS
// operator registers it with the Directory Server.
type CardRangeData struct {
	StartRange              string       `json:"startRange"`
	EndRange                string       `json:"endRange"`
	ACSStartProtocolVersion string       `json:"acsStartProtocolVersion"`
	ACSEndProtocolVersion   string       `json:"acsEndProtocolVersion"`
	ThreeDSMethodURL        string       `json:"threeDSMethodURL,omitempty"`
	ACSInfoInd              []ACSInfoInd `json:"acsInfoInd,omitempty"`
}

// PReq asks a Directory Server for its card ranges (the demo's 3DS Server sends it).
type PReq struct {
	ThreeDSServerRefNumber string      `json:"threeDSServerRefNumber"`
	ThreeDSServerTransID   string      `json:"threeDSServerTransID"`
	MessageType            MessageType `json:"messageType"`
	MessageVersion         string      `json:"messageVersion"`
}

// PRes is a Directory Server's card ranges.
type PRes struct {
	ThreeDSServerTransID   string          `json:"threeDSServerTransID"`
	DSStartProtocolVersion string          `json:"dsStartProtocolVersion"`
	DSEndProtocolVersion   string          `json:"dsEndProtocolVersion"`
	MessageType            MessageType     `json:"messageType"`
	MessageVersion         string          `json:"messageVersion"`
	CardRangeData          []CardRangeData `json:"cardRangeData"`
}
