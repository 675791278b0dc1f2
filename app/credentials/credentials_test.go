package credentials_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/security"
	"honnin/db"
	"honnin/tests/testkit"
)

// newMember adds an active member whose password is "correct-horse-1".
func newMember(t *testing.T, gdb *gorm.DB, hasher *security.Hasher, loginID string) db.Member {
	t.Helper()
	hash, err := hasher.Hash(context.Background(), "correct-horse-1")
	if err != nil {
		t.Fatal(err)
	}
	m := db.Member{LoginID: loginID, PasswordHash: hash, PasswordChangedAt: db.Now(), Status: db.MemberActive}
	if err := gdb.Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// newCard adds an active card held by holder.
func newCard(t *testing.T, gdb *gorm.DB, holder uint, last4 string) db.Card {
	t.Helper()
	c := db.Card{PANHash: "hash-" + last4, PANSealed: []byte{1}, KeyVersion: 1, BIN: "35400000", Last4: last4, PANLength: 16,
		Brand: db.BrandJCB, Expiry: "3012", BirthDateHash: "b", PhoneHash: "p", HolderName: "TEST", Status: db.CardActive,
		MemberID: &holder, ThreeDS: db.ThreeDSEnrolled}
	if err := gdb.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

func lockEvents(gdb *gorm.DB, result db.EventResult, memberID uint) int64 {
	var n int64
	gdb.Model(&db.AuthEvent{}).Where("member_id = ? AND kind = ? AND result = ?", memberID, db.EventLock, result).Count(&n)
	return n
}

func TestSharedLockout(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		hasher := security.NewHasher(security.FastArgon2ForTests)
		alice, bob := newMember(t, gdb, hasher, "alice01"), newMember(t, gdb, hasher, "bob0001")
		aliceCard := newCard(t, gdb, alice.ID, "0019")
		var locks []string
		c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 3, LockFor: time.Hour},
			OnLock: func(via string) { locks = append(locks, via) }}
		login := func(id, pw string) (credentials.Result, error) {
			return c.CheckLogin(ctx, id, pw, credentials.Origin{IP: "192.0.2.1"})
		}
		answer := func(id, pw string) (credentials.Result, error) {
			return c.CheckAnswer(ctx, credentials.Card{ID: aliceCard.ID, Holder: &alice.ID}, id, pw, credentials.Origin{IP: "192.0.2.1"})
		}
		current := func(_, pw string) (credentials.Result, error) {
			return c.CheckMember(ctx, alice.ID, pw, credentials.Origin{IP: "192.0.2.1"})
		}

		steps := []struct {
			name       string
			check      func(id, pw string) (credentials.Result, error)
			id, pw     string
			want       credentials.Outcome
			justLocked bool
		}{
			{"right pair, ID in another case and full width", login, "ＡＬＩＣＥ01", "correct-horse-1", credentials.OK, false},
			{"unknown ID", login, "nobody", "correct-horse-1", credentials.Wrong, false},
			{"wrong password 1", login, "alice01", "nope", credentials.Wrong, false},
			{"right pair resets the count", login, "alice01", "correct-horse-1", credentials.OK, false},
			{"wrong password 1 again", login, "alice01", "nope", credentials.Wrong, false},
			{"challenge: another member's right pair counts against the card, not alice", answer, "bob0001", "correct-horse-1", credentials.Wrong, false},
			{"challenge: the holder's ID and a wrong password counts against alice", answer, "alice01", "nope", credentials.Wrong, false},
			{"third failure locks, and says only 'wrong' at the portal", login, "alice01", "nope", credentials.Wrong, true},
			{"a wrong password to the locked ID is only 'wrong'", login, "alice01", "nope", credentials.Wrong, false},
			{"the right password learns of the lock", login, "alice01", "correct-horse-1", credentials.Locked, false},
			{"the challenge says locked at once", answer, "alice01", "nope", credentials.Locked, false},
			{"so does a logged-in member's current-password check", current, "", "correct-horse-1", credentials.Locked, false},
			{"bob is not affected", login, "bob0001", "correct-horse-1", credentials.OK, false},
		}
		for _, s := range steps {
			res, err := s.check(s.id, s.pw)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if res.Outcome != s.want || res.JustLocked != s.justLocked {
				t.Fatalf("%s: outcome %v justLocked %v, want %v %v", s.name, res.Outcome, res.JustLocked, s.want, s.justLocked)
			}
			if (s.want == credentials.Locked || s.justLocked) && res.LockedUntil.Before(time.Now().Add(50*time.Minute)) {
				t.Fatalf("%s: locked until %v, want about an hour from now", s.name, res.LockedUntil)
			}
		}
		if n := lockEvents(gdb, db.ResultLocked, alice.ID); n != 1 || len(locks) != 1 || locks[0] != credentials.ViaPortal {
			t.Errorf("lock events = %d, OnLock calls %v; want 1 and [portal]", n, locks)
		}
		var card db.Card
		gdb.Take(&card, aliceCard.ID)
		if card.ChallengeFailures != 1 || card.ChallengeLockedUntil != nil {
			t.Errorf("card after one wrong answer with another ID: failures %d, locked until %v", card.ChallengeFailures, card.ChallengeLockedUntil)
		}
		if res, _ := c.CheckLogin(ctx, "bob0001", "correct-horse-1", credentials.Origin{}); res.Outcome != credentials.OK || bob.ID == 0 {
			t.Errorf("bob after the card's failure: %v", res.Outcome)
		}

		if err := credentials.Unlock(ctx, gdb, alice.ID, "support", credentials.Origin{}); err != nil {
			t.Fatal(err)
		}
		if res, _ := login("alice01", "correct-horse-1"); res.Outcome != credentials.OK {
			t.Errorf("after unlock: %v", res.Outcome)
		}
		// The holder's right answer ends the card's run of failures too.
		if res, _ := answer("alice01", "correct-horse-1"); res.Outcome != credentials.OK {
			t.Errorf("the holder's right answer: %v", res.Outcome)
		}
		gdb.Take(&card, aliceCard.ID)
		if card.ChallengeFailures != 0 {
			t.Errorf("card failures after the holder's right answer: %d", card.ChallengeFailures)
		}
	})
}

