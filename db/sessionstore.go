package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SessionStore is an scs store on the sessions table. Rows are keyed by the SHA-256 of the token, so
// whoever reads the table cannot take over a live session.
type SessionStore struct{ db *gorm.DB }

// NewSessionStore returns the store; call Cleanup periodically to remove expired rows.
func NewSessionStore(gdb *gorm.DB) *SessionStore { return &SessionStore{db: gdb} }

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
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
	return row.Data, true, nil
}

// CommitCtx stores or replaces a session.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	row := Session{TokenHash: sessionKey(token), Data: data, Expiry: expiry.UTC().Truncate(time.Microsecond)}
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
