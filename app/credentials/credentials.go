// Package credentials checks a member's login ID and password, the one pair that serves both the
// portal and the 3-D Secure challenge, and keeps the shared lockout: consecutive failures on either
// count together, and at the threshold the ID locks for a set time. Wrong challenge answers typed with
// any other ID count against the card instead, so that a card number alone cannot lock its member out.
package credentials

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// Policy is the lockout rule: Threshold consecutive failures lock the ID (or a card's challenges) for
// LockFor.
type Policy struct {
	Threshold int
	LockFor   time.Duration
}

// Outcome of a check.
type Outcome int

// Outcomes. A wrong ID and a wrong password are one outcome, so no caller can tell them apart.
const (
	Wrong Outcome = iota
	OK
	// Locked: the member's ID is locked.
	Locked
	// CardLocked: the card's challenges are locked after too many wrong answers with other IDs.
	CardLocked
)

// Where a failure that locked an ID was typed, for OnLock.
const (
	ViaPortal    = "portal"
	ViaChallenge = "challenge"
)

// Result is what a check found.
type Result struct {
	Outcome Outcome
	// Member is the member who logged in (OK), or whose ID is locked (Locked); nil otherwise.
	Member *db.Member
	// LockedUntil is when a locked ID (Locked, JustLocked) or card (CardLocked) opens again.
	LockedUntil time.Time
	// JustLocked is true when this failure locked the member's ID.
	JustLocked bool
	// FailedMember is, for a Wrong login, the active member whose ID was typed (0 when none is), and
	// Failures, for a failure counted against a member, their consecutive failures with this one (0
	// when it did not count, the ID being locked, or locked it): what the login page attributes and
	// warns with, without reading the member again.
	FailedMember uint
	Failures     int
	// Card, after a challenge answer's success, is the card as the check read it, its sealed PAN
	// included, so that the caller need not read it again; nil otherwise.
	Card *db.Card
}

// Checker checks credentials against the members table. One is built at start and shared by every
// face, so that the lock rule and its metric are the same wherever a password is typed.
type Checker struct {
	DB     *gorm.DB
	Hasher *security.Hasher
	Policy Policy
	// OnLock, when set, is called once each time a check locks a member's ID, with ViaPortal or
	// ViaChallenge (for a metric).
	OnLock func(via string)
	// Notices, when set, gets the notice that an ID locked, in the transaction that locks it.
	Notices *mail.Outbox
}

// Origin says where a check came from, for the lock event it may write.
type Origin struct {
	IP, UserAgent string
	// Language is the portal's language at a login: a successful one stores it as the member's, the
	// language of the member's notices. Empty leaves the stored one.
	Language    string
	ChallengeID *string
	CardID      *uint
}

