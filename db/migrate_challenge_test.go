package db

import (
	"testing"
)

// TestChallengeCheckingStep: the step 2026112611 leaves challenges with shown_to_hash and without
// tries_checked, and running it again (as a database made by a newer initial step would) changes nothing.
func TestChallengeCheckingStep(t *testing.T) {
	gdb, err := Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	if err := Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	var step func() error
	for _, m := range migrations {
		if m.ID == "2026112611_challenge_checking_and_shown_to" {
			step = func() error { return m.Migrate(gdb) }
		}
	}
	if step == nil {
		t.Fatal("the step is not in the migrations")
	}
	check := func(when string) {
		m := gdb.Table("challenges").Migrator()
		if !m.HasColumn(&Challenge{}, "shown_to_hash") || m.HasColumn(&Challenge{}, "tries_checked") {
			t.Errorf("%s: shown_to_hash %v, tries_checked %v", when, m.HasColumn(&Challenge{}, "shown_to_hash"), m.HasColumn(&Challenge{}, "tries_checked"))
		}
	}
	check("after Migrate")
	if err := step(); err != nil {
		t.Fatalf("the step run again: %v", err)
	}
	check("after running the step again")
	if err := gdb.Create(&Challenge{ACSTransID: "a", ThreeDSServerTransID: "s", DSTransID: "d", MessageVersion: "2.2.0",
		MessageCategory: "01", State: ChallengeChecking, TransStatus: "C", ShownToHash: "h"}).Error; err != nil {
		t.Errorf("a row of the live model does not fit the table: %v", err)
	}
}
