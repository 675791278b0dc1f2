package credentials

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/db"
)

// CodePolicy is what a 3-D Secure challenge asks of the member: the issuer chooses it in the console.
type CodePolicy string

// The code policies.
const (
	// PolicyPassword asks for the ID and password (the static method).
	PolicyPassword CodePolicy = "password"
	// PolicyPasswordCode asks for the ID and password, then a one-time code sent by e-mail.
	PolicyPasswordCode CodePolicy = "password+code"
	// PolicyCode asks for the ID (so the member can pick the card's own ID) and a one-time code only.
	PolicyCode CodePolicy = "code"
)

// CodePolicies lists the policies in the order the console offers them.
var CodePolicies = []CodePolicy{PolicyPassword, PolicyPasswordCode, PolicyCode}

// NeedsCode reports whether the policy sends a one-time code: it then needs a mail server.
func (p CodePolicy) NeedsCode() bool { return p == PolicyPasswordCode || p == PolicyCode }

// Valid reports whether p is one of the policies.
func (p CodePolicy) Valid() bool {
	for _, q := range CodePolicies {
		if p == q {
			return true
		}
	}
	return false
}

// settingCodePolicy is the issuer setting that holds the code policy.
const settingCodePolicy = "code_policy"

// ErrUnknownPolicy is returned for a value that is not a CodePolicy.
var ErrUnknownPolicy = errors.New("credentials: unknown code policy")

// CurrentCodePolicy returns the issuer's code policy: PolicyPassword until one is set.
func CurrentCodePolicy(ctx context.Context, gdb *gorm.DB) (CodePolicy, error) {
	var s db.IssuerSetting
	err := gdb.WithContext(ctx).Where("key = ?", settingCodePolicy).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return PolicyPassword, nil
	}
	if err != nil {
		return "", err
	}
	if p := CodePolicy(s.Value); p.Valid() {
		return p, nil
	}
	return PolicyPassword, nil
}

// StoreCodePolicy writes the code policy inside tx and returns the one it replaced. Outside a
// transaction the write is committed when it returns, and the handle's PolicyCache reads the policy
// again at its next use; a caller that passes a transaction calls CodePolicyChanged after the commit.
func StoreCodePolicy(tx *gorm.DB, p CodePolicy) (CodePolicy, error) {
	if !p.Valid() {
		return "", ErrUnknownPolicy
	}
	before, err := CurrentCodePolicy(tx.Statement.Context, tx)
	if err != nil {
		return "", err
	}
	err = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Create(&db.IssuerSetting{Key: settingCodePolicy, Value: string(p)}).Error
	CodePolicyChanged(tx)
	return before, err
}

// PolicyCache is a node's copy of the issuer's code policy, so that the AReq path reads memory, not
// the database. Like the risk rules, it is read again every few seconds (Run), so that a change made
// on another node is in force here within that time; a change written through this node's handle is
// in force here at once (CodePolicyChanged makes the next use read it).
type PolicyCache struct {
	db  *gorm.DB
	log *slog.Logger
	// gen counts the changes written through this handle; a cached policy read before the newest of
	// them is stale. A read stores the generation it started in, so a read that a change overtook
	// never passes for fresh.
	gen    atomic.Uint64
	cached atomic.Pointer[cachedPolicy]
}

type cachedPolicy struct {
	policy CodePolicy
	gen    uint64
}

// The cache lives in its handle's plugins: every writer through the handle (the console, a test's
// StoreCodePolicy on the server's handle) then reaches the cache its node reads from.
const policyCachePlugin = "honnin:code_policy_cache"

// policyCaches guards the handle's plugin map, which gorm does not.
var policyCaches sync.Mutex

// Name and Initialize make the cache a gorm plugin.
func (c *PolicyCache) Name() string                  { return policyCachePlugin }
func (c *PolicyCache) Initialize(gdb *gorm.DB) error { return nil }

// Policies returns the code policy cache of the handle gdb (and of its sessions and transactions),
// making it on first use; log receives the failures of Run's reloads.
func Policies(gdb *gorm.DB, log *slog.Logger) *PolicyCache {
	policyCaches.Lock()
	defer policyCaches.Unlock()
	if c, ok := gdb.Config.Plugins[policyCachePlugin].(*PolicyCache); ok {
		return c
	}
	c := &PolicyCache{db: gdb, log: log}
	gdb.Config.Plugins[policyCachePlugin] = c // gorm.Open made the map
	return c
}

// CodePolicyChanged makes the cache of gdb's handle, if it has one, read the policy at its next use.
func CodePolicyChanged(gdb *gorm.DB) {
	policyCaches.Lock()
	c, ok := gdb.Config.Plugins[policyCachePlugin].(*PolicyCache)
	policyCaches.Unlock()
	if ok {
		c.gen.Add(1)
	}
}

// Current is the code policy in force on this node: a memory read, except for the first use and the
// first after a change written through this node.
func (c *PolicyCache) Current(ctx context.Context) (CodePolicy, error) {
	if p := c.cached.Load(); p != nil && p.gen == c.gen.Load() {
		return p.policy, nil
	}
	return c.Reload(ctx)
}

// Reload reads the policy from the database and keeps it.
func (c *PolicyCache) Reload(ctx context.Context) (CodePolicy, error) {
	gen := c.gen.Load()
	p, err := CurrentCodePolicy(ctx, c.db)
	if err != nil {
		return "", err
	}
	c.cached.Store(&cachedPolicy{policy: p, gen: gen})
	return p, nil
}

// Run reloads every interval until ctx ends (a background worker on every node). A failed read
// keeps the policy in force.
func (c *PolicyCache) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := c.Reload(ctx); err != nil && ctx.Err() == nil {
				c.log.WarnContext(ctx, "reloading the code policy failed; keeping the policy in force", "error", err)
			}
		}
	}
}
