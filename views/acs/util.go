package acs

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

// triesLeftKey picks the singular or plural sentence: English says "1 more try" but "2 more tries".
func triesLeftKey(n int) string {
	if n == 1 {
		return "acs.tries_left.one"
	}
	return "acs.tries_left.other"
}
