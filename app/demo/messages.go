package demo

// The messages the demo plays, from the 3DS Server's and the Directory Server's side. The demo keeps
// its own definitions: faces never import each other, and a real shop would not share the ACS's code.

type ares struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	TransStatus          string `json:"transStatus"`
	TransStatusReason    string `json:"transStatusReason"`
	ACSURL               string `json:"acsURL"`
	ECI                  string `json:"eci"`
	AuthenticationValue  string `json:"authenticationValue"`
	ErrorCode            string `json:"errorCode"`
	ErrorDetail          string `json:"errorDetail"`
}

type cres struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	MessageType          string `json:"messageType"`
	TransStatus          string `json:"transStatus"`
	ErrorCode            string `json:"errorCode"`
}

type rreq struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	DSTransID            string `json:"dsTransID"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	TransStatus          string `json:"transStatus"`
	TransStatusReason    string `json:"transStatusReason"`
	ChallengeCancel      string `json:"challengeCancel"`
	ECI                  string `json:"eci"`
	AuthenticationValue  string `json:"authenticationValue"`
}

type rres struct {
	ThreeDSServerTransID string `json:"threeDSServerTransID"`
	ACSTransID           string `json:"acsTransID"`
	DSTransID            string `json:"dsTransID"`
	MessageType          string `json:"messageType"`
	MessageVersion       string `json:"messageVersion"`
	ResultsStatus        string `json:"resultsStatus"`
}

type dsErro struct {
	ErrorCode        string `json:"errorCode"`
	ErrorComponent   string `json:"errorComponent"`
	ErrorDescription string `json:"errorDescription"`
	ErrorDetail      string `json:"errorDetail"`
	MessageType      string `json:"messageType"`
	MessageVersion   string `json:"messageVersion"`
}
