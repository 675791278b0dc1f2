package support

import (
	"context"
	"testing"
	"time"

	"honnin/db"
)

func TestFailuresInARow(t *testing.T) {
	challenge := "6f0a3c7e-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
	type ev struct {
		kind, result string
		viaChallenge bool
	}
	tests := []struct {
		name   string
		events []ev
		want   int64
	}{
		{"nothing recorded", nil, 0},
		{"portal failures up to the lock", []ev{
			{db.EventLogin, "wrong_credentials", false}, {db.EventLogin, "wrong_credentials", false},
			{db.EventLock, "locked", false}, {db.EventLogin, "wrong_credentials", false}}, 3},
		{"the try that locked counts once, tries while locked not at all", []ev{
			{db.EventChallengeTry, "wrong_credentials", true}, {db.EventLock, "locked", true},
			{db.EventChallengeTry, "locked", true}, {db.EventLogin, "locked", false}}, 2},
		{"a success starts afresh", []ev{
			{db.EventLogin, "wrong_credentials", false}, {db.EventChallengeTry, "ok", true},
			{db.EventLogin, "wrong_credentials", false}}, 1},
		{"an unlock starts afresh", []ev{
			{db.EventLogin, "wrong_credentials", false}, {db.EventUnlock, "unlocked", false}}, 0},
		{"logouts and registrations are no failures", []ev{
			{db.EventLogout, "ok", false}, {db.EventRegistration, "ok", false}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			m := f.member(t, "suzuki02")
			f.DB.Where("member_id = ?", m.ID).Delete(&db.AuthEvent{})
			at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			for i, e := range tt.events {
				row := db.AuthEvent{MemberID: &m.ID, Kind: e.kind, Result: db.EventResult(e.result), CreatedAt: at.Add(time.Duration(i) * time.Minute)}
				if e.viaChallenge {
					row.ChallengeID = &challenge
				}
				if err := f.DB.Create(&row).Error; err != nil {
					t.Fatal(err)
				}
			}
			got, err := FailuresInARow(context.Background(), f.DB, m.ID)
			if err != nil || got != tt.want {
				t.Errorf("got %d (%v), want %d", got, err, tt.want)
			}
		})
	}
}
