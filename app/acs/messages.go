package acs

import "honnin/app/emv"

// supportedVersion reports whether Honnin speaks a message version.
func supportedVersion(v string) bool { return v == emv.V210 || v == emv.V220 }

// acsReferenceNumber is Honnin's ACS reference number (EMVCo assigns the real one at approval).
const acsReferenceNumber = "HONNIN-ACS-00001"

// newErro builds an Erro from the ACS about a message of type msgType.
func newErro(code emv.ErrorCode, detail string, msgType emv.MessageType, version string) *emv.Erro {
	if !supportedVersion(version) {
		version = emv.V220
	}
	if detail == "" {
		detail = emv.ErrorCodes[code]
	}
	return &emv.Erro{
		ErrorCode: code, ErrorComponent: emv.ComponentACS, ErrorDescription: emv.ErrorCodes[code], ErrorDetail: detail,
		ErrorMessageType: msgType, MessageType: emv.TypeErro, MessageVersion: version,
	}
}
