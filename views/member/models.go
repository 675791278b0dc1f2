package member

import (
	"time"

	"honnin/app/i18n"
	"honnin/db"
)

// CardRow is one card as a member sees it: last four digits only.
type CardRow struct {
	ID      uint
	Brand   string
	Last4   string
	Expiry  string // YYMM
	Status  string // active, closed, lost, stolen
	ThreeDS db.ThreeDSState
	// ChallengeLockedUntil is set while the card's challenges are locked after repeated wrong answers
	// typed with another ID.
	ChallengeLockedUntil *time.Time
}

// LoginPage is the login form.
type LoginPage struct {
	LoginID     string
	Problems    i18n.Problems
	Error       string // a form-level message ID
	LockedUntil *time.Time
	// TriesLeft, when above zero, warns how many more wrong tries lock the ID.
	TriesLeft int
	Notice    string
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
	// Legacy is the default message a member registered before personal messages existed still has.
	Legacy string
	// Message is what was typed; Preview shows it as the challenge screen will.
	Message string
	Preview bool
	// PreviewCards are the cards the preview shows the challenge for: one per brand the member holds.
	PreviewCards []PreviewCard
	Err          string
	Notice       string
}

// PreviewCard is a brand the member holds, with the last digits of one of its cards.
type PreviewCard struct {
	Brand, Last4 string
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
	Email        string
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

// CredentialsPage changes the ID and/or the password.
type CredentialsPage struct {
	LoginID    string
	NewLoginID string
	Problems   i18n.Problems
}

// ThreeDSRow is a card on the 3-D Secure pages.
type ThreeDSRow struct {
	CardRow
	Changeable bool
	Field      string // the form field of its choice
}

// ThreeDSChangeRow is one change to confirm.
type ThreeDSChangeRow struct {
	Field, Brand, Last4 string
	From, To            db.ThreeDSState
}

// ThreeDSPage is the 3-D Secure overview, the change form and its confirmation.
type ThreeDSPage struct {
	LoginID       string
	Cards         []ThreeDSRow
	Selected      map[string]string // field → typed choice, to keep the input
	Changes       []ThreeDSChangeRow
	Error         string
	PasswordError string
	Notice        string
}

// Choice is what a card's radio group shows as chosen: what was sent, else the card's state.
func (p ThreeDSPage) Choice(r ThreeDSRow) db.ThreeDSState {
	if v := db.ThreeDSState(p.Selected[r.Field]); v == db.ThreeDSEnrolled || v == db.ThreeDSStopped {
		return v
	}
	return r.ThreeDS
}

// AnyStop reports whether a change stops 3-D Secure for a card.
func (p ThreeDSPage) AnyStop() bool {
	for _, c := range p.Changes {
		if c.To == db.ThreeDSStopped {
			return true
		}
	}
	return false
}

// HistoryRow is one line of the member's history: a 3-D Secure authentication or an account event.
type HistoryRow struct {
	At           time.Time
	What         string // message ID
	Brand, Last4 string
	Shop, Amount string
	Result       string // message ID
	IP           string
	ThisComputer bool // IP is the server's own machine (a demo on one computer)
	Good         bool
}

// HistoryPage is the member's recent history.
type HistoryPage struct {
	LoginID string
	Rows    []HistoryRow
	Limit   int
}

// EmailPage is the member's own e-mail settings: the verified address in full, the form that sends a
// code to a new one, and the amount above which a purchase without a screen is notified.
type EmailPage struct {
	LoginID string
	Address string // the verified address; "" when none
	// Pending is set while a code waits to be typed.
	Pending bool
	// Required: the portal stays closed until an address is verified; MaySkip: the member may put it
	// off this time.
	Required, MaySkip bool
	Typed             string
	NoticeAbove       int64
	Problems          i18n.Problems
	Notice            string
}

// EmailVerifyPage asks for the code sent to the address being proven.
type EmailVerifyPage struct {
	LoginID string
	Address string
	Pending bool
	Err     string
	Notice  string
}
