package tests

import (
	"regexp"
	"testing"
)

// notesCodes are the code lists of 3ds-notes.md (the project's protocol notes), written out here so
// that the check does not depend on the ACS's own tables: every coded field the ACS sends must carry
// one of these values.
var notesCodes = map[string]map[string]bool{
	"messageType":            set("AReq", "ARes", "CReq", "CRes", "RReq", "RRes", "Erro"),
	"transStatus":            set("Y", "N", "U", "A", "C", "D", "R", "I"),
	"transStatusReason":      set(codeRange(1, 26)...),
	"eci":                    set("05", "06", "07"),
	"authenticationType":     set("01", "02", "03", "04"),
	"authenticationMethod":   set(codeRange(1, 11)...),
	"challengeCancel":        set("01", "04", "05", "06", "07", "08"),
	"acsChallengeMandated":   set("Y", "N"),
	"challengeCompletionInd": set("Y", "N"),
	"messageCategory":        set("01", "02"),
	"errorComponent":         set("A"),
	"errorCode": set("101", "102", "201", "202", "203", "204", "301", "302", "303", "304", "305", "306", "307",
		"402", "403", "404", "405"),
	"errorMessageType":      set("AReq", "CReq"),
	"whiteListStatus":       set("Y", "N", "E", "P", "R", "U"),
	"whiteListStatusSource": set("01", "02", "03"),
}

func set(vals ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vals {
		m[v] = true
	}
	return m
}

func codeRange(lo, hi int) []string {
	var out []string
	for i := lo; i <= hi; i++ {
		out = append(out, string(rune('0'+i/10))+string(rune('0'+i%10)))
	}
	return out
}

var twoDigits = regexp.MustCompile(`^[0-9]{2}$`)

// checkCodes fails when a coded field of a message the ACS sent holds a value outside its code list,
// or interactionCounter is not two digits.
func checkCodes(t *testing.T, name string, m map[string]any) {
	t.Helper()
	for field, codes := range notesCodes {
		if v, ok := m[field]; ok {
			if s, _ := v.(string); !codes[s] {
				t.Errorf("%s: %s = %v is not in the 3ds-notes code list", name, field, v)
			}
		}
	}
	if v, ok := m["interactionCounter"]; ok {
		if s, _ := v.(string); !twoDigits.MatchString(s) {
			t.Errorf("%s: interactionCounter %v is not two digits", name, v)
		}
	}
}

// TestCodeListsRefuseUnknownValues keeps checkCodes honest: it must refuse values outside the lists.
func TestCodeListsRefuseUnknownValues(t *testing.T) {
	for field, bad := range map[string]string{"transStatus": "X", "transStatusReason": "27", "eci": "02",
		"authenticationMethod": "12", "challengeCancel": "02", "errorCode": "999", "interactionCounter": "3",
		"whiteListStatus": "X", "whiteListStatusSource": "04"} {
		inner := &testing.T{}
		checkCodes(inner, "probe", map[string]any{field: bad})
		if !inner.Failed() {
			t.Errorf("checkCodes accepts %s = %s", field, bad)
		}
	}
}
