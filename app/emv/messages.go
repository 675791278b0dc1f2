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
	MessageCategory                   string       `json:"messageCategory"`
	MessageType                       MessageType  `json:"messageType"`
	MessageVersion                    string       `json:"messageVersion"`
	DeviceChannel                     string       `json:"deviceChannel"`
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
