package acs

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		lo, hi   time.Duration
		want     time.Duration
	}{
		{0, time.Second, 10 * time.Minute, time.Second},
		{1, time.Second, 10 * time.Minute, time.Second},
		{2, time.Second, 10 * time.Minute, 2 * time.Second},
		{5, time.Second, 10 * time.Minute, 16 * time.Second},
		{10, time.Second, 10 * time.Minute, 512 * time.Second},
		{11, time.Second, 10 * time.Minute, 10 * time.Minute},
		{64, time.Second, 10 * time.Minute, 10 * time.Minute},
		{1 << 30, time.Second, 10 * time.Minute, 10 * time.Minute},
		{3, 50 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond},
		{2, 50 * time.Millisecond, 150 * time.Millisecond, 100 * time.Millisecond},
		{4, time.Second, time.Second, time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.attempts, tt.lo, tt.hi); got != tt.want {
			t.Errorf("backoff(%d, %v, %v) = %v, want %v", tt.attempts, tt.lo, tt.hi, got, tt.want)
		}
	}
}
