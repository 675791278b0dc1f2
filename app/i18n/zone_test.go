package i18n

import (
	"testing"
	"time"
)

func TestIssuerZone(t *testing.T) {
	for _, tt := range []struct {
		utc  time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC), "2026-11-26 00:00 JST"},
		{time.Date(2026, 7, 1, 3, 30, 0, 0, time.UTC), "2026-07-01 12:30 JST"}, // summer: no daylight saving
	} {
		if got := tt.utc.In(IssuerZone).Format("2006-01-02 15:04 MST"); got != tt.want {
			t.Errorf("%v in the issuer's zone = %q, want %q", tt.utc, got, tt.want)
		}
	}
}
