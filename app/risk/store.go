package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// ErrRulesChanged means another rule set was saved since the one an edit started from: saving would
// silently undo it, so the edit is refused and the editor sees the newer rules first.
var ErrRulesChanged = errors.New("risk: the rules changed since this edit started")

// InForce is the rule set a node decides with: the rules, their version (the risk_rule_sets row; 0
// for the built-in defaults) and when this node loaded them.
type InForce struct {
	Rules    Rules
	Version  uint
	LoadedAt time.Time
}

// Store is the live Source: the newest saved rule set, read from the database at start and again
// every few seconds (Run), so that a change saved on any node is in force on every node within that
// time, without a restart. Current is a memory read; it never waits for the database.
type Store struct {
	db      *gorm.DB
	log     *slog.Logger
	inForce atomic.Pointer[InForce]
}

// NewStore loads the newest rule set (the defaults when none was saved yet).
func NewStore(ctx context.Context, gdb *gorm.DB, log *slog.Logger) (*Store, error) {
	s := &Store{db: gdb, log: log}
	s.inForce.Store(&InForce{Rules: DefaultRules(), LoadedAt: db.Now()})
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Current is the rules in force on this node.
func (s *Store) Current() Rules { return s.inForce.Load().Rules }

// InForce is the rules in force on this node with their version.
func (s *Store) InForce() InForce { return *s.inForce.Load() }

// Reload reads the newest rule set when its version differs from the one in force. A stored set
// that cannot be read (it was validated when saved, so only a hand-edited row can be wrong) is
// logged and skipped: the node keeps deciding with the rules it has.
func (s *Store) Reload(ctx context.Context) error {
	// The poll reads one id from the primary key's index; the rules themselves only when they changed.
	var newestID uint
	if err := s.db.WithContext(ctx).Model(&db.RiskRuleSet{}).Select("COALESCE(MAX(id), 0)").Scan(&newestID).Error; err != nil {
		return err
	}
	if newestID == 0 || newestID == s.inForce.Load().Version {
		return nil
	}
	var newest db.RiskRuleSet
	if err := s.db.WithContext(ctx).Take(&newest, newestID).Error; err != nil {
		return err
	}
	r, err := ParseRules(newest.Rules)
	if err != nil {
		s.log.ErrorContext(ctx, "stored risk rules are unusable; keeping the rules in force", "version", newest.ID, "error", err)
		return nil
	}
	s.inForce.Store(&InForce{Rules: r, Version: newest.ID, LoadedAt: db.Now()})
	s.log.InfoContext(ctx, "risk rules in force", "version", newest.ID)
	return nil
}

// Run reloads every interval until ctx ends (a background worker on every node).
func (s *Store) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "reloading the risk rules failed; keeping the rules in force", "error", err)
			}
		}
	}
}

// Save stores r as the new rule set, replacing version base (the version the editor started from),
// and runs also (the caller's audit record) in the same transaction. It returns ErrRulesChanged when
// base is no longer the newest version, and puts the new rules in force on this node at once.
func (s *Store) Save(ctx context.Context, r Rules, base uint, reason string, staffID uint,
	also func(tx *gorm.DB, saved db.RiskRuleSet) error) (db.RiskRuleSet, error) {
	if err := r.Validate(); err != nil {
		return db.RiskRuleSet{}, err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return db.RiskRuleSet{}, err
	}
	saved := db.RiskRuleSet{Rules: string(body), ReplacesID: base, Reason: reason}
	if staffID != 0 {
		saved.StaffID = &staffID
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var newest uint
		if err := tx.Model(&db.RiskRuleSet{}).Select("COALESCE(MAX(id), 0)").Scan(&newest).Error; err != nil {
			return err
		}
		if newest != base {
			return ErrRulesChanged
		}
		// Two saves from the same base can both pass the check above; the unique ReplacesID keeps one.
		if err := tx.Create(&saved).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrRulesChanged
			}
			return err
		}
		if also != nil {
			return also(tx, saved)
		}
		return nil
	})
	if err != nil {
		return db.RiskRuleSet{}, err
	}
	return saved, s.Reload(ctx)
}

// ParseRules reads a stored rule set. A signal the set has no weight for (one added to Honnin after
// the set was saved) gets its default weight, so that a new release's signals count from the start;
// the result is validated.
func ParseRules(stored string) (Rules, error) {
	var r Rules
	if err := json.Unmarshal([]byte(stored), &r); err != nil {
		return Rules{}, fmt.Errorf("risk rules: %w", err)
	}
	if r.Weights == nil {
		r.Weights = map[Signal]int{}
	}
	for s, w := range DefaultRules().Weights {
		if _, set := r.Weights[s]; !set {
			r.Weights[s] = w
		}
	}
	return r, r.Validate()
}

// History is the saved rule sets, newest first, at most limit of them.
func History(ctx context.Context, gdb *gorm.DB, limit int) ([]db.RiskRuleSet, error) {
	var sets []db.RiskRuleSet
	err := gdb.WithContext(ctx).Order("id DESC").Limit(limit).Find(&sets).Error
	return sets, err
}
