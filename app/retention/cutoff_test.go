package retention

import (
	"testing"
	"time"
)

func TestCutoff(t *testing.T) {
	now := time.Date(2027, 6, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		p    period
		want time.Time
	}{
		{period{months: 18}, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)},
		{period{months: 13}, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		{period{days: 30}, time.Date(2027, 5, 16, 10, 0, 0, 0, time.UTC)},
		{period{}, now},
	}
	for _, tt := range tests {
		if got := tt.p.cutoff(now); !got.Equal(tt.want) {
			t.Errorf("%+v: cutoff %v, want %v", tt.p, got, tt.want)
		}
	}
}
