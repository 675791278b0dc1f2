package acs_test

import (
	"log/slog"
	"testing"

	"honnin/app/acs"
	"honnin/tests/testkit"
)

// TestChallengeStepsStatements bounds the SQL statements of the challenge's steps on both databases, so
// that a repeated read or a write outside the ending's transaction shows up here before it shows in the
// bench. On PostgreSQL the take sets its commit's durability in its own statement (no SET LOCAL).
func TestChallengeStepsStatements(t *testing.T) {
	tests := []struct {
		name       string
		password   string
		max, maxPG uint64
	}{
		// the take returning the row, holder and card (lock and sealed PAN, for the AV), member after
		// the hash, then the ending: update returning the row, device, merchant, RReq, the try's and
		// the result's events in one insert; on PostgreSQL the last four are one statement
		// (db.WriteTogether). (The lock is read again before the hash only when the answer queued for it.)
		{"right answer", "fuji-san-2026", 8, 5},
		// the take, holder and card lock, the failure count (update, read), the reopen with the try
		// event, the member for the form.
		{"wrong answer", "wrong-password", 7, 7},
	}
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, answer := acs.ChallengeStepStatements(t, testkit.OpenDBWithLog(t, b, slog.New(slog.DiscardHandler)), tt.password)
				t.Logf("page %d, answer %d statements", page, answer)
				if page > 2 {
					t.Errorf("the first CReq ran %d statements, want at most 2 (the row with its member, show)", page)
				}
				want := tt.max
				if b == testkit.Postgres {
					want = tt.maxPG
				}
				if answer > want {
					t.Errorf("the answer ran %d statements, want at most %d", answer, want)
				}
			})
		}
	})
}
