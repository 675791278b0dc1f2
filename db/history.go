package db

import (
	"slices"
	"time"

	"gorm.io/gorm"
)

// ChallengeKey is one column and value whose transactions a history shows: `card_id` or `member_id`.
type ChallengeKey struct {
	Column string
	Value  uint
}

// Window is a span of created_at, From inclusive and To exclusive; a zero bound is open.
type Window struct{ From, To time.Time }

// where limits q's column to the window.
func (w Window) where(q *gorm.DB, column string) *gorm.DB {
	if !w.From.IsZero() {
		q = q.Where(column+" >= ?", w.From)
	}
	if !w.To.IsZero() {
		q = q.Where(column+" < ?", w.To)
	}
	return q
}

// historyWindowAges are how far back each of the history's windows reaches.
var historyWindowAges = []time.Duration{31 * 24 * time.Hour, 92 * 24 * time.Hour, 366 * 24 * time.Hour}

// HistoryWindows cuts time before and after now into windows, newest first: the last month (and the
// future, for a clock a little ahead), the two before, the rest of the year, and everything older. A
// history reads them in turn and stops at the first window that fills its page: a query bounded in time
// touches only the monthly partitions of its window (PostgreSQL prunes the others when the query starts),
// where an unbounded one opens an index in every partition the retention keeps, about twenty, for
// each read.
func HistoryWindows(now time.Time) []Window {
	out := make([]Window, 0, len(historyWindowAges)+1)
	var to time.Time
	for _, age := range historyWindowAges {
		from := now.Add(-age)
		out = append(out, Window{From: from, To: to})
		to = from
	}
	return append(out, Window{To: to})
}

// NewestChallenges returns the newest limit transactions (newest first) that match any of keys and the
// conditions filter adds (nil for none), reading HistoryWindows(now) newest first. In each window each
// key is read on its own, `WHERE column = ? AND created_at … ORDER BY created_at DESC LIMIT limit`,
// which the (column, created_at) indexes answer by reading limit rows; one query for all keys
// (`card_id IN (…)`, or `member_id = ? OR …`) would instead fetch every transaction of every key in the
// window and sort them, which a card with years of purchases makes slow. Once the windows read hold
// limit transactions, older windows cannot add any of the newest limit, and are not read. A transaction
// matched by two keys appears once.
func NewestChallenges(gdb *gorm.DB, now time.Time, limit int, filter func(*gorm.DB) *gorm.DB, keys ...ChallengeKey) ([]Challenge, error) {
	var all []Challenge
	seen := map[string]bool{}
	for _, w := range HistoryWindows(now) {
		for _, k := range keys {
			q := w.where(gdb.Model(&Challenge{}).Where(k.Column+" = ?", k.Value), "created_at")
			if filter != nil {
				q = filter(q)
			}
			var some []Challenge
			if err := q.Order("created_at DESC").Limit(limit).Find(&some).Error; err != nil {
				return nil, err
			}
			for _, ch := range some {
				if !seen[ch.ACSTransID] {
					seen[ch.ACSTransID] = true
					all = append(all, ch)
				}
			}
		}
		if len(all) >= limit {
			break
		}
	}
	slices.SortStableFunc(all, func(a, b Challenge) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return all[:min(limit, len(all))], nil
}

// NewestEvents returns the member's newest limit events (newest first, the later-written first within
// one instant) that pass filter (nil for none), reading HistoryWindows(now) newest first until limit
// are found, as NewestChallenges does.
func NewestEvents(gdb *gorm.DB, now time.Time, limit int, memberID uint, filter func(*gorm.DB) *gorm.DB) ([]AuthEvent, error) {
	var all []AuthEvent
	for _, w := range HistoryWindows(now) {
		q := w.where(gdb.Model(&AuthEvent{}).Where("member_id = ?", memberID), "created_at")
		if filter != nil {
			q = filter(q)
		}
		var some []AuthEvent
		if err := q.Order("created_at DESC").Order("id DESC").Limit(limit - len(all)).Find(&some).Error; err != nil {
			return nil, err
		}
		if all = append(all, some...); len(all) == limit {
			break
		}
	}
	return all, nil
}
