package acs

import (
	"encoding/base64"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/app/security"
	"honnin/db"
)

func TestDecodeCReq(t *testing.T) {
	good := `{"threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340","messageType":"CReq","messageVersion":"2.2.0","challengeWindowSize":"01"}`
	tests := []struct{ name, creq, code string }{
		{"unpadded base64url", base64.RawURLEncoding.EncodeToString([]byte(good + " ")), ""},
		{"padded base64url", base64.URLEncoding.EncodeToString([]byte(good)), ""},
		{"standard alphabet", base64.StdEncoding.EncodeToString([]byte(good + "  ")), ""},
		{"empty", "", "201"},
		{"not base64", "***", "101"},
		{"not JSON", base64.RawURLEncoding.EncodeToString([]byte("creq")), "101"},
		{"wrong type", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CRes","messageVersion":"2.2.0"}`)), "101"},
		{"missing window", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq","messageVersion":"2.2.0","threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340"}`)), "201"},
		{"bad window", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq","messageVersion":"2.2.0","threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340","challengeWindowSize":"06"}`)), "203"},
		{"duplicate key", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq","messageType":"CReq"}`)), "204"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, e := decodeCReq(tt.creq)
			if tt.code == "" {
				if e != nil || c.ChallengeWindowSize != "01" {
					t.Fatalf("want a CReq, got %v", e)
				}
				return
			}
			if e == nil || string(e.ErrorCode) != tt.code {
				t.Fatalf("want Erro %s, got %+v", tt.code, e)
			}
		})
	}
}

func TestShowMovesCreatedToShownOnce(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		setup func(ch *db.Challenge) map[string]any // columns changed before the move
		moved bool
	}{
		{"created and in time", func(*db.Challenge) map[string]any { return nil }, true},
		{"already shown", func(*db.Challenge) map[string]any { return map[string]any{"state": db.ChallengeShown} }, false},
		{"deadline passed", func(ch *db.Challenge) map[string]any {
			return map[string]any{"deadline": f.now.Add(-time.Second)}
		}, false},
		{"expired", func(*db.Challenge) map[string]any { return map[string]any{"state": db.ChallengeExpired} }, false},
		{"answered ARes", func(*db.Challenge) map[string]any { return map[string]any{"state": db.ChallengeAnswered} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
			if upd := tt.setup(ch); upd != nil {
				if err := f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", ch.ACSTransID).Updates(upd).Error; err != nil {
					t.Fatal(err)
				}
			}
			before := f.row(t, ch.ACSTransID)
			opened := map[string]any{"session_data": "sd", "challenge_window_size": "03", "shown_to_hash": viewerHash(browser)}
			moved, err := f.show(f.ctx, f.row(t, ch.ACSTransID), "token-1", opened, f.now)
			if err != nil || moved != tt.moved {
				t.Fatalf("show moved %v (%v), want %v", moved, err, tt.moved)
			}
			after := f.row(t, ch.ACSTransID)
			if !tt.moved {
				if after.State != before.State || after.TokenHash != before.TokenHash || after.SessionData != before.SessionData {
					t.Errorf("a refused show changed the row: %+v", after)
				}
				return
			}
			if after.State != db.ChallengeShown || after.TokenHash != security.TokenHash("token-1") || after.SessionData != "sd" ||
				after.ChallengeWindowSize != "03" || after.ShownToHash != viewerHash(browser) || after.ShownAt == nil ||
				!after.Deadline.Equal(f.now.Add(testAnswerFor)) {
				t.Errorf("after show: %+v", after)
			}
		})
	}
}

func TestReshowOnlyForTheSameBrowser(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		viewer eventOrigin
		state  string
		moved  bool
	}{
		{"same browser", browser, db.ChallengeShown, true},
		{"other user agent", eventOrigin{IP: browser.IP, UserAgent: "curl/8"}, db.ChallengeShown, false},
		{"other address", eventOrigin{IP: "198.51.100.7", UserAgent: browser.UserAgent}, db.ChallengeShown, false},
		{"same browser, answer being checked", browser, db.ChallengeChecking, false},
		{"same browser, finished", browser, db.ChallengeSucceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := f.opened(t, demodata.YamadaVisa)
			f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Update("state", tt.state)
			moved, err := f.reshow(f.ctx, f.row(t, s.ch.ACSTransID), "token-2", viewerHash(tt.viewer))
			if err != nil || moved != tt.moved {
				t.Fatalf("reshow moved %v (%v), want %v", moved, err, tt.moved)
			}
			want := security.TokenHash(s.token)
			if tt.moved {
				want = security.TokenHash("token-2")
			}
			if got := f.row(t, s.ch.ACSTransID).TokenHash; got != want {
				t.Errorf("token hash %s, want %s", got, want)
			}
		})
	}
}