// NormalizeLoginID applies NFKC, trims and lower-cases: IDs are case-insensitive and full-width input
// is accepted.
func NormalizeLoginID(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// IsLocked reports whether a member's ID is locked now.
func IsLocked(m *db.Member, now time.Time) bool {
	return m.LockedUntil != nil && m.LockedUntil.After(now)
}

// CardLockedUntil returns when a card's challenges open again, or nil when they are not locked now.
func CardLockedUntil(c *db.Card, now time.Time) *time.Time {
	if c.ChallengeLockedUntil != nil && c.ChallengeLockedUntil.After(now) {
		return c.ChallengeLockedUntil
	}
	return nil
}

// activeMember loads the active member that where names, or nil.
func (c *Checker) activeMember(ctx context.Context, query string, arg any) (*db.Member, error) {
	var m db.Member
	err := c.DB.WithContext(ctx).Where(query+" AND status = ?", arg, db.MemberActive).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// CheckLogin verifies a portal login; a success also stamps the member's login times (LastLoginAt is
// now, PreviousLoginAt the login before) and records the login event. Failures count against the
// member the typed ID names. A locked ID is told apart only to someone who gave its right password:
// any wrong password, including the one that locks the ID, gets the answer an unknown ID gets, and
// every answer costs one hash, so that neither the page nor its timing tells an ID exists or is locked.
func (c *Checker) CheckLogin(ctx context.Context, loginID, password string, from Origin) (Result, error) {
	var typed *db.Member
	if id := NormalizeLoginID(loginID); id != "" {
		var err error
		if typed, err = c.activeMember(ctx, "login_id = ?", id); err != nil {
			return Result{}, err
		}
	}
	if typed == nil {
		c.Hasher.SpendVerifyTime(ctx, password)
		return Result{Outcome: Wrong}, ctx.Err()
	}
	match, err := c.verify(ctx, password, typed, nil)
	if err != nil {
		return Result{}, err
	}
	if match {
		return c.succeedLogin(ctx, typed, from)
	}
	res, err := c.fail(ctx, typed, ViaPortal, from)
	if res.Outcome == Locked {
		res = Result{Outcome: Wrong}
	}
	res.FailedMember = typed.ID
	return res, err
}

// CheckMember verifies the current password of a logged-in member (before a change of ID, password or
// 3-D Secure state). Failures count against the member; a locked member is answered Locked at once.
func (c *Checker) CheckMember(ctx context.Context, memberID uint, password string, from Origin) (Result, error) {
	m, err := c.activeMember(ctx, "id = ?", memberID)
	if err != nil {
		return Result{}, err
	}
	if m == nil {
		c.Hasher.SpendVerifyTime(ctx, password)
		return Result{Outcome: Wrong}, ctx.Err()
	}
	if IsLocked(m, db.Now()) {
		return Result{Outcome: Locked, Member: m, LockedUntil: *m.LockedUntil}, nil
	}
	match, err := c.verify(ctx, password, m, c.memberStillOpen(ctx, m.ID))
	return c.settle(ctx, m, match, err, ViaPortal, from)
}

// Card is the card a challenge is for and the member holding it (nil when none).
type Card struct {
	ID     uint
	Holder *uint
}

// CheckAnswer verifies a challenge answer for a card. Only the holder's ID can pass. A wrong answer
// typed with the holder's ID counts against the holder (together with the portal); one typed with any
// other ID counts against the card, whose challenges lock at the threshold (CardLocked) while the
// holder's ID stays usable. A locked holder or card is answered at once, without a hash: the challenge
// page tells the holder's lock anyway.
func (c *Checker) CheckAnswer(ctx context.Context, card Card, loginID, password string, from Origin) (Result, error) {
	return c.checkAnswer(ctx, card, loginID, password, from, true)
}

// CheckAnswerBeforeCode is CheckAnswer for a challenge whose one-time code follows the password: a
// right password counts and locks as CheckAnswer's does, but ends no run of failures; only the right
// code does (CodeRight), so that someone who holds the password cannot reset the lockout while
// guessing codes.
func (c *Checker) CheckAnswerBeforeCode(ctx context.Context, card Card, loginID, password string, from Origin) (Result, error) {
	return c.checkAnswer(ctx, card, loginID, password, from, false)
}

func (c *Checker) checkAnswer(ctx context.Context, card Card, loginID, password string, from Origin, final bool) (Result, error) {
	holder, cardLock, err := c.holderAndCard(ctx, card)
	if err != nil {
		return Result{}, err
	}
	now := db.Now()
	if holder != nil && IsLocked(holder, now) {
		return Result{Outcome: Locked, Member: holder, LockedUntil: *holder.LockedUntil}, nil
	}
	if until := CardLockedUntil(&cardLock, now); until != nil {
		return cardLocked(until), nil
	}
	cardFailures := cardLock.ChallengeFailures
	stillOpen := c.cardStillOpen(ctx, card.ID, holder)
	if holder == nil || NormalizeLoginID(loginID) != holder.LoginID {
		if err := c.Hasher.SpendVerifyTimeAfter(ctx, password, stillOpen); err != nil {
			return c.lockedMeanwhile(err, holder)
		}
		return c.failCard(ctx, card.ID, holder, from)
	}
	match, err := c.verify(ctx, password, holder, stillOpen)
	if err != nil {
		return c.lockedMeanwhile(err, holder)
	}
	if match && !final {
		return c.stillUnlocked(ctx, holder)
	}
	res, err := c.settle(ctx, holder, match, nil, ViaChallenge, from)
	if res.Outcome == OK {
		res.Card = &cardLock
	}
	// The holder's right answer ends the card's run of wrong answers; a card with none (the usual case)
	// needs no write. A wrong answer counted while this one was hashed stays counted.
	if err == nil && res.Outcome == OK && cardFailures != 0 {
		err = c.DB.WithContext(ctx).Model(&db.Card{}).Where("id = ? AND challenge_failures <> 0", card.ID).
			Update("challenge_failures", 0).Error
	}
	return res, err
}

func cardLocked(until *time.Time) Result {
	if until == nil {
		return Result{}
	}
	return Result{Outcome: CardLocked, LockedUntil: *until}
}

// lockedError says the member or the card was locked while the check waited for its turn to hash.
type lockedError struct {
	card  bool
	until time.Time
}

func (lockedError) Error() string { return "credentials: locked meanwhile" }

// lockedMeanwhile turns a lockedError into its result; any other error is returned as it is.
func (c *Checker) lockedMeanwhile(err error, holder *db.Member) (Result, error) {
	var locked lockedError
	switch {
	case !errors.As(err, &locked):
		return Result{}, err
	case locked.card:
		return Result{Outcome: CardLocked, LockedUntil: locked.until}, nil
	}
	return Result{Outcome: Locked, Member: holder, LockedUntil: locked.until}, nil
}

// memberStillOpen runs once a check's turn to hash has come after it queued for it: when a burst of
// failures locked the ID while this check queued, it answers "locked" without spending a hash.
func (c *Checker) memberStillOpen(ctx context.Context, memberID uint) func() error {
	return func() error {
		var m db.Member
		if err := c.DB.WithContext(ctx).Select("id", "locked_until").Where("id = ?", memberID).Take(&m).Error; err != nil {
			return err
		}
		if IsLocked(&m, db.Now()) {
			return lockedError{until: *m.LockedUntil}
		}
		return nil
	}
}

// cardStillOpen is memberStillOpen for a challenge answer: the holder's ID and the card's challenges,
// read in one statement.
func (c *Checker) cardStillOpen(ctx context.Context, cardID uint, holder *db.Member) func() error {
	return func() error {
		var holderID uint // 0 joins no member
		if holder != nil {
			holderID = holder.ID
		}
		var locks []struct {
			MemberLockedUntil *time.Time
			CardLockedUntil   *time.Time
		}
		if err := c.DB.WithContext(ctx).Table("cards").
			Select("members.locked_until AS member_locked_until, cards.challenge_locked_until AS card_locked_until").
			Joins("LEFT JOIN members ON members.id = ?", holderID).Where("cards.id = ?", cardID).Scan(&locks).Error; err != nil {
			return err
		}
		if len(locks) == 0 {
			return nil
		}
		now := db.Now()
		if l := locks[0].MemberLockedUntil; l != nil && l.After(now) {
			return lockedError{until: *l}
		}
		if l := locks[0].CardLockedUntil; l != nil && l.After(now) {
			return lockedError{card: true, until: *l}
		}
		return nil
	}
}

// holderAndCard reads the card's challenge lock and count of wrong answers, and its holder when active
// (else nil): one statement for a card with an active holder (the usual case), two otherwise. With a
// holder the card's sealed PAN comes with it (Result.Card: what a success's authentication value needs).
func (c *Checker) holderAndCard(ctx context.Context, card Card) (*db.Member, db.Card, error) {
	gdb := c.DB.WithContext(ctx)
	if card.Holder != nil {
		var rows []struct {
			db.Member
			CardLockedUntil *time.Time
			CardFailures    int
			CardPANSealed   []byte `gorm:"column:card_pan_sealed"`
			CardKeyVersion  int    `gorm:"column:card_key_version"`
		}
		err := gdb.Table("members").Select("members.*, cards.challenge_locked_until AS card_locked_until, cards.challenge_failures AS card_failures, "+
			"cards.pan_sealed AS card_pan_sealed, cards.key_version AS card_key_version").
			Joins("JOIN cards ON cards.id = ?", card.ID).Where("members.id = ? AND members.status = ?", *card.Holder, db.MemberActive).
			Limit(1).Scan(&rows).Error
		if err != nil {
			return nil, db.Card{}, err
		}
		if len(rows) == 1 {
			m := rows[0].Member
			r := rows[0]
			return &m, db.Card{ID: card.ID, ChallengeLockedUntil: r.CardLockedUntil, ChallengeFailures: r.CardFailures,
				PANSealed: r.CardPANSealed, KeyVersion: r.CardKeyVersion}, nil
		}
	}
	var lock db.Card
	err := gdb.Select("id", "challenge_locked_until", "challenge_failures").Where("id = ?", card.ID).Take(&lock).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = nil
	}
	return nil, lock, err
}

// verify checks password against m's hash; a hash this package cannot read matches nothing.
func (c *Checker) verify(ctx context.Context, password string, m *db.Member, before func() error) (bool, error) {
	match, err := c.Hasher.VerifyAfter(ctx, password, m.PasswordHash, before)
	if errors.Is(err, security.ErrMalformedHash) {
		return false, nil
	}
	return match, err
}

// settle finishes a check of m's own password: success, or a failure counted against m.
func (c *Checker) settle(ctx context.Context, m *db.Member, match bool, err error, via string, from Origin) (Result, error) {
	if err != nil {
		return c.lockedMeanwhile(err, m)
	}
	if match {
		return c.succeed(ctx, m)
	}
	return c.fail(ctx, m, via, from)
}

// succeed ends m's run of failures, unless the ID locked while the password was hashed: the lock then
// stands and the answer is Locked.
func (c *Checker) succeed(ctx context.Context, m *db.Member) (Result, error) {
	gdb := c.DB.WithContext(ctx)
	var cur db.Member
	if err := gdb.Select("id", "failed_attempts", "locked_until").Where("id = ?", m.ID).Take(&cur).Error; err != nil {
		return Result{}, err
	}
	now := db.Now()
	if IsLocked(&cur, now) {
		return Result{Outcome: Locked, Member: m, LockedUntil: *cur.LockedUntil}, nil
	}
	if cur.FailedAttempts != 0 || cur.LockedUntil != nil {
		reset := gdb.Model(&db.Member{}).Where("id = ? AND (locked_until IS NULL OR locked_until <= ?)", m.ID, now).
			Updates(map[string]any{"failed_attempts": 0, "locked_until": nil})
		if reset.Error != nil {
			return Result{}, reset.Error
		}
		if reset.RowsAffected == 0 {
			return c.succeed(ctx, m)
		}
	}
	m.FailedAttempts, m.LockedUntil = 0, nil
	return Result{Outcome: OK, Member: m}, nil
}

// succeedLogin is succeed for a portal login: the run of failures ends, the login is stamped
// (last_login_at now, the one before it in previous_login_at) and recorded as a login event, unless
// the ID locked while the password was hashed. On PostgreSQL the stamp and its event are one statement,
// one round trip and one commit; on SQLite two statements in one transaction.
func (c *Checker) succeedLogin(ctx context.Context, m *db.Member, from Origin) (Result, error) {
	gdb := c.DB.WithContext(ctx)
	now := db.Now()
	stamped, err := stampLogin(gdb, m.ID, now, from)
	if err != nil {
		return Result{}, err
	}
	if !stamped {
		var cur db.Member
		if err := gdb.Select("id", "locked_until").Where("id = ?", m.ID).Take(&cur).Error; err != nil {
			return Result{}, err
		}
		if IsLocked(&cur, now) {
			return Result{Outcome: Locked, Member: m, LockedUntil: *cur.LockedUntil}, nil
		}
		return c.succeedLogin(ctx, m, from) // the lock ended between the two statements
	}
	m.FailedAttempts, m.LockedUntil = 0, nil
	m.PreviousLoginAt, m.LastLoginAt = m.LastLoginAt, &now
	return Result{Outcome: OK, Member: m}, nil
}

// stampLogin stamps a login on the member's row and records its login event, both or neither: it
// reports false, writing nothing, when the ID is locked at now. A login in from.Language makes it the
// member's language.
func stampLogin(gdb *gorm.DB, memberID uint, now time.Time, from Origin) (bool, error) {
	set := "failed_attempts = 0, locked_until = NULL, previous_login_at = last_login_at, last_login_at = ?, updated_at = ?"
	args := []any{now, now}
	if from.Language != "" {
		set += ", language = ?"
		args = append(args, from.Language)
	}
	update := "UPDATE members SET " + set + " WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)"
	args = append(args, memberID, now)
	ua := security.Truncate(from.UserAgent, 300)
	if db.IsPostgres(gdb) {
		res := gdb.Exec("WITH stamped AS ("+update+" RETURNING id) "+
			"INSERT INTO auth_events (member_id, kind, result, detail, ip, user_agent, created_at) "+
			"SELECT id, ?, ?, '', ?, ?, ? FROM stamped", append(args, db.EventLogin, db.ResultOK, from.IP, ua, now)...)
		return res.RowsAffected == 1, res.Error
	}
	stamped := false
	err := gdb.Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(update, args...)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		stamped = true
		return tx.Create(&db.AuthEvent{MemberID: &memberID, Kind: db.EventLogin, Result: db.ResultOK, IP: from.IP,
			UserAgent: ua, CreatedAt: now}).Error
	})
	return stamped, err
}

