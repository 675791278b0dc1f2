package acs

import (
	"testing"

	"honnin/app/credentials"
	"honnin/app/emv"
	"honnin/app/risk"
	"honnin/db"
)

func TestChallengeMethod(t *testing.T) {
	stepUp := risk.DefaultRules()
	stepUp.CodeFrom = 80
	tests := []struct {
		name       string
		policy     credentials.CodePolicy
		hasAddress bool
		score      int
		rules      risk.Rules
		want       credentials.CodePolicy
	}{
		{"password", credentials.PolicyPassword, true, 200, risk.DefaultRules(), credentials.PolicyPassword},
		{"password+code always", credentials.PolicyPasswordCode, true, 0, risk.DefaultRules(), credentials.PolicyPasswordCode},
		{"password+code below codeFrom", credentials.PolicyPasswordCode, true, 79, stepUp, credentials.PolicyPassword},
		{"password+code at codeFrom", credentials.PolicyPasswordCode, true, 80, stepUp, credentials.PolicyPasswordCode},
		{"code whatever the score", credentials.PolicyCode, true, 0, stepUp, credentials.PolicyCode},
		{"password+code without an address", credentials.PolicyPasswordCode, false, 100, risk.DefaultRules(), credentials.PolicyPassword},
		{"code without an address", credentials.PolicyCode, false, 100, risk.DefaultRules(), credentials.PolicyPassword},
	}
	for _, tt := range tests {
		if got := challengeMethod(tt.policy, tt.hasAddress, tt.score, tt.rules); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The codes each method sends, checked against the code tables of 3ds-notes.md (emv's lists).
func TestAuthenticationCodesOfEachMethod(t *testing.T) {
	tests := []struct {
		method     string
		codesSent  int
		typ        string
		typName    string
		meth       string
		methodName string
	}{
		{"", 0, "01", "static", "01", "static passcode"},
		{"password", 0, "01", "static", "01", "static passcode"},
		{"password+code", 0, "02", "dynamic", "01", "static passcode"}, // ended before a code was sent
		{"password+code", 1, "02", "dynamic", "05", "OTP other"},
		{"code", 0, "02", "dynamic", "05", "OTP other"},
		{"code", 2, "02", "dynamic", "05", "OTP other"},
	}
	for _, tt := range tests {
		ch := &db.Challenge{Method: tt.method, CodesSent: tt.codesSent}
		typ, meth := authenticationType(ch), authenticationMethod(ch)
		if string(typ) != tt.typ || emv.AuthenticationTypes[typ] != tt.typName {
			t.Errorf("%q/%d: authenticationType %q (%s), want %s (%s)", tt.method, tt.codesSent, typ, emv.AuthenticationTypes[typ], tt.typ, tt.typName)
		}
		if string(meth) != tt.meth || emv.AuthenticationMethods[meth] != tt.methodName {
			t.Errorf("%q/%d: authenticationMethod %q (%s), want %s (%s)", tt.method, tt.codesSent, meth, emv.AuthenticationMethods[meth], tt.meth, tt.methodName)
		}
	}
}