func TestTakeCountsOneTryPerLiveToken(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		edit  map[string]any
		token func(s step) string
		at    time.Duration
		moved bool
	}{
		{"live token", nil, func(s step) string { return s.token }, 0, true},
		{"forged token", nil, func(step) string { return "forged" }, 0, false},
		{"no tries left", map[string]any{"tries": testTries}, func(s step) string { return s.token }, 0, false},
		{"past the deadline", nil, func(s step) string { return s.token }, testAnswerFor + time.Second, false},
		{"being checked", map[string]any{"state": db.ChallengeChecking}, func(s step) string { return s.token }, 0, false},
		{"cancelled", map[string]any{"state": db.ChallengeCancelled}, func(s step) string { return s.token }, 0, false},
		{"code sent", map[string]any{"code_sent_at": time.Now()}, func(s step) string { return s.token }, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := f.opened(t, demodata.YamadaJCB)
			if tt.edit != nil {
				f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Updates(tt.edit)
			}
			before := f.row(t, s.ch.ACSTransID)
			next := nextToken(tt.token(s))
			taken, err := f.take(f.ctx, s.ch.ACSTransID, tt.token(s), next, f.now.Add(tt.at))
			if err != nil || (taken != nil) != tt.moved {
				t.Fatalf("take moved %v (%v), want %v", taken != nil, err, tt.moved)
			}
			after := f.row(t, s.ch.ACSTransID)
			if !tt.moved {
				if after.Tries != before.Tries || after.State != before.State || after.TokenHash != before.TokenHash {
					t.Errorf("a refused take changed the row: %+v", after)
				}
				return
			}
			if after.State != db.ChallengeChecking || after.Tries != before.Tries+1 || after.TokenHash != security.TokenHash(next) {
				t.Errorf("after take: state %s, tries %d, token moved %v", after.State, after.Tries, after.TokenHash == security.TokenHash(next))
			}
			if taken.State != after.State || taken.Tries != after.Tries || taken.TokenHash != after.TokenHash {
				t.Errorf("take returned %s, %d tries; stored %s, %d tries", taken.State, taken.Tries, after.State, after.Tries)
			}
			// The same token again cannot take a second try.
			if again, _ := f.take(f.ctx, s.ch.ACSTransID, tt.token(s), nextToken(next), f.now); again != nil {
				t.Errorf("the same token took a second try")
			}
		})
	}
}

func TestReopenOnlyFromChecking(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		state string
		moved bool
	}{
		{db.ChallengeChecking, true}, {db.ChallengeShown, false}, {db.ChallengeExpired, false}, {db.ChallengeFailed, false},
	} {
		t.Run(tt.state, func(t *testing.T) {
			_, s := f.opened(t, demodata.YamadaJCB)
			f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Update("state", tt.state)
			moved, err := f.reopen(f.ctx, s.ch.ACSTransID, nil)
			if err != nil || moved != tt.moved {
				t.Fatalf("reopen moved %v (%v), want %v", moved, err, tt.moved)
			}
			want := tt.state
			if tt.moved {
				want = db.ChallengeShown
			}
			if got := f.row(t, s.ch.ACSTransID).State; got != want {
				t.Errorf("state %s, want %s", got, want)
			}
		})
	}
}

