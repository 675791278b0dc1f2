package member

import (
	"context"

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
// the same threshold, so that the warnings and the work done are the same for every ID and the page
// never tells whether an ID exists. A lock itself is told only to whoever gives the right password,
// which an unknown ID never has.
func LoginWarned(ctx context.Context, gdb *gorm.DB, checker *credentials.Checker, hasher idHasher, loginID, password string, from credentials.Origin) (LoginAnswer, error) {
	gdb = gdb.WithContext(ctx)
	id := credentials.NormalizeLoginID(loginID)
	key := hasher.Hash("login-id", id)
	res, err := Login(ctx, gdb, checker, loginID, password, from)
	if err != nil || res.Outcome != credentials.Wrong || res.JustLocked {
		return LoginAnswer{Result: res}, err
	}
	if res.FailedMember != 0 {
		return LoginAnswer{Result: res, TriesLeft: triesLeft(res.Failures, checker.Policy.Threshold)}, nil
	}
	if id == "" {
		return LoginAnswer{Result: res}, nil
	}
	count, lock, err := countUnknownFailure(gdb, key, checker.Policy)
	if err != nil || !lock.LockedUntil.IsZero() {
		// As for a member's ID, the failure that locks and those during the lock get the ordinary answer.
		res.JustLocked = lock.JustLocked
		return LoginAnswer{Result: res}, err
	}
	return LoginAnswer{Result: res, TriesLeft: triesLeft(count, checker.Policy.Threshold)}, nil
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
	now := db.Now()
	row := db.LoginIDFailure{IDHash: key, FailedAttempts: 1, UpdatedAt: now}
	counted := gdb.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "id_hash"}},
		DoUpdates: clause.Assignments(map[string]any{
			"failed_attempts": gorm.Expr("login_id_failures.failed_attempts + 1"), "updated_at": now,
		}),
		Where: clause.Where{Exprs: []clause.Expression{
			gorm.Expr("login_id_failures.locked_until IS NULL OR login_id_failures.locked_until <= ?", now),
		}},
	}, clause.Returning{Columns: []clause.Column{{Name: "failed_attempts"}}}).Create(&row)
	if counted.Error != nil {
		return 0, credentials.Result{}, counted.Error
	}
	if counted.RowsAffected == 0 {
		var cur db.LoginIDFailure
		if err := gdb.Where("id_hash = ?", key).Take(&cur).Error; err != nil {
			return 0, credentials.Result{}, err
		}
		if cur.LockedUntil == nil {
			return 0, credentials.Result{}, nil
		}
		return 0, credentials.Result{Outcome: credentials.Locked, LockedUntil: *cur.LockedUntil}, nil
	}
	if row.FailedAttempts < policy.Threshold {
		return row.FailedAttempts, credentials.Result{}, nil
	}
	until := now.Add(policy.LockFor)
	locked := gdb.Model(&db.LoginIDFailure{}).Where("id_hash = ? AND (locked_until IS NULL OR locked_until <= ?)", key, now).
		Updates(map[string]any{"locked_until": until, "failed_attempts": 0})
	if locked.Error != nil {
		return 0, credentials.Result{}, locked.Error
	}
	if locked.RowsAffected == 1 {
		return row.FailedAttempts, credentials.Result{Outcome: credentials.Wrong, JustLocked: true, LockedUntil: until}, nil
	}
	return row.FailedAttempts, credentials.Result{}, nil
}
