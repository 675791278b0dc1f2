// Package credentials checks a member's login ID and password, the one pair that serves both the
// portal and the 3-D Secure challenge, and keeps the shared lockout: consecutive failures on either
// count together, and at the threshold the ID locks for a set time.
package credentials

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
)

// Policy is the lockout rule: Threshold consecutive failures lock the ID for LockFor.
type Policy struct {
	Threshold int
	LockFor   time.Duration
}

// Outcome of a check.
type Outcome int

// Outcomes. A wrong ID and a wrong password are one outcome, so no caller can tell them apart.
const (
	Wrong Outcome = iota
	OK
	Locked
)

// Result is what a check found.
type Result struct {
	Outcome Outcome
	// Member is the member who logged in (OK), or whose ID is locked (Locked); nil for Wrong.
	Member *db.Member
	// LockedUntil is when a locked ID opens again.
	LockedUntil time.Time
	// JustLocked is true when this failure reached the threshold.
	JustLocked bool
}

// Checker checks credentials against the members table.
type Checker struct {
	DB     *gorm.DB
	Hasher *security.Hasher
	Policy Policy
	// OnLock, when set, is called once each time a check locks an ID (for a metric).
	OnLock func()
}

// lockedError says the target's ID was locked while the check waited for its turn to hash.
type lockedError struct{ until time.Time }

func (lockedError) Error() string { return "credentials: the ID was locked meanwhile" }

// stillOpen runs once a check's turn to hash has come: when a burst of failures locked the ID while
// this check queued, it answers "locked" without spending a hash.
func (c *Checker) stillOpen(ctx context.Context, target *db.Member) func() error {
	if target == nil {
		return nil
	}
	return func() error {
		var m db.Member
		if err := c.DB.WithContext(ctx).Select("id", "locked_until").Where("id = ?", target.ID).Take(&m).Error; err != nil {
			return err
		}
		if IsLocked(&m, db.Now()) {
			return lockedError{until: *m.LockedUntil}
		}
		return nil
	}
}

// NormalizeLoginID applies NFKC, trims and lower-cases: IDs are case-insensitive and full-width input
// is accepted.
func NormalizeLoginID(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// Origin says where a check came from, for the lock event it may write.
type Origin struct {
	IP, UserAgent string
	ChallengeID   *string
	CardID        *uint
}

// Check verifies loginID and password. When holder is not nil the ID must be that member's (the
// challenge for a card accepts only the ID that holds the card), and failures count against that member
// whatever ID was typed. Otherwise failures count against the member the typed ID names, if any.
func (c *Checker) Check(ctx context.Context, loginID, password string, holder *uint, from Origin) (Result, error) {
	gdb := c.DB.WithContext(ctx)
	id := NormalizeLoginID(loginID)
	var typed *db.Member
	if id != "" {
		var m db.Member
		err := gdb.Where("login_id = ? AND status = ?", id, db.MemberActive).Take(&m).Error
		if err == nil {
			typed = &m
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return Result{}, err
		}
	}
	target := typed
	if holder != nil {
		if typed == nil || typed.ID != *holder {
			var m db.Member
			if err := gdb.Where("id = ? AND status = ?", *holder, db.MemberActive).Take(&m).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					c.Hasher.SpendVerifyTime(ctx, password)
					return Result{Outcome: Wrong}, nil
				}
				return Result{}, err
			}
			target = &m
		}
	}
	now := db.Now()
	if target != nil && target.LockedUntil != nil && target.LockedUntil.After(now) {
		return Result{Outcome: Locked, Member: target, LockedUntil: *target.LockedUntil}, nil
	}

	match := false
	var err error
	if typed != nil && (holder == nil || typed.ID == *holder) {
		match, err = c.Hasher.VerifyAfter(ctx, password, typed.PasswordHash, c.stillOpen(ctx, target))
		if errors.Is(err, security.ErrMalformedHash) {
			match, err = false, nil
		}
	} else {
		err = c.Hasher.SpendVerifyTimeAfter(ctx, password, c.stillOpen(ctx, target))
	}
	var locked lockedError
	if errors.As(err, &locked) {
		return Result{Outcome: Locked, Member: target, LockedUntil: locked.until}, nil
	}
	if err != nil {
		return Result{}, err
	}

	if match {
		if typed.FailedAttempts != 0 || typed.LockedUntil != nil {
			if err := gdb.Model(&db.Member{}).Where("id = ?", typed.ID).
				Updates(map[string]any{"failed_attempts": 0, "locked_until": nil}).Error; err != nil {
				return Result{}, err
			}
			typed.FailedAttempts, typed.LockedUntil = 0, nil
		}
		return Result{Outcome: OK, Member: typed}, nil
	}
	if target == nil {
		return Result{Outcome: Wrong}, nil
	}
	return c.fail(ctx, target, from)
}

