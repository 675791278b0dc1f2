package db

import (
	"slices"

	"gorm.io/gorm"
)

// ChallengeKey is one column and value whose transactions a history shows: `card_id` or `member_id`.
type ChallengeKey struct {
	Column string
	Value  uint
}

// NewestChallenges returns the newest limit transactions (newest first) that match any of keys and the
// conditions filter adds (nil for none). Each key is read on its own, `WHERE column = ? ORDER BY
// created_at DESC LIMIT limit`, which the (column, created_at) indexes answer by reading limit rows, in
// every monthly partition at once; one query for all keys (`card_id IN (…)`, or `member_id = ? OR …`)
// would instead fetch every transaction of every key and sort them, which a card with years of purchases
// makes slow. A transaction matched by two keys appears once.
func NewestChallenges(gdb *gorm.DB, limit int, filter func(*gorm.DB) *gorm.DB, keys ...ChallengeKey) ([]Challenge, error) {
	var all []Challenge
	for _, k := range keys {
		q := gdb.Model(&Challenge{}).Where(k.Column+" = ?", k.Value)
		if filter != nil {
			q = filter(q)
		}
		var some []Challenge
		if err := q.Order("created_at DESC").Limit(limit).Find(&some).Error; err != nil {
			return nil, err
		}
		all = append(all, some...)
	}
	slices.SortStableFunc(all, func(a, b Challenge) int { return b.CreatedAt.Compare(a.CreatedAt) })
	seen := make(map[string]bool, len(all))
	all = slices.DeleteFunc(all, func(ch Challenge) bool {
		dup := seen[ch.ACSTransID]
		seen[ch.ACSTransID] = true
		return dup
	})
	return all[:min(limit, len(all))], nil
}
