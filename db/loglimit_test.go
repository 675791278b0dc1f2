package db

import (
	"testing"
	"time"
)

func TestLogLimit(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := LogLimit{Every: time.Second}
	steps := []struct {
		kind     string
		at       time.Duration
		ok       bool
		wantHeld int
	}{
		{"slow", 0, true, 0},
		{"slow", 10 * time.Millisecond, false, 0},
		{"slow", 999 * time.Millisecond, false, 0},
		{"failed", 999 * time.Millisecond, true, 0}, // each kind has its own interval
		{"slow", time.Second, true, 2},              // the two held back are reported once
		{"slow", 1500 * time.Millisecond, false, 0},
		{"slow", 5 * time.Second, true, 1},
		{"slow", 10 * time.Second, true, 0},
	}
	for i, s := range steps {
		ok, held := l.Allow(s.kind, t0.Add(s.at))
		if ok != s.ok || held != s.wantHeld {
			t.Errorf("step %d (%s at %v): ok %v held %d, want %v %d", i, s.kind, s.at, ok, held, s.ok, s.wantHeld)
		}
	}
}
