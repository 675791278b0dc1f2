package member

import (
	"time"

	"honnin/app/i18n"
)

// CardRow is one card as a member sees it: last four digits only.
type CardRow struct {
	ID      uint
	Brand   string
	Last4   string
	Expiry  string // YYMM
	Status  string // active, closed, lost, stolen
	ThreeDS string // none, enrolled, stopped
}

// ExpiryText shows a YYMM expiry as MM/YY.
func (c CardRow) ExpiryText() string {
	if len(c.Expiry) != 4 {
		return c.Expiry
	}
	return c.Expiry[2:] + "/" + c.Expiry[:2]
}

// LoginPage is the login form.
type LoginPage struct {
	LoginID     string
	Problems    i18n.Problems
	Error       string // a form-level message ID
	LockedUntil *time.Time
	Notice      string
}

// HomePage is the member's top page after login.
type HomePage struct {
	LoginID       string
	PreviousLogin *time.Time
	Cards         []CardRow
	Notice        string
}

// MessagePage sets or changes the personal message.
type MessagePage struct {
	LoginID string
	// First is true while the member has not chosen a message (new, legacy default, or asked by support).
	First bool
	// Current is the member's own message ("" when none was chosen).
	Current string
	// Message is what was typed; Preview shows it as the challenge screen will.
	Message string
	Preview bool
	Brands  []string
	Err     string
	Notice  string
}
