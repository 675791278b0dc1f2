package member

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/credentials"
	"honnin/db"
)

// warnFromFailure is the consecutive failure from which the login page says how many tries are left.
const warnFromFailure = 3

// LoginAnswer is a login's result with what the page warns about.
type LoginAnswer struct {
	credentials.Result
	// TriesLeft is how many more consecutive failures lock the ID; 0 when no warning is due.
	TriesLeft int
}

// idHasher makes the keyed hash an unknown login ID is counted under.
type idHasher interface {
	Hash(domain, value string) string
}

// LoginWarned is Login with the warnings of the login page: from the third consecutive failure on it
// says how many tries are left before the lock (portal and challenge failures count together). An ID
// that names no member is counted too, under a keyed hash of the ID in login_id_failures, and locks at
// the same threshold, so that the warnings, the lock and the work done are the same for every ID and
// the page never tells whether an ID exists.
func LoginWarned(ctx context.Context, gdb *gorm.DB, checker *credentials.Checker, hasher idHasher, loginID, password string, from credentials.Origin) (LoginAnswer, error) {
	gdb = gdb.WithContext(ctx)
	id := credentials.NormalizeLoginID(loginID)
	var known db.Member
	err := gdb.Select("id").Where("login_id = ? AND status = ?", id, db.MemberActive).Take(&known).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return LoginAnswer{}, err
	}
	unknownKey := ""
	if err != nil && id != "" {
		unknownKey = hasher.Hash("login-id", id)
		var row db.LoginIDFailure
		err := gdb.Where("id_hash = ?", unknownKey).Take(&row).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return LoginAnswer{}, err
		}
		// A locked ID is refused before any hashing, as the shared check does for a member.
		if err == nil && row.LockedUntil != nil && row.LockedUntil.After(db.Now()) {
			ev := db.AuthEvent{Kind: db.EventLogin, Result: "locked", IP: from.IP, UserAgent: from.UserAgent}
			return LoginAnswer{Result: credentials.Result{Outcome: credentials.Locked, LockedUntil: *row.LockedUntil}}, gdb.Create(&ev).Error
		}
	}

	res, err := Login(ctx, gdb, checker, loginID, password, from)
	if err != nil || res.Outcome != credentials.Wrong || res.JustLocked {
		return LoginAnswer{Result: res}, err
	}
	var failures int
	switch {
	case unknownKey != "":
		var lock credentials.Result
		failures, lock, err = countUnknownFailure(gdb, unknownKey, checker.Policy)
		if err != nil || !lock.LockedUntil.IsZero() {
			return LoginAnswer{Result: lock}, err
		}
	case known.ID != 0:
		if err := gdb.Model(&db.Member{}).Where("id = ?", known.ID).Select("failed_attempts").Scan(&failures).Error; err != nil {
			return LoginAnswer{}, err
		}
	}
	return LoginAnswer{Result: res, TriesLeft: triesLeft(failures, checker.Policy.Threshold)}, nil
}

// triesLeft is how many tries remain before the lock, when the page should say so: from the third
// consecutive failure, or earlier when the threshold is so low that fewer than three would be left.
func triesLeft(failures, threshold int) int {
	left := threshold - failures
	if left <= 0 || failures <= 0 || (failures < warnFromFailure && left > warnFromFailure-1) {
		return 0
	}
	return left
}

// countUnknownFailure counts a failure against an unknown ID's hash, as the shared check counts one
// against a member: one atomic increment that does not count while the ID is locked, and at the
// threshold a lock that starts the count afresh. It returns the count, or the lock (JustLocked when
// this failure locked the ID, Locked when another one had meanwhile).
func countUnknownFailure(gdb *gorm.DB, key string, policy credentials.Policy) (int, credentials.Result, error) {
	var failures int
	var lock credentials.Result
	err := gdb.Transaction(func(tx *gorm.DB) error {
		now := db.Now()
		counted := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "id_hash"}},
			DoUpdates: clause.Assignments(map[string]any{
				"failed_attempts": gorm.Expr("login_id_failures.failed_attempts + 1"), "updated_at": now,
			}),
			Where: clause.Where{Exprs: []clause.Expression{
				gorm.Expr("login_id_failures.locked_until IS NULL OR login_id_failures.locked_until <= ?", now),
			}},
		}).Create(&db.LoginIDFailure{IDHash: key, FailedAttempts: 1, UpdatedAt: now})
		if counted.Error != nil {
			return counted.Error
		}
		var row db.LoginIDFailure
		if err := tx.Where("id_hash = ?", key).Take(&row).Error; err != nil {
			return err
		}
		if counted.RowsAffected == 0 && row.LockedUntil != nil {
			lock = credentials.Result{Outcome: credentials.Locked, LockedUntil: *row.LockedUntil}
			return nil
		}
		failures = row.FailedAttempts
		if failures < policy.Threshold {
			return nil
		}
		until := now.Add(policy.LockFor)
		locked := tx.Model(&db.LoginIDFailure{}).Where("id_hash = ? AND (locked_until IS NULL OR locked_until <= ?)", key, now).
			Updates(map[string]any{"locked_until": until, "failed_attempts": 0})
		if locked.Error != nil {
			return locked.Error
		}
		if locked.RowsAffected == 1 {
			lock = credentials.Result{Outcome: credentials.Wrong, JustLocked: true, LockedUntil: until}
		}
		return nil
	})
	return failures, lock, err
}
