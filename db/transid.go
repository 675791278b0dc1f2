package db

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// NewTransID is an acsTransID for a transaction stored with created_at at: a UUIDv7 (RFC 9562) whose
// millisecond timestamp is at, so that the id tells the month of the row's partition
// (TransIDMonth). EMV asks only for a UUID in canonical form, of any version. google/uuid's NewV7
// takes its own clock and may move it on by a millisecond to stay monotonic, which would break the
// tie to created_at; the 74 random bits keep ids unguessable and apart within a millisecond.
func NewTransID(at time.Time) string {
	var u uuid.UUID
	_, _ = rand.Read(u[6:]) // crypto/rand.Read never fails (Go 1.24)
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(at.UnixMilli()))
	copy(u[:6], ms[2:])
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // variant 10 (RFC 9562)
	return u.String()
}

// TransIDMonth is the UTC month [from, to) that holds the created_at of the rows whose acsTransIDs are
// ids, when every id is a UUIDv7 (NewTransID's); ok is false when one is not (rows made before
// acsTransIDs carried their time, ids from outside), or when they span more than two months (a batch
// of AReqs straddles at most one turn of the month).
func TransIDMonth(ids ...string) (from, to time.Time, ok bool) {
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			return time.Time{}, time.Time{}, false
		}
		var ms [8]byte
		copy(ms[2:], u[:6])
		m := monthStart(time.UnixMilli(int64(binary.BigEndian.Uint64(ms[:]))))
		if from.IsZero() || m.Before(from) {
			from = m
		}
		if end := m.AddDate(0, 1, 0); end.After(to) {
			to = end
		}
	}
	return from, to, !from.IsZero() && !to.After(from.AddDate(0, 2, 0))
}

// InTransIDMonth is the scope of every statement that names challenges by acsTransID: where the ids
// carry their month, it bounds created_at to that month on PostgreSQL, so that the statement reads one
// monthly partition instead of probing every one (a month is 1 of 5 partitions in the bench, of about
// 21 with a year and a half kept). Other ids, and SQLite (no partitions), leave the statement as it was.
//
// The bounds are text cast to timestamptz, a cast that is stable, not immutable, so that PostgreSQL
// prunes when each execution starts, not when it plans: the cached generic plan of a prepared statement
// then serves every month. Given as timestamps, the bounds prune at planning, and a plan for one month
// looks so much cheaper than the generic one for every month that PostgreSQL plans the UPDATEs afresh at
// each execution (measured: that cost more than the probing it saved).
func InTransIDMonth(ids ...string) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		from, to, ok := TransIDMonth(ids...)
		if !ok || !IsPostgres(q) {
			return q
		}
		return q.Where("created_at >= ?::text::timestamptz AND created_at < ?::text::timestamptz", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
}