// counter is a failure count with a lock: a member's ID, or a card's challenges.
type counter struct {
	model                  any
	table                  string // model's
	id                     uint
	failures, lockedColumn string
}

// count adds one failure with one conditional UPDATE, so that concurrent failures on several nodes all
// count, and locks once the count reaches the threshold. A failure that finishes after another one
// locked does not count: the lock starts the count afresh, and a late failure must not carry over past
// the lock's end. It reports the failures counted with this one (0 when it did not count), and the lock's
// end when this failure locked (justLocked) or found it locked.
func (c *Checker) count(tx *gorm.DB, k counter) (failures int, until *time.Time, justLocked bool, err error) {
	open := "id = ? AND (" + k.lockedColumn + " IS NULL OR " + k.lockedColumn + " <= ?)"
	var counted []int
	now := db.Now()
	if err := tx.Raw("UPDATE "+k.table+" SET "+k.failures+" = "+k.failures+" + 1, updated_at = ? WHERE "+open+" RETURNING "+k.failures,
		now, k.id, now).Scan(&counted).Error; err != nil {
		return 0, nil, false, err
	}
	if len(counted) == 0 {
		var lockedUntil *time.Time
		if err := tx.Model(k.model).Where("id = ?", k.id).Select(k.lockedColumn).Scan(&lockedUntil).Error; err != nil {
			return 0, nil, false, err
		}
		return 0, lockedUntil, false, nil
	}
	n := counted[0]
	if n < c.Policy.Threshold {
		return n, nil, false, nil
	}
	now = db.Now()
	lockUntil := now.Add(c.Policy.LockFor)
	locked := tx.Model(k.model).Where(open, k.id, now).Updates(map[string]any{k.lockedColumn: lockUntil, k.failures: 0})
	if locked.Error != nil {
		return 0, nil, false, locked.Error
	}
	return n, &lockUntil, locked.RowsAffected == 1, nil
}

