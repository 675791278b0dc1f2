// Package retention removes stored data once its retention period (config.Retention) has passed:
// transactions, authentication events, delivered outbox rows, failed registration tries and unknown
// login IDs' failure counts by age, closed IDs' personal data, and
// audit events only by their own setting, each removal of audit events itself recorded in the audit log.
//
// On PostgreSQL the transaction and event tables are partitioned by calendar month (db migration 0031):
// the sweeper creates partitions ahead and drops whole months past their period, so removal never
// deletes row by row on the hot tables. Everywhere else rows go in small batches, each its own short
// transaction, so that the AReq path never waits long for the write lock. Any number of nodes may run
// the sweeper: each turn is claimed in sweep_claims by a conditional update, and only its winner works.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/db"
)

// period is a retention period: whole calendar months (what disputes and the audit need) or days.
type period struct{ months, days int }

func months(f func(config.Retention) int) func(config.Retention) period {
	return func(r config.Retention) period { return period{months: f(r)} }
}

func days(f func(config.Retention) int) func(config.Retention) period {
	return func(r config.Retention) period { return period{days: f(r)} }
}

// Cutoff is the instant before which rows kept for p are past it at now. A period in months keeps
// whole UTC calendar months: the cutoff is the start of the month p months ago, so a row is kept at
// least p months and removed with the rest of its month (on PostgreSQL, the month's partition).
func (p period) cutoff(now time.Time) time.Time {
	now = now.UTC()
	if p.months > 0 {
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return first.AddDate(0, -p.months, 0)
	}
	return now.AddDate(0, 0, -p.days)
}

// rule removes a table's rows by the age in one column. Adding a table to the sweep is one line in rules.
type rule struct {
	table  string
	key    string // the primary key column, by which a batch is chosen
	column string // the age: rows whose column is before the cutoff go; NULL never goes
	keep   func(config.Retention) period
}

// rules are the tables the sweeper removes by age. The partitioned tables (PostgreSQL) are in
// db.PartitionedTables and lose whole months; elsewhere their rows go in batches too.
var rules = []rule{
	{table: "challenges", key: "acs_trans_id", column: "created_at", keep: months(func(r config.Retention) int { return r.TransactionMonths })},
	{table: "auth_events", key: "id", column: "created_at", keep: months(func(r config.Retention) int { return r.EventMonths })},
	{table: "outbox_messages", key: "id", column: "delivered_at", keep: days(func(r config.Retention) int { return r.DeliveredRReqDays })},
	{table: "registration_attempts", key: "id", column: "created_at", keep: days(func(r config.Retention) int { return r.RegistrationAttemptDays })},
	{table: "login_id_failures", key: "id_hash", column: "updated_at", keep: days(func(r config.Retention) int { return r.LoginIDFailureDays })},
}

// claimName is the sweep's row in sweep_claims.
const claimName = "retention"

// Sweeper runs the retention sweep on one node.
type Sweeper struct {
	DB     *gorm.DB
	Policy config.Retention
	Log    *slog.Logger
	Node   string // who ran a turn, as sweep_claims shows it
}

// Run sweeps every Policy.SweepEvery until ctx ends; a turn another node claimed is skipped.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(min(s.Policy.SweepEvery, time.Minute))
	defer t.Stop()
	for {
		if _, err := s.Turn(ctx, db.Now()); err != nil && ctx.Err() == nil {
			s.Log.Warn("retention sweep failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Report is what one sweep removed: rows per table ("members": closed IDs whose personal data went),
// and the monthly partitions dropped whole (PostgreSQL).
type Report struct {
	Claimed    bool
	Removed    map[string]int64
	Partitions []string
}

// Turn claims the sweep's turn at now and, when this node won it, sweeps. A turn lost to another node
// returns a Report with Claimed false and changes nothing.
func (s *Sweeper) Turn(ctx context.Context, now time.Time) (Report, error) {
	won, err := db.ClaimTurn(ctx, s.DB, claimName, s.Node, now, s.Policy.SweepEvery)
	if err != nil || !won {
		return Report{}, err
	}
	rep, err := Sweep(ctx, s.DB, s.Policy, now)
	rep.Claimed = true
	for table, n := range rep.Removed {
		if n > 0 {
			s.Log.Info("retention removed rows", "table", table, "rows", n)
		}
	}
	for _, p := range rep.Partitions {
		s.Log.Info("retention dropped a partition", "partition", p)
	}
	return rep, err
}

// Sweep removes everything past its retention at now, whoever else is sweeping (Turn claims first).
func Sweep(ctx context.Context, gdb *gorm.DB, policy config.Retention, now time.Time) (Report, error) {
	rep := Report{Removed: map[string]int64{}}
	gdb = gdb.WithContext(ctx)
	if db.IsPostgres(gdb) {
		if err := db.EnsurePartitions(gdb, now); err != nil {
			return rep, fmt.Errorf("retention: partitions ahead: %w", err)
		}
	}
	for _, r := range rules {
		cutoff := r.keep(policy).cutoff(now)
		if db.IsPartitioned(gdb, r.table) {
			dropped, err := db.DropPartitionsBefore(gdb, r.table, cutoff)
			rep.Partitions = append(rep.Partitions, dropped...)
			if err != nil {
				return rep, fmt.Errorf("retention: %s: %w", r.table, err)
			}
		}
		n, err := removeBefore(gdb, r, cutoff, policy.BatchRows)
		rep.Removed[r.table] += n
		if err != nil {
			return rep, fmt.Errorf("retention: %s: %w", r.table, err)
		}
	}
	n, err := RemoveClosedMembersData(ctx, gdb, period{months: policy.ClosedMemberMonths}.cutoff(now), now)
	rep.Removed["members"] = n
	if err != nil {
		return rep, err
	}
	if policy.AuditMonths > 0 {
		n, err := RemoveAuditEvents(ctx, gdb, period{months: policy.AuditMonths}.cutoff(now), policy.BatchRows)
		rep.Removed["audit_events"] = n
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// removeBefore removes the rule's rows older than cutoff in batches of batch rows, each batch its own
// transaction. On a partitioned table the months before a month-aligned cutoff are already gone with
// their partitions, and the first batch finds nothing.
func removeBefore(gdb *gorm.DB, r rule, cutoff time.Time, batch int) (int64, error) {
	var total int64
	stmt := fmt.Sprintf(`DELETE FROM %[1]s WHERE %[2]s IN (SELECT %[2]s FROM %[1]s WHERE %[3]s < ? ORDER BY %[3]s LIMIT ?)`,
		r.table, r.key, r.column)
	for {
		res := gdb.Exec(stmt, cutoff, batch)
		total += res.RowsAffected
		if res.Error != nil || res.RowsAffected < int64(batch) {
			return total, res.Error
		}
	}
}