func TestExpireEndsOpenChallengesPastTheirDeadline(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		state  string
		at     time.Duration
		moved  bool
		cancel emv.ChallengeCancel
	}{
		{"created, no CReq in time", db.ChallengeCreated, testCReqLimit, true, emv.CancelNoCReq},
		{"created, still in time", db.ChallengeCreated, testCReqLimit - time.Second, false, ""},
		{"shown, no answer in time", db.ChallengeShown, testCReqLimit, true, emv.CancelTimeout},
		{"checking, no answer in time", db.ChallengeChecking, testCReqLimit, true, emv.CancelTimeout},
		{"succeeded stays", db.ChallengeSucceeded, time.Hour, false, ""},
		{"answered ARes stays", db.ChallengeAnswered, time.Hour, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
			f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", ch.ACSTransID).Update("state", tt.state)
			moved, err := f.expire(f.ctx, f.row(t, ch.ACSTransID), f.now.Add(tt.at), eventOrigin{})
			if err != nil || moved != tt.moved {
				t.Fatalf("expire moved %v (%v), want %v", moved, err, tt.moved)
			}
			rreqs := f.outbox(t, ch.ACSTransID)
			if !tt.moved {
				if len(rreqs) != 0 || f.row(t, ch.ACSTransID).State != tt.state {
					t.Errorf("a refused expire wrote %d RReqs or moved the state", len(rreqs))
				}
				return
			}
			after := f.row(t, ch.ACSTransID)
			if after.State != db.ChallengeExpired || after.TransStatus != "N" || after.TransStatusReason != "14" || after.ChallengeCancel != string(tt.cancel) {
				t.Errorf("after expire: %s %s/%s cancel %s", after.State, after.TransStatus, after.TransStatusReason, after.ChallengeCancel)
			}
			if len(rreqs) != 1 || rreqs[0].ChallengeCancel != tt.cancel || rreqs[0].TransStatusReason != emv.ReasonTimedOut {
				t.Errorf("RReqs: %+v", rreqs)
			}
			// A second expiry (another node's sweeper) changes nothing.
			if again, _ := f.expire(f.ctx, ch, f.now.Add(tt.at), eventOrigin{}); again || len(f.outbox(t, ch.ACSTransID)) != 1 {
				t.Errorf("the challenge expired twice")
			}
		})
	}
}

func TestFinishGuards(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		state string
		g     func(s step) guard
		moved bool
	}{
		{"state matches", db.ChallengeShown, func(step) guard { return guard{states: []string{db.ChallengeShown}} }, true},
		{"one of several states", db.ChallengeChecking, func(step) guard { return guard{states: open} }, true},
		{"state differs", db.ChallengeChecking, func(step) guard { return guard{states: []string{db.ChallengeShown}} }, false},
		{"live token", db.ChallengeShown, func(s step) guard {
			return guard{states: []string{db.ChallengeShown}, tokenHash: security.TokenHash(s.token)}
		}, true},
		{"replaced token", db.ChallengeShown, func(step) guard {
			return guard{states: []string{db.ChallengeShown}, tokenHash: security.TokenHash("old")}
		}, false},
		{"already finished", db.ChallengeCancelled, func(step) guard { return guard{states: open} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := f.opened(t, demodata.YamadaJCB)
			f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Update("state", tt.state)
			ended, _, err := finish(f.ctx, f.DB, s.ch.ACSTransID, tt.g(s), resultTooMany, map[string]any{"session_data": "changed"},
				rreqTo{url: f.rreqURL}, browser)
			if moved := ended != nil; err != nil || moved != tt.moved {
				t.Fatalf("finish moved %v (%v), want %v", moved, err, tt.moved)
			}
			after := f.row(t, s.ch.ACSTransID)
			var events int64
			f.DB.Model(&db.AuthEvent{}).Where("challenge_id = ? AND kind = ?", s.ch.ACSTransID, db.EventChallengeResult).Count(&events)
			if !tt.moved {
				if after.State != tt.state || after.SessionData == "changed" || len(f.outbox(t, s.ch.ACSTransID)) != 0 || events != 0 {
					t.Errorf("a refused finish changed something: %+v", after)
				}
				return
			}
			if after.State != db.ChallengeFailed || after.SessionData != "changed" || after.FinishedAt == nil || events != 1 {
				t.Errorf("after finish: %+v, %d events", after, events)
			}
			rreqs := f.outbox(t, s.ch.ACSTransID)
			if len(rreqs) != 1 || rreqs[0].TransStatusReason != emv.ReasonMaxChallenges {
				t.Errorf("RReqs: %+v", rreqs)
			}
		})
	}
}