// fail counts a failure against m and writes the lock event when it locks the ID.
func (c *Checker) fail(ctx context.Context, m *db.Member, via string, from Origin) (Result, error) {
	res := Result{Outcome: Wrong}
	err := c.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		failures, until, just, err := c.count(tx, counter{model: &db.Member{}, table: "members", id: m.ID, failures: "failed_attempts", lockedColumn: "locked_until"})
		switch {
		case err != nil:
			return err
		case until == nil:
			res.Failures = failures
			return nil
		case !just:
			res = Result{Outcome: Locked, Member: m, LockedUntil: *until}
			return nil
		}
		res.JustLocked, res.LockedUntil = true, *until
		if err := tx.Create(&db.AuthEvent{MemberID: &m.ID, CardID: from.CardID, ChallengeID: from.ChallengeID,
			Kind: db.EventLock, Result: db.ResultLocked, IP: from.IP, UserAgent: security.Truncate(from.UserAgent, 300)}).Error; err != nil {
			return err
		}
		if c.Notices != nil {
			return c.Notices.Enqueue(tx, m.ID, mail.KindLocked, mail.Facts{Until: *until})
		}
		return nil
	})
	if err == nil && res.JustLocked && c.OnLock != nil {
		c.OnLock(via)
	}
	return res, err
}