// fail counts a failure against m with one conditional UPDATE, so that concurrent failures on several
// nodes all count, and locks the ID once the count reaches the threshold.
func (c *Checker) fail(ctx context.Context, m *db.Member, from Origin) (Result, error) {
	res := Result{Outcome: Wrong}
	err := c.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A failure that finishes after another one locked the ID does not count: the lock starts
		// the count afresh, and a late failure must not carry over past the lock's end.
		counted := tx.Model(&db.Member{}).Where("id = ? AND (locked_until IS NULL OR locked_until <= ?)", m.ID, db.Now()).
			Update("failed_attempts", gorm.Expr("failed_attempts + 1"))
		if counted.Error != nil {
			return counted.Error
		}
		if counted.RowsAffected == 0 {
			var cur db.Member
			if err := tx.Select("id", "locked_until").Where("id = ?", m.ID).Take(&cur).Error; err != nil {
				return err
			}
			if cur.LockedUntil != nil {
				res = Result{Outcome: Locked, Member: m, LockedUntil: *cur.LockedUntil}
			}
			return nil
		}
		var count int
		if err := tx.Model(&db.Member{}).Where("id = ?", m.ID).Select("failed_attempts").Scan(&count).Error; err != nil {
			return err
		}
		if count < c.Policy.Threshold {
			return nil
		}
		now := db.Now()
		until := now.Add(c.Policy.LockFor)
		locked := tx.Model(&db.Member{}).Where("id = ? AND (locked_until IS NULL OR locked_until <= ?)", m.ID, now).
			Updates(map[string]any{"locked_until": until, "failed_attempts": 0})
		if locked.Error != nil {
			return locked.Error
		}
		if locked.RowsAffected == 1 {
			res.JustLocked, res.LockedUntil = true, until
			return tx.Create(&db.AuthEvent{MemberID: &m.ID, CardID: from.CardID, ChallengeID: from.ChallengeID,
				Kind: db.EventLock, Result: "locked", IP: from.IP, UserAgent: truncate(from.UserAgent, 300)}).Error
		}
		return nil
	})
	if err == nil && res.JustLocked && c.OnLock != nil {
		c.OnLock()
	}
	return res, err
}

// Unlock clears a member's lock and failure count and records who did it (support, or re-registration).
func Unlock(ctx context.Context, tx *gorm.DB, memberID uint, detail string, from Origin) error {
	if err := tx.WithContext(ctx).Model(&db.Member{}).Where("id = ?", memberID).
		Updates(map[string]any{"failed_attempts": 0, "locked_until": nil}).Error; err != nil {
		return err
	}
	return tx.WithContext(ctx).Create(&db.AuthEvent{MemberID: &memberID, Kind: db.EventUnlock, Result: "unlocked",
		Detail: detail, IP: from.IP, UserAgent: truncate(from.UserAgent, 300)}).Error
}

// IsLocked reports whether a member's ID is locked now.
func IsLocked(m *db.Member, now time.Time) bool {
	return m.LockedUntil != nil && m.LockedUntil.After(now)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
