package support

import (
	"context"
	"time"

	"honnin/app/i18n"
	"honnin/db"
	"honnin/views/layout"
)

// Card is a card as staff may see it: BIN and last four at most.
type Card struct {
	ID             uint
	Brand          string // jcb | visa
	Masked         string
	Expiry         string // YYMM
	Status         string
	ThreeDS        db.ThreeDSState
	ThreeDSChanged *time.Time
	// ChallengeLockedUntil is set while the card's challenges are locked after repeated wrong answers
	// typed with another ID than the member's.
	ChallengeLockedUntil *time.Time
}

// MemberRow is one search hit.
type MemberRow struct {
	ID          uint
	Number      string
	LoginID     string
	Status      string
	LockedUntil *time.Time // set when locked now
	Failures    int64      // failures in a row, when locked
	Cards       []Card
}

// Pager describes a page of results.
type Pager struct {
	Page, Pages int
	Total       int64
	Prev, Next  string // links, empty when none
}

// When shows a time in Japan time to the second.
func When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(i18n.IssuerZone).Format("2006-01-02 15:04:05")
}

// WhenPtr shows an optional time, or a dash.
func WhenPtr(ctx context.Context, t *time.Time) string {
	if t == nil || t.IsZero() {
		return layout.T(ctx, "support.none")
	}
	return When(*t)
}

// Label translates prefix+value when the catalog has it, else shows the value as it is.
func Label(ctx context.Context, prefix, value string) string {
	key := prefix + value
	if s := layout.T(ctx, key); s != key {
		return s
	}
	return value
}

// CodePolicyPage is the admin's choice of what a 3-D Secure challenge asks of members.
type CodePolicyPage struct {
	Current, Chosen string
	Policies        []string
	// MailReady is false when no mail server is configured (outside demo mode): code policies are refused.
	MailReady              bool
	Reason, Problem, Error string
	Notice                 string
}
