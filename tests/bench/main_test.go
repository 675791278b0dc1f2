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

// The climb takes the level of the best rate; a level not 2 % better than the best gets one more level's
// chance, and the second such level in a row ends the climb.
func TestClimb(t *testing.T) {
	levels := []int{2, 4, 8, 16, 32}
	for _, tc := range []struct {
		name        string
		rates       []float64
		workers     int
		probesTaken int
	}{
		{"rises then flattens", []float64{50, 90, 100, 100.5, 99}, 8, 5},
		{"one noisy level before the rise", []float64{88, 87, 100, 99, 98}, 8, 5},
		{"flat from the start", []float64{90, 91, 89, 120, 130}, 2, 3},
		{"2 % is not better", []float64{100, 102, 101, 150, 150}, 2, 3},
		{"rises to the last level", []float64{10, 20, 30, 40, 50}, 32, 5},
	} {
		var c climb
		taken := 0
		for i, n := range levels {
			taken++
			if !c.next(n, tc.rates[i]) {
				break
			}
		}
		if c.workers != tc.workers || taken != tc.probesTaken {
			t.Errorf("%s: the climb chose %d workers after %d probes, want %d after %d", tc.name, c.workers, taken, tc.workers, tc.probesTaken)
		}
	}
}
