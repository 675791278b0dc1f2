package main

import (
	"encoding/json"
	"testing"
)

func TestSelected(t *testing.T) {
	for _, tc := range []struct {
		only, name string
		want       bool
	}{
		{"", "portal login", true},
		{"AReq", "AReq → ARes", true},
		{"areq", "AReq → ARes", true},
		{"areq", "frictionless AReq → ARes", true},
		{"stall,LOGIN", "portal login", true},
		{"stall", "portal login", false},
		{"stall", "baseline: argon2id", true},
	} {
		if got := selected(tc.only, tc.name); got != tc.want {
			t.Errorf("selected(%q, %q) = %v, want %v", tc.only, tc.name, got, tc.want)
		}
	}
}

// The AReq body is the template with its four fields filled in, and valid JSON.
func TestAReqBody(t *testing.T) {
	var env environment
	var got map[string]any
	if err := json.Unmarshal(env.areqBodyFor("4111111111111111", "server-tx"), &got); err != nil {
		t.Fatal(err)
	}
	if got["acctNumber"] != "4111111111111111" || got["threeDSServerTransID"] != "server-tx" {
		t.Errorf("acctNumber %v, threeDSServerTransID %v", got["acctNumber"], got["threeDSServerTransID"])
	}
	if ds, _ := got["dsTransID"].(string); len(ds) != 36 {
		t.Errorf("dsTransID %q is not a UUID", ds)
	}
	if date, _ := got["purchaseDate"].(string); len(date) != 14 {
		t.Errorf("purchaseDate %q is not YYYYMMDDhhmmss", date)
	}
}
