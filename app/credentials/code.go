package credentials

import (
	"context"

	"honnin/db"
)

// The one-time code at the challenge (a code policy other than PolicyPassword) shares the lockout of
// the ID and password: a wrong code counts against the holder like a wrong password, and only a
// right code ends the runs of failures of the holder and the card.

// CheckHolderID checks the ID typed on a challenge that asks for the ID and a code only: the card
// holder's ID passes (nothing is reset until the code is right); any other ID is a wrong answer that
// counts against the card, as a wrong password typed with another ID does. A locked holder or card is
// answered at once.
func (c *Checker) CheckHolderID(ctx context.Context, card Card, loginID string, from Origin) (Result, error) {
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
	if holder == nil || NormalizeLoginID(loginID) != holder.LoginID {
		return c.failCard(ctx, card.ID, holder, from)
	}
	return Result{Outcome: OK, Member: holder}, nil
}

// CodeWrong counts a wrong code against the card's holder, in the lockout shared with the portal.
func (c *Checker) CodeWrong(ctx context.Context, holderID uint, from Origin) (Result, error) {
	m, err := c.activeMember(ctx, "id = ?", holderID)
	if err != nil || m == nil {
		return Result{Outcome: Wrong}, err
	}
	if IsLocked(m, db.Now()) {
		return Result{Outcome: Locked, Member: m, LockedUntil: *m.LockedUntil}, nil
	}
	return c.fail(ctx, m, ViaChallenge, from)
}

// CodeRight ends the runs of failures of the card's holder and of the card once the right code came,
// unless the holder's ID locked meanwhile (the answer is then Locked).
func (c *Checker) CodeRight(ctx context.Context, card Card) (Result, error) {
	if card.Holder == nil {
		return Result{Outcome: Wrong}, nil
	}
	m, err := c.activeMember(ctx, "id = ?", *card.Holder)
	if err != nil || m == nil {
		return Result{Outcome: Wrong}, err
	}
	res, err := c.succeed(ctx, m)
	if err != nil || res.Outcome != OK {
		return res, err
	}
	return res, c.DB.WithContext(ctx).Model(&db.Card{}).Where("id = ? AND challenge_failures <> 0", card.ID).
		Update("challenge_failures", 0).Error
}

// stillUnlocked answers a right first factor: OK, unless the holder's ID locked while it was checked.
func (c *Checker) stillUnlocked(ctx context.Context, m *db.Member) (Result, error) {
	var cur db.Member
	if err := c.DB.WithContext(ctx).Select("id", "locked_until").Where("id = ?", m.ID).Take(&cur).Error; err != nil {
		return Result{}, err
	}
	if IsLocked(&cur, db.Now()) {
		return Result{Outcome: Locked, Member: m, LockedUntil: *cur.LockedUntil}, nil
	}
	return Result{Outcome: OK, Member: m}, nil
}
