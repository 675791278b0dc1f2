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

// ProofPage asks for the card details that prove ownership (registration, or adding a card when
// LoginID is set). The card number is never put back into the form.
type ProofPage struct {
	Action                   string
	LoginID                  string
	Expiry, BirthDate, Phone string
	Problems                 i18n.Problems
	Refusal                  string
	Until                    *time.Time
	Notice                   string
}

// RegisterConfirmPage explains what re-registering a card that already has an ID does.
type RegisterConfirmPage struct {
	Brand, Last4 string
	OtherCards   int
}

// AccountPage asks for the new ID and password.
type AccountPage struct {
	Brand, Last4 string
	Rereg        bool
	LoginID      string
	Problems     i18n.Problems
}

// DonePage ends a registration.
type DonePage struct {
	LoginID, Brand string
	Moved          bool
}

// CardsPage lists the member's cards.
type CardsPage struct {
	LoginID string
	Cards   []CardRow
	Notice  string
}
