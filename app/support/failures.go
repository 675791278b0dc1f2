package support

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// FailuresInARow counts a member's failed logins and challenge tries since the last success or unlock.
// The member's own counter cannot say this while the ID is locked: the lock starts the count afresh at
// zero. A failure is a login or try answered wrong_credentials, or the try that locked the ID (the ACS
// records that try as locked, and its lock event names the challenge); tries while locked do not count.
// Both queries read one member's events through the (member_id, created_at) index.
func FailuresInARow(ctx context.Context, gdb *gorm.DB, memberID uint) (int64, error) {
	gdb = gdb.WithContext(ctx)
	var since time.Time
	var reset db.AuthEvent
	err := gdb.Select("created_at").Where("member_id = ?", memberID).
		Where("(kind IN ? AND result = ?) OR kind = ?", []string{db.EventLogin, db.EventChallengeTry}, db.ResultOK, db.EventUnlock).
		Order("created_at DESC").Take(&reset).Error
	switch {
	case err == nil:
		since = reset.CreatedAt
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return 0, err
	}
	var n int64
	err = gdb.Model(&db.AuthEvent{}).Where("member_id = ? AND created_at > ?", memberID, since).
		Where("(kind IN ? AND result = ?) OR (kind = ? AND challenge_id IS NOT NULL)",
			[]string{db.EventLogin, db.EventChallengeTry}, db.ResultWrongCredentials, db.EventLock).
		Count(&n).Error
	return n, err
}