func TestLockExpires(t *testing.T) {
	ctx := context.Background()
	gdb := testkit.OpenDB(t, testkit.SQLite)
	hasher := security.NewHasher(security.FastArgon2ForTests)
	m := newMember(t, gdb, hasher, "carol01")
	past := db.Now().Add(-time.Minute)
	gdb.Model(&db.Member{}).Where("id = ?", m.ID).Updates(map[string]any{"locked_until": past, "failed_attempts": 2})
	c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 5, LockFor: time.Hour}}
	if res, _ := c.CheckLogin(ctx, "carol01", "correct-horse-1", credentials.Origin{}); res.Outcome != credentials.OK {
		t.Errorf("a lock in the past still holds: %v", res.Outcome)
	}
	var after db.Member
	gdb.Take(&after, m.ID)
	if after.FailedAttempts != 0 || after.LockedUntil != nil {
		t.Errorf("a login did not clear the old lock: %d failures, locked until %v", after.FailedAttempts, after.LockedUntil)
	}
	closed := newMember(t, gdb, hasher, "dave001")
	gdb.Model(&db.Member{}).Where("id = ?", closed.ID).Update("status", db.MemberClosed)
	if res, _ := c.CheckLogin(ctx, "dave001", "correct-horse-1", credentials.Origin{}); res.Outcome != credentials.Wrong {
		t.Errorf("a closed ID logged in: %v", res.Outcome)
	}
}

