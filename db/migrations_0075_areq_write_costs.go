package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// areqWriteCosts lowers what every AReq's writes cost PostgreSQL (issue 13); SQLite is left as it is.
//
// The transaction rows' created_at index becomes a BRIN index. Every AReq inserted into the B-tree,
// one of the seven index entries its row costs, and no hot query reads it: the retention sweeper drops
// whole monthly partitions, the histories read (card_id, created_at) and (member_id, created_at), and
// what remains is the risk rules' what-if replay of the last days and the sweeper's look for rows in a
// month it keeps, both ranges of created_at. Rows arrive in created_at order, so a BRIN index (one
// summary per 128 pages, which an insert into a page range not yet summarised does not touch) finds
// those ranges as well as the B-tree did, at almost no cost to an insert and a few kilobytes of size.
//
// The rate counters and the cards' risk counters are rewritten on every AReq without changing an
// indexed column: with room left in each page, nearly every update stays on its page (a HOT update,
// no index entries); full pages sent about one update in six to a new page with new index entries.
// The fill factor applies to pages written from now on.
var areqWriteCosts = &gormigrate.Migration{
	ID: "2026120275_areq_write_costs",
	Migrate: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return execAll(tx, []string{
			`DROP INDEX IF EXISTS idx_challenges_created_at`,
			`CREATE INDEX idx_challenges_created_at ON challenges USING brin (created_at)`,
			`ALTER TABLE areq_counters SET (fillfactor = ` + counterFillFactor + `)`,
			`ALTER TABLE card_risk_counters SET (fillfactor = ` + counterFillFactor + `)`,
		})
	},
	Rollback: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return execAll(tx, []string{
			`DROP INDEX IF EXISTS idx_challenges_created_at`,
			`CREATE INDEX idx_challenges_created_at ON challenges (created_at)`,
			`ALTER TABLE areq_counters RESET (fillfactor)`,
			`ALTER TABLE card_risk_counters RESET (fillfactor)`,
		})
	},
}

// counterFillFactor leaves a third of each counter page free for the rows' next versions.
const counterFillFactor = "70"
