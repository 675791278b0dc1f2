package credentials_test

import (
	"context"
	"testing"
	"time"

	"honnin/app/credentials"
	"honnin/app/security"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestCheckSharedLockout(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		hasher := security.NewHasher(security.FastArgon2ForTests)
		hash, _ := hasher.Hash(ctx, "correct-horse-1")
		alice := db.Member{LoginID: "alice01", PasswordHash: hash, PasswordChangedAt: db.Now(), Status: db.MemberActive}
		bob := db.Member{LoginID: "bob0001", PasswordHash: hash, PasswordChangedAt: db.Now(), Status: db.MemberActive}
		gdb.Create(&alice)
		gdb.Create(&bob)
		c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 3, LockFor: time.Hour}}

		steps := []struct {
			name, id, pw string
			holder       *uint
			want         credentials.Outcome
			justLocked   bool
		}{
			{"right pair, ID in another case and full width", "ＡＬＩＣＥ01", "correct-horse-1", nil, credentials.OK, false},
			{"unknown ID", "nobody", "correct-horse-1", nil, credentials.Wrong, false},
			{"wrong password 1", "alice01", "nope", nil, credentials.Wrong, false},
			{"right pair resets the count", "alice01", "correct-horse-1", nil, credentials.OK, false},
			{"wrong password 1 again", "alice01", "nope", nil, credentials.Wrong, false},
			{"challenge: another member's right pair counts against the holder", "bob0001", "correct-horse-1", &alice.ID, credentials.Wrong, false},
			{"third failure locks", "alice01", "nope", nil, credentials.Wrong, true},
			{"locked even with the right password", "alice01", "correct-horse-1", nil, credentials.Locked, false},
			{"locked through the challenge too", "alice01", "correct-horse-1", &alice.ID, credentials.Locked, false},
			{"bob is not affected", "bob0001", "correct-horse-1", nil, credentials.OK, false},
		}
		for _, s := range steps {
			res, err := c.Check(ctx, s.id, s.pw, s.holder, credentials.Origin{IP: "192.0.2.1"})
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if res.Outcome != s.want || res.JustLocked != s.justLocked {
				t.Fatalf("%s: outcome %v justLocked %v, want %v %v", s.name, res.Outcome, res.JustLocked, s.want, s.justLocked)
			}
		}
		var locks int64
		gdb.Model(&db.AuthEvent{}).Where("member_id = ? AND kind = ?", alice.ID, db.EventLock).Count(&locks)
		if locks != 1 {
			t.Errorf("lock events = %d, want 1", locks)
		}

		if err := credentials.Unlock(ctx, gdb, alice.ID, "support", credentials.Origin{}); err != nil {
			t.Fatal(err)
		}
		if res, _ := c.Check(ctx, "alice01", "correct-horse-1", nil, credentials.Origin{}); res.Outcome != credentials.OK {
			t.Errorf("after unlock: %v", res.Outcome)
		}
	})
}

func TestLockExpires(t *testing.T) {
	ctx := context.Background()
	gdb := testkit.OpenDB(t, testkit.SQLite)
	hasher := security.NewHasher(security.FastArgon2ForTests)
	hash, _ := hasher.Hash(ctx, "correct-horse-1")
	past := db.Now().Add(-time.Minute)
	m := db.Member{LoginID: "carol01", PasswordHash: hash, PasswordChangedAt: db.Now(), Status: db.MemberActive, LockedUntil: &past}
	gdb.Create(&m)
	c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 5, LockFor: time.Hour}}
	if res, _ := c.Check(ctx, "carol01", "correct-horse-1", nil, credentials.Origin{}); res.Outcome != credentials.OK {
		t.Errorf("a lock in the past still holds: %v", res.Outcome)
	}
	closed := db.Member{LoginID: "dave001", PasswordHash: hash, PasswordChangedAt: db.Now(), Status: db.MemberClosed}
	gdb.Create(&closed)
	if res, _ := c.Check(ctx, "dave001", "correct-horse-1", nil, credentials.Origin{}); res.Outcome != credentials.Wrong {
		t.Errorf("a closed ID logged in: %v", res.Outcome)
	}
}