// TestBurstLocksOnce sends a burst of wrong answers at one ID at once: the ID locks once (one lock
// event, one OnLock call). On the challenge, the answers that queued for a hash while it locked are
// "locked" without spending one; at the portal every answer is "wrong" and costs a hash, so that
// neither the page nor its timing tells a locked ID from an unknown one. Failures that finish after
// the lock do not carry over past its end.
func TestBurstLocksOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		params := security.FastArgon2ForTests
		params.MaxParallel, params.MemoryKiB, params.Time = 1, 8*1024, 2 // slow enough that the burst queues
		hasher := security.NewHasher(params)
		const burst = 60
		for _, via := range []string{credentials.ViaChallenge, credentials.ViaPortal} {
			t.Run(via, func(t *testing.T) {
				m := newMember(t, gdb, hasher, "erin-"+via)
				card := newCard(t, gdb, m.ID, via[:4])
				var onLock atomic.Int32
				c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 3, LockFor: time.Hour},
					OnLock: func(got string) {
						if got == via {
							onLock.Add(1)
						}
					}}
				check := func() (credentials.Result, error) {
					if via == credentials.ViaPortal {
						return c.CheckLogin(ctx, m.LoginID, "wrong-password", credentials.Origin{})
					}
					return c.CheckAnswer(ctx, credentials.Card{ID: card.ID, Holder: &m.ID}, m.LoginID, "wrong-password", credentials.Origin{})
				}

				before := hasher.Stats().Hashes
				outcomes := make([]credentials.Outcome, burst)
				var wg sync.WaitGroup
				for i := range burst {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := check()
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
				spent := hasher.Stats().Hashes - before
				if via == credentials.ViaPortal {
					if count[-1] != 1 || count[credentials.Wrong] != burst-1 || spent != burst {
						t.Errorf("outcomes %v, %d hashes; want one locking, the rest wrong, one hash each", count, spent)
					}
				} else if count[-1] != 1 || count[credentials.OK] != 0 || count[credentials.Wrong]+count[credentials.Locked]+1 != burst || spent >= burst/2 {
					t.Errorf("outcomes %v, %d hashes; want one locking, the rest wrong or locked, few hashes", count, spent)
				}
				if onLock.Load() != 1 || lockEvents(gdb, db.ResultLocked, m.ID) != 1 {
					t.Errorf("OnLock called %d times, %d lock events; want 1 each", onLock.Load(), lockEvents(gdb, db.ResultLocked, m.ID))
				}
				var after db.Member
				gdb.Take(&after, m.ID)
				if after.FailedAttempts != 0 {
					t.Errorf("failed_attempts = %d after the lock, want 0 (late failures carried over)", after.FailedAttempts)
				}

				// When the lock ends, one more wrong password does not lock again at once.
				gdb.Model(&db.Member{}).Where("id = ?", m.ID).Update("locked_until", db.Now().Add(-time.Second))
				res, err := check()
				if err != nil || res.Outcome != credentials.Wrong || res.JustLocked {
					t.Errorf("first failure after the lock ended: %+v %v", res, err)
				}
			})
		}
	})
}