// failCard counts a wrong answer against the card and writes the lock event (in the holder's history)
// when it locks the card's challenges.
func (c *Checker) failCard(ctx context.Context, cardID uint, holder *db.Member, from Origin) (Result, error) {
	res := Result{Outcome: Wrong}
	err := c.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, until, just, err := c.count(tx, counter{model: &db.Card{}, table: "cards", id: cardID, failures: "challenge_failures", lockedColumn: "challenge_locked_until"})
		if err != nil || until == nil {
			return err
		}
		res = Result{Outcome: CardLocked, LockedUntil: *until}
		if !just {
			return nil
		}
		ev := db.AuthEvent{CardID: &cardID, ChallengeID: from.ChallengeID, Kind: db.EventLock, Result: db.ResultCardLocked,
			IP: from.IP, UserAgent: security.Truncate(from.UserAgent, 300)}
		if holder != nil {
			ev.MemberID = &holder.ID
		}
		return tx.Create(&ev).Error
	})
	return res, err
}

// Unlock clears a member's lock and failure count and records who did it (support, or re-registration).
func Unlock(ctx context.Context, tx *gorm.DB, memberID uint, detail string, from Origin) error {
	if err := tx.WithContext(ctx).Model(&db.Member{}).Where("id = ?", memberID).
		Updates(map[string]any{"failed_attempts": 0, "locked_until": nil}).Error; err != nil {
		return err
	}
	return tx.WithContext(ctx).Create(&db.AuthEvent{MemberID: &memberID, Kind: db.EventUnlock, Result: db.ResultUnlocked,
		Detail: detail, IP: from.IP, UserAgent: security.Truncate(from.UserAgent, 300)}).Error
}

// UnlockCards clears the challenge lock and failure count of every card the member holds, and records
// one unlock event for each card that was locked. It reports how many were locked.
func UnlockCards(ctx context.Context, tx *gorm.DB, memberID uint, detail string, from Origin) (int, error) {
	tx = tx.WithContext(ctx)
	var locked []uint
	if err := tx.Model(&db.Card{}).Where("member_id = ? AND challenge_locked_until > ?", memberID, db.Now()).
		Pluck("id", &locked).Error; err != nil {
		return 0, err
	}
	if err := tx.Model(&db.Card{}).Where("member_id = ? AND (challenge_failures <> 0 OR challenge_locked_until IS NOT NULL)", memberID).
		Updates(map[string]any{"challenge_failures": 0, "challenge_locked_until": nil}).Error; err != nil {
		return 0, err
	}
	for _, id := range locked {
		if err := tx.Create(&db.AuthEvent{MemberID: &memberID, CardID: &id, Kind: db.EventUnlock, Result: db.ResultCardUnlocked,
			Detail: detail, IP: from.IP, UserAgent: security.Truncate(from.UserAgent, 300)}).Error; err != nil {
			return 0, err
		}
	}
	return len(locked), nil
}
