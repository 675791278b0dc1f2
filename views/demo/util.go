package demo

import "strconv"

// signedWeight writes a signal's weight with its sign: +40, -30.
func signedWeight(w int) string {
	if w > 0 {
		return "+" + strconv.Itoa(w)
	}
	return strconv.Itoa(w)
}

// decisionKey names a risk decision: frictionless in the words every face uses, the others as the demo
// says them.
func decisionKey(status string) string {
	if status == "Y" {
		return "risk.frictionless"
	}
	return "demo.risk.decision." + status
}