// TestCardLock sends concurrent wrong challenge answers typed with IDs other than the holder's: they
// count against the card only, whose challenges lock exactly once at the threshold, while the holder's
// ID is untouched and still logs in at the portal.
func TestCardLock(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		hasher := security.NewHasher(security.FastArgon2ForTests)
		holder := newMember(t, gdb, hasher, "yamada01")
		newMember(t, gdb, hasher, "other01")
		card := newCard(t, gdb, holder.ID, "0019")
		const threshold, answers = 5, 20
		c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: threshold, LockFor: time.Hour},
			OnLock: func(string) { t.Errorf("a card lock locked an ID") }}
		on := credentials.Card{ID: card.ID, Holder: &holder.ID}

		outcomes := make([]credentials.Outcome, answers)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := []string{"other01", "nobody", "", "YAMADA02"}[i%4]
				res, err := c.CheckAnswer(ctx, on, id, fmt.Sprint("guess-", i), credentials.Origin{IP: "192.0.2.9"})
				if err != nil {
					t.Errorf("answer %d: %v", i, err)
				}
				outcomes[i] = res.Outcome
			}()
		}
		wg.Wait()
		count := map[credentials.Outcome]int{}
		for _, o := range outcomes {
			count[o]++
		}
		if count[credentials.Wrong] != threshold-1 || count[credentials.CardLocked] != answers-threshold+1 {
			t.Errorf("outcomes %v; want %d wrong and the rest card-locked", count, threshold-1)
		}
		var after db.Card
		gdb.Take(&after, card.ID)
		if credentials.CardLockedUntil(&after, db.Now()) == nil || after.ChallengeFailures != 0 {
			t.Errorf("card after the answers: failures %d, locked until %v", after.ChallengeFailures, after.ChallengeLockedUntil)
		}
		if n := lockEvents(gdb, db.ResultCardLocked, holder.ID); n != 1 {
			t.Errorf("card lock events in the holder's history = %d, want 1", n)
		}
		var m db.Member
		gdb.Take(&m, holder.ID)
		if m.FailedAttempts != 0 || m.LockedUntil != nil {
			t.Errorf("the holder's ID took the card's failures: %d, locked until %v", m.FailedAttempts, m.LockedUntil)
		}

		// Even the holder's right answer ends on the locked card; the portal login works.
		if res, err := c.CheckAnswer(ctx, on, "yamada01", "correct-horse-1", credentials.Origin{}); err != nil || res.Outcome != credentials.CardLocked {
			t.Errorf("the holder's answer on the locked card: %v %v", res.Outcome, err)
		}
		if res, err := c.CheckLogin(ctx, "yamada01", "correct-horse-1", credentials.Origin{}); err != nil || res.Outcome != credentials.OK {
			t.Errorf("the holder's portal login: %v %v", res.Outcome, err)
		}

		// Support's unlock of the holder's cards opens the challenges again.
		n, err := credentials.UnlockCards(ctx, gdb, holder.ID, "support: agent01", credentials.Origin{IP: "192.0.2.1"})
		if err != nil || n != 1 {
			t.Fatalf("UnlockCards = %d, %v; want 1 card", n, err)
		}
		var unlocks int64
		gdb.Model(&db.AuthEvent{}).Where("member_id = ? AND card_id = ? AND kind = ? AND result = ?", holder.ID, card.ID, db.EventUnlock, db.ResultCardUnlocked).Count(&unlocks)
		if unlocks != 1 {
			t.Errorf("card unlock events = %d, want 1", unlocks)
		}
		if res, err := c.CheckAnswer(ctx, on, "yamada01", "correct-horse-1", credentials.Origin{}); err != nil || res.Outcome != credentials.OK {
			t.Errorf("the holder's answer after the unlock: %v %v", res.Outcome, err)
		}
		if n, err := credentials.UnlockCards(ctx, gdb, holder.ID, "support: agent01", credentials.Origin{}); err != nil || n != 0 {
			t.Errorf("a second UnlockCards = %d, %v; want 0", n, err)
		}
	})
}

func loginEvents(gdb *gorm.DB, memberID uint) []db.AuthEvent {
	var evs []db.AuthEvent
	gdb.Where("member_id = ? AND kind = ?", memberID, db.EventLogin).Order("id").Find(&evs)
	return evs
}

