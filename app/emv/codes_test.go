package emv

import "testing"

func has[K ~string](t *testing.T, list map[K]string, codes ...K) {
	t.Helper()
	for _, c := range codes {
		if _, ok := list[c]; !ok {
			t.Errorf("%q is not in its code list", c)
		}
	}
}

// TestConstantsAreInTheirLists: every named code is a value of its list, and each list has the size
// of its table in the protocol notes.
func TestConstantsAreInTheirLists(t *testing.T) {
	has(t, MessageTypes, TypeAReq, TypeARes, TypeCReq, TypeCRes, TypeRReq, TypeRRes, TypeErro)
	has(t, TransStatuses, StatusY, StatusN, StatusU, StatusA, StatusC, StatusD, StatusR, StatusI)
	has(t, TransStatusReasons, ReasonAuthFailed, ReasonUnsupportedDevice, ReasonFrequencyLimit, ReasonExpiredCard, ReasonInvalidCard, ReasonNoCardRecord,
		ReasonStolenCard, ReasonNotPermitted, ReasonNotEnrolled, ReasonTimedOut, ReasonMaxChallenges, Reason3RINotSupported)
	has(t, ECIs, ECIAuthenticated, ECIAttempt, ECINotAuthenticated)
	has(t, AuthenticationTypes, AuthenticationTypeStatic, AuthenticationTypeDynamic)
	has(t, AuthenticationMethods, AuthenticationMethodStaticPasscode, AuthenticationMethodEmailOTP)
	has(t, ChallengeCancels, CancelByCardholder, CancelTimeout, CancelNoCReq)
	has(t, YesNos, Yes, No)
	has(t, ErrorCodes, ErrInvalidMessage, ErrVersion, ErrMissing, ErrCriticalExt, ErrFormat, ErrDuplicate, ErrTransID,
		ErrAccessDenied, ErrTransData, ErrTimedOut, ErrTransientFailure)
	has(t, ErrorComponents, ComponentACS, ComponentDS)
	has(t, MessageTypes, TypePReq, TypePRes)
	has(t, ACSInfoInds, ACSInfoAuthentication, ACSInfoWhitelisting)
	if ACSInfoAuthentication != "01" || ACSInfoWhitelisting != "04" || len(ACSInfoInds) != 4 {
		t.Errorf("acsInfoInd: 01 authentication available, 04 whitelisting supported, of four codes")
	}
	for name, got := range map[string]int{"transStatusReason": len(TransStatusReasons), "authenticationMethod": len(AuthenticationMethods),
		"challengeCancel": len(ChallengeCancels), "errorCode": len(ErrorCodes), "authenticationType": len(AuthenticationTypes)} {
		want := map[string]int{"transStatusReason": 26, "authenticationMethod": 11, "challengeCancel": 6, "errorCode": 17, "authenticationType": 4}[name]
		if got != want {
			t.Errorf("%s has %d codes, the notes %d", name, got, want)
		}
	}
	if AuthenticationMethodStaticPasscode != "01" || AuthenticationMethods[AuthenticationMethodStaticPasscode] != "static passcode" {
		t.Errorf("an ID and password check must be authenticationMethod 01 (static passcode)")
	}
	// The notes: a one-time code by e-mail is authenticationMethod 05 (OTP other) and a dynamic
	// authenticationType (02).
	if AuthenticationMethodEmailOTP != "05" || AuthenticationMethods[AuthenticationMethodEmailOTP] != "OTP other" {
		t.Errorf("a code by e-mail must be authenticationMethod 05 (OTP other)")
	}
	if AuthenticationTypeDynamic != "02" || AuthenticationTypes[AuthenticationTypeDynamic] != "dynamic" {
		t.Errorf("a one-time code must be authenticationType 02 (dynamic)")
	}
}
