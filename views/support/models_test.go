package support

import (
	"testing"
	"time"
)

func TestWhenIsJapanTime(t *testing.T) {
	if got := When(time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC)); got != "2026-11-25 00:30:00" {
		t.Errorf("When = %q", got)
	}
}
