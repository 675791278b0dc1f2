package db

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SessionStore is an scs store on the sessions table. Rows are keyed by the SHA-256 of the token, so
// whoever reads the table cannot take over a live session. On PostgreSQL the table is unlogged
// (migration 0095), so that storing a session waits for no WAL flush.
type SessionStore struct{ db *gorm.DB }

// NewSessionStore returns the store; call Cleanup periodically to remove expired rows.
func NewSessionStore(gdb *gorm.DB) *SessionStore { return &SessionStore{db: gdb} }

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// loadedSession is what FindCtx read in a request that WithRefreshSlack marked, for CommitCtx to
// compare with what the request stores.
type loadedSession struct {
	slack  time.Duration
	key    string
	data   []byte
	expiry time.Time
}

type loadedSessionKey struct{}

// WithRefreshSlack marks a request whose session CommitCtx may leave as stored when only its expiry
// moved, by less than slack: scs with an idle timeout stores the session again on every request only to
// push the expiry on, a write (and a wait for its flush) per page view. A session then ends at most
// slack before its idle timeout says.
func WithRefreshSlack(ctx context.Context, slack time.Duration) context.Context {
	return context.WithValue(ctx, loadedSessionKey{}, &loadedSession{slack: slack})
}

// FindCtx returns a live session's data.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var row Session
	err := s.db.WithContext(ctx).Where("token_hash = ? AND expiry > ?", sessionKey(token), Now()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if l, ok := ctx.Value(loadedSessionKey{}).(*loadedSession); ok {
		l.key, l.data, l.expiry = row.TokenHash, row.Data, row.Expiry
	}
	return row.Data, true, nil
}

// CommitCtx stores or replaces a session; in a request marked by WithRefreshSlack, it leaves a session
// it found as it is when the data is the same and the expiry moves on by less than the slack.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	key := sessionKey(token)
	if l, ok := ctx.Value(loadedSessionKey{}).(*loadedSession); ok && l.key == key && bytes.Equal(l.data, data) &&
		!expiry.Before(l.expiry) && expiry.Sub(l.expiry) < l.slack {
		return nil
	}
	row := Session{TokenHash: key, Data: data, Expiry: expiry.UTC().Truncate(time.Microsecond)}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "token_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"data", "expiry"}),
	}).Create(&row).Error
}

// DeleteCtx removes a session; removing one that does not exist is not an error.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.db.WithContext(ctx).Where("token_hash = ?", sessionKey(token)).Delete(&Session{}).Error
}

// Find implements scs.Store.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

// Delete implements scs.Store.
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// Cleanup deletes expired sessions and reports how many.
func (s *SessionStore) Cleanup(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expiry <= ?", Now()).Delete(&Session{})
	return res.RowsAffected, res.Error
}