// A portal login ends the run of failures, stamps the login times and records the login event, on
// PostgreSQL in one statement after the member's read; one whose ID locked while it hashed writes
// nothing.
func TestLoginStampsTimes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDBWithLog(t, b, slog.New(slog.DiscardHandler))
		ctx, statements := db.CountStatements(context.Background())
		hasher := security.NewHasher(security.FastArgon2ForTests)
		carol := newMember(t, gdb, hasher, "carol01")
		c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 3, LockFor: time.Hour}}
		if res, err := c.CheckLogin(ctx, "carol01", "wrong", credentials.Origin{}); err != nil || res.Outcome != credentials.Wrong {
			t.Fatal(res, err)
		}
		statements.Store(0)
		from := credentials.Origin{IP: "192.0.2.7", UserAgent: "Mozilla/5.0 (test)", Language: "en"}
		first, err := c.CheckLogin(ctx, "carol01", "correct-horse-1", from)
		if err != nil || first.Outcome != credentials.OK || first.Member.LastLoginAt == nil || first.Member.PreviousLoginAt != nil {
			t.Fatalf("first login: %+v %v", first, err)
		}
		if b == testkit.Postgres && statements.Load() != 2 {
			t.Errorf("a login ran %d statements, want 2: the member's read, then the stamp with its event", statements.Load())
		}
		evs := loginEvents(gdb, carol.ID)
		if len(evs) != 1 || evs[0].Result != db.ResultOK || evs[0].IP != from.IP || evs[0].UserAgent != from.UserAgent ||
			!evs[0].CreatedAt.Equal(*first.Member.LastLoginAt) {
			t.Fatalf("login events %+v: want one, ok, from %+v at the login time %v", evs, from, first.Member.LastLoginAt)
		}
		second, err := c.CheckLogin(ctx, "carol01", "correct-horse-1", credentials.Origin{})
		if err != nil || second.Outcome != credentials.OK || second.Member.PreviousLoginAt == nil ||
			!second.Member.PreviousLoginAt.Equal(*first.Member.LastLoginAt) {
			t.Fatalf("second login: %+v %v; want the first login as the previous one", second, err)
		}
		var stored db.Member
		gdb.First(&stored, carol.ID)
		if stored.FailedAttempts != 0 || stored.LastLoginAt == nil || !stored.LastLoginAt.Equal(*second.Member.LastLoginAt) ||
			stored.PreviousLoginAt == nil || !stored.PreviousLoginAt.Equal(*first.Member.LastLoginAt) || stored.Language != "en" {
			t.Errorf("stored %+v: want no failures, the two logins' times and the first login's language", stored)
		}

		until := db.Now().Add(time.Hour)
		gdb.Model(&db.Member{}).Where("id = ?", carol.ID).Update("locked_until", until)
		locked, err := c.CheckLogin(ctx, "carol01", "correct-horse-1", credentials.Origin{})
		if err != nil || locked.Outcome != credentials.Locked {
			t.Fatalf("login to a locked ID: %+v %v", locked, err)
		}
		var after db.Member
		gdb.First(&after, carol.ID)
		if !after.LastLoginAt.Equal(*stored.LastLoginAt) {
			t.Errorf("a refused login moved the login time to %v", after.LastLoginAt)
		}
		if evs := loginEvents(gdb, carol.ID); len(evs) != 2 {
			t.Errorf("login events after two logins and a refused one: %d, want 2", len(evs))
		}
	})
}

// A burst of wrong answers typed with other IDs locks the card's challenges once; the answers still
// queued for a hash when it locks are answered CardLocked without one.
func TestCardBurstSpendsFewHashes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		params := security.FastArgon2ForTests
		params.MaxParallel, params.MemoryKiB, params.Time = 1, 8*1024, 2 // slow enough that the burst queues
		hasher := security.NewHasher(params)
		holder := newMember(t, gdb, hasher, "frank01")
		card := newCard(t, gdb, holder.ID, "0027")
		c := credentials.Checker{DB: gdb, Hasher: hasher, Policy: credentials.Policy{Threshold: 3, LockFor: time.Hour}}
		const burst = 40
		before := hasher.Stats().Hashes
		var locked atomic.Int32
		var wg sync.WaitGroup
		for i := range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.CheckAnswer(ctx, credentials.Card{ID: card.ID, Holder: &holder.ID}, fmt.Sprintf("stranger%02d", i), "guess", credentials.Origin{})
				if err != nil {
					t.Errorf("answer %d: %v", i, err)
				}
				if res.Outcome == credentials.CardLocked {
					locked.Add(1)
				}
			}()
		}
		wg.Wait()
		if spent := hasher.Stats().Hashes - before; spent >= burst/2 || locked.Load() < burst/2 {
			t.Errorf("%d hashes, %d answers CardLocked; want the queued answers refused without a hash", spent, locked.Load())
		}
		var holderNow db.Member
		gdb.Take(&holderNow, holder.ID)
		if holderNow.FailedAttempts != 0 || holderNow.LockedUntil != nil {
			t.Errorf("the holder's ID was touched: %+v", holderNow)
		}
	})
}
