package credentials_test

import (
	"context"
	"sync"
	"sync/atomic"
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

// TestBurstLocksOnce sends a burst of wrong passwords at one ID at once: the ID locks once (one lock
// event, one OnLock call), the answers that queued for a hash while it locked are "locked" without
// spending one, and failures that finish after the lock do not carry over past its end.
func TestBurstLocksOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		params := security.FastArgon2ForTests
		params.MaxParallel, params.MemoryKiB, params.Time = 1, 8*1024, 2 // slow enough that the burst queues
		hasher := security.NewHasher(params)
		hash, _ := hasher.Hash(ctx, "correct-horse-1")
		m := db.Member{LoginID: "erin001", PasswordHash: hash, PasswordChangedAt: db.Now(), Status: db.MemberActive}
		gdb.Create(&m)
		var onLock atomic.Int32
		c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 3, LockFor: time.Hour},
			OnLock: func() { onLock.Add(1) }}

		const burst = 60
		before := hasher.Stats().Hashes
		outcomes := make([]credentials.Outcome, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.Check(ctx, "erin001", "wrong-password", nil, credentials.Origin{})
				if err != nil {
					t.Errorf("check %d: %v", i, err)
				}
				outcomes[i] = res.Outcome
				if res.JustLocked {
					outcomes[i] = -1
				}
			}()
		}
		wg.Wait()
		count := map[credentials.Outcome]int{}
		for _, o := range outcomes {
			count[o]++
		}
		if count[-1] != 1 || count[credentials.OK] != 0 || count[credentials.Wrong]+count[credentials.Locked]+1 != burst {
			t.Errorf("outcomes: %d locking, %d wrong, %d locked, %d ok", count[-1], count[credentials.Wrong], count[credentials.Locked], count[credentials.OK])
		}
		if onLock.Load() != 1 {
			t.Errorf("OnLock called %d times, want 1", onLock.Load())
		}
		var locks int64
		gdb.Model(&db.AuthEvent{}).Where("member_id = ? AND kind = ?", m.ID, db.EventLock).Count(&locks)
		if locks != 1 {
			t.Errorf("lock events = %d, want 1", locks)
		}
		if spent := hasher.Stats().Hashes - before; spent >= burst/2 {
			t.Errorf("%d of %d queued answers were hashed although the ID locked after 3", spent, burst)
		}
		var after db.Member
		gdb.Take(&after, m.ID)
		if after.FailedAttempts != 0 {
			t.Errorf("failed_attempts = %d after the lock, want 0 (late failures carried over)", after.FailedAttempts)
		}

		// When the lock ends, one more wrong password does not lock again at once.
		gdb.Model(&db.Member{}).Where("id = ?", m.ID).Update("locked_until", db.Now().Add(-time.Second))
		res, err := c.Check(ctx, "erin001", "wrong-password", nil, credentials.Origin{})
		if err != nil || res.Outcome != credentials.Wrong || res.JustLocked {
			t.Errorf("first failure after the lock ended: %+v %v", res, err)
		}
	})
}
