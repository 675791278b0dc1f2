package member

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"honnin/app/credentials"
	"honnin/db"
)

func TestTriesLeft(t *testing.T) {
	tests := []struct {
		failures, threshold, want int
	}{
		{0, 5, 0},
		{1, 5, 0},
		{2, 5, 0},
		{3, 5, 2}, // from the third failure on
		{4, 5, 1},
		{5, 5, 0}, // locked: the lock message says the rest
		{3, 10, 7},
		{1, 3, 2}, // a low threshold warns at once
		{2, 3, 1},
	}
	for _, tt := range tests {
		if got := triesLeft(tt.failures, tt.threshold); got != tt.want {
			t.Errorf("triesLeft(%d, %d) = %d, want %d", tt.failures, tt.threshold, got, tt.want)
		}
	}
}

// answerOf is what a login answer says: wrong (with tries left), locked just now (the page shows the
// ordinary answer), or locked (only after the right password).
func answerOf(a LoginAnswer) string {
	switch {
	case a.Outcome == credentials.Locked:
		return "locked"
	case a.JustLocked:
		return "locked now"
	case a.Outcome == credentials.Wrong:
		return "wrong, left " + strconv.Itoa(a.TriesLeft)
	}
	return "ok"
}

// An ID that names no member gets the same answers, try by try, as a real one: the page cannot tell.
func TestLoginWarnedTreatsUnknownIDsLikeRealOnes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	checker := *f.Checker
	checker.Policy = credentials.Policy{Threshold: 5, LockFor: time.Hour}
	answers := func(id string) []string {
		var got []string
		for range 7 {
			a, err := LoginWarned(ctx, f.DB, &checker, f.Sealer, id, "not-the-password", credentials.Origin{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, answerOf(a))
		}
		return got
	}
	real, unknown := answers("sato03"), answers("no.such.member")
	// The lock is told only to the right password: a wrong one to a locked ID gets the ordinary answer.
	want := []string{"wrong, left 0", "wrong, left 0", "wrong, left 2", "wrong, left 1", "locked now", "wrong, left 0", "wrong, left 0"}
	for i := range want {
		if real[i] != want[i] || unknown[i] != want[i] {
			t.Errorf("try %d: real ID %q, unknown ID %q, want %q", i+1, real[i], unknown[i], want[i])
		}
	}
	// The unknown ID is stored only as a keyed hash, and its case and width do not matter.
	var rows []db.LoginIDFailure
	f.DB.Find(&rows)
	if len(rows) != 1 || rows[0].IDHash != f.Sealer.Hash("login-id", "no.such.member") || rows[0].LockedUntil == nil {
		t.Fatalf("rows %+v", rows)
	}
	a, err := LoginWarned(ctx, f.DB, &checker, f.Sealer, "ＮＯ.ＳＵＣＨ.ＭＥＭＢＥＲ", "x", credentials.Origin{})
	if err != nil || answerOf(a) != "wrong, left 0" {
		t.Errorf("full-width form of the locked unknown ID: %+v %v", a, err)
	}
	var after db.LoginIDFailure
	f.DB.Take(&after)
	if after.FailedAttempts != rows[0].FailedAttempts {
		t.Errorf("a try during the lock counted: %d failures, were %d", after.FailedAttempts, rows[0].FailedAttempts)
	}
	// A member who registers that ID later is not held by the unknown ID's lock.
	var m db.Member
	f.DB.Where("login_id = ?", "yamada01").Take(&m)
	f.DB.Model(&m).Update("login_id", "no.such.member")
	a, err = LoginWarned(ctx, f.DB, &checker, f.Sealer, "no.such.member", "fuji-san-2026", credentials.Origin{})
	if err != nil || a.Outcome != credentials.OK {
		t.Errorf("a real member with a once-unknown ID: %+v %v", a, err)
	}
}

// Concurrent wrong tries on an unknown ID lock it once, at the threshold, like a real one.
func TestLoginWarnedUnknownIDLocksOnceUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	checker := *f.Checker
	checker.Policy = credentials.Policy{Threshold: 5, LockFor: time.Hour}
	var wg sync.WaitGroup
	var mu sync.Mutex
	justLocked, failures := 0, 0
	for range 12 {
		wg.Go(func() {
			a, err := LoginWarned(ctx, f.DB, &checker, f.Sealer, "ghost.id", "wrong-pass", credentials.Origin{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				failures++
				return
			}
			if a.JustLocked {
				justLocked++
			}
		})
	}
	wg.Wait()
	if failures > 0 {
		return
	}
	if justLocked != 1 {
		t.Errorf("%d answers locked the ID, want exactly 1", justLocked)
	}
	var row db.LoginIDFailure
	if err := f.DB.Take(&row).Error; err != nil || row.LockedUntil == nil {
		t.Errorf("after the burst the unknown ID is not locked: %+v %v", row, err)
	}
}
