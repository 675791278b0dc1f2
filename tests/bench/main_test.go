package main

import "testing"

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
