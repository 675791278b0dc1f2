package acs_test

import (
	"context"
	"testing"
	"time"

	"honnin/app/acs"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestCountAReq(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		now := time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC)
		steps := []struct {
			name         string
			card, ds     string
			at           time.Time
			wantCard, wd int
		}{
			{"first AReq", "card:a", "ds:x", now, 1, 1},
			{"same card, same DS", "card:a", "ds:x", now.Add(10 * time.Second), 2, 2},
			{"other card, same DS", "card:b", "ds:x", now, 1, 3},
			{"same card, other DS", "card:a", "ds:y", now, 3, 1},
			{"next window starts again", "card:a", "ds:x", now.Add(time.Minute), 1, 1},
		}
		for _, s := range steps {
			got, err := acs.CountAReq(ctx, gdb, s.card, s.ds, time.Minute, s.at)
			if err != nil || got.Card != s.wantCard || got.DS != s.wd {
				t.Errorf("%s: %+v %v, want card %d, DS %d", s.name, got, err, s.wantCard, s.wd)
			}
		}
		n, err := acs.SweepAReqCounters(ctx, gdb, time.Minute, now.Add(time.Minute))
		var left int64
		gdb.Model(&db.AReqCounter{}).Count(&left)
		if err != nil || n != 4 || left != 2 {
			t.Errorf("sweep removed %d (%v), %d left; want 4 removed, the current window's 2 left", n, err, left)
		}
	})
}

func TestBearerMatches(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		header, want string
		ok           bool
	}{
		{"Bearer " + token, token, true},
		{"bearer " + token, token, true},
		{"Bearer  " + token + " ", token, true},
		{"Bearer " + token[:31], token, false},
		{"Bearer " + token + "0", token, false},
		{"Basic " + token, token, false},
		{token, token, false},
		{"", token, false},
		{"Bearer ", "", false},
	} {
		if got := acs.BearerMatches(tt.header, tt.want); got != tt.ok {
			t.Errorf("BearerMatches(%q) = %v, want %v", tt.header, got, tt.ok)
		}
	}
}
