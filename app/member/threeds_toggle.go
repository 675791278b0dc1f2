package member

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/mail"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// ThreeDSChange is one card's new 3-D Secure state.
type ThreeDSChange struct {
	CardID       uint
	Brand, Last4 string
	From, To     db.ThreeDSState
}

// ReadThreeDSChoices reads the form's choice for each of the member's active cards ("card_<id>" =
// enrolled | stopped) and returns the changes. A missing choice keeps the card as it is; any other
// value is a problem (message ID).
func ReadThreeDSChoices(get func(string) string, cards []db.Card) ([]ThreeDSChange, string) {
	var changes []ThreeDSChange
	for _, c := range cards {
		if !changeable(c) {
			continue
		}
		v := db.ThreeDSState(get("card_" + strconv.FormatUint(uint64(c.ID), 10)))
		switch v {
		case "":
			continue
		case db.ThreeDSEnrolled, db.ThreeDSStopped:
		default:
			return nil, "threeds.bad_choice"
		}
		if v != c.ThreeDS {
			changes = append(changes, ThreeDSChange{CardID: c.ID, Brand: c.Brand, Last4: c.Last4, From: c.ThreeDS, To: v})
		}
	}
	if len(changes) == 0 {
		return nil, "threeds.nothing"
	}
	return changes, ""
}

// changeable reports whether the member may stop or resume a card's 3-D Secure: an active card that
// is enrolled or stopped.
func changeable(c db.Card) bool {
	return c.Status == db.CardActive && (c.ThreeDS == db.ThreeDSEnrolled || c.ThreeDS == db.ThreeDSStopped)
}

// SetThreeDS applies the changes to the member's cards in one transaction, each as a conditional update
// (the card must still be the member's and in the state the member saw), and records and notifies each
// change.
func SetThreeDS(ctx context.Context, gdb *gorm.DB, notices *mail.Outbox, memberID uint, changes []ThreeDSChange, from credentials.Origin) error {
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := db.Now()
		for _, ch := range changes {
			res := tx.Model(&db.Card{}).Where("id = ? AND member_id = ? AND three_ds = ? AND status = ?", ch.CardID, memberID, ch.From, db.CardActive).
				Updates(map[string]any{"three_ds": ch.To, "three_ds_changed_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrCardChanged
			}
			cardID := ch.CardID
			if err := tx.Create(&db.AuthEvent{MemberID: &memberID, CardID: &cardID, Kind: db.EventThreeDSChange, Result: db.EventResult(ch.To),
				IP: from.IP, UserAgent: from.UserAgent}).Error; err != nil {
				return err
			}
			kind := mail.KindThreeDSResumed
			if ch.To == db.ThreeDSStopped {
				kind = mail.KindThreeDSStopped
			}
			if err := notices.Enqueue(tx, memberID, kind, mail.Facts{Brand: ch.Brand, Last4: ch.Last4, By: mail.ByMember}); err != nil {
				return err
			}
		}
		return nil
	})
}

// MemberCardRecords returns the member's cards, oldest first, with the columns the portal shows and
// decides by (brand, last four, expiry, status, 3-D Secure state, challenge lock): not the sealed
// number and the hashes, which no portal page needs and the home page read after every login.
func MemberCardRecords(ctx context.Context, gdb *gorm.DB, memberID uint) ([]db.Card, error) {
	var cards []db.Card
	err := gdb.WithContext(ctx).Select("id", "brand", "last4", "expiry", "status", "three_ds", "challenge_locked_until").
		Where("member_id = ?", memberID).Order("id").Find(&cards).Error
	return cards, err
}

// ChangeThreeDS applies the member's 3-D Secure changes once the current password is confirmed through
// the shared check (wrong tries count towards the lock). It returns ErrLockedOut when the ID is (or just
// got) locked, ErrCardChanged when a card changed since the member saw it, or the message ID of a wrong
// or missing password.
func ChangeThreeDS(ctx context.Context, gdb *gorm.DB, checker *credentials.Checker, notices *mail.Outbox, m *db.Member, changes []ThreeDSChange, password string, from credentials.Origin) (string, error) {
	if problem, err := checkCurrentPassword(ctx, checker, m, password, from); err != nil || problem != "" {
		return problem, err
	}
	return "", SetThreeDS(ctx, gdb, notices, m.ID, changes, from)
}

func threeDSRows(cards []db.Card) []viewmember.ThreeDSRow {
	rows := make([]viewmember.ThreeDSRow, 0, len(cards))
	now := db.Now()
	for _, c := range cards {
		rows = append(rows, viewmember.ThreeDSRow{
			CardRow:    cardRow(c, now),
			Changeable: changeable(c),
			Field:      "card_" + strconv.FormatUint(uint64(c.ID), 10),
		})
	}
	return rows
}

// threeDSOverview is the menu's 本人認証サービス page: each card's programme and state.
func (p *Portal) threeDSOverview(c echo.Context) error {
	m := member(c)
	cards, err := MemberCardRecords(c.Request().Context(), p.DB, m.ID)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.ThreeDS(viewmember.ThreeDSPage{LoginID: m.LoginID, Cards: threeDSRows(cards), Notice: p.takeFlash(c)}))
}

// threeDSChangeForm is 本人認証サービス変更: 利用する / 利用を停止する per card.
func (p *Portal) threeDSChangeForm(c echo.Context) error {
	m := member(c)
	cards, err := MemberCardRecords(c.Request().Context(), p.DB, m.ID)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.ThreeDSChange(viewmember.ThreeDSPage{LoginID: m.LoginID, Cards: threeDSRows(cards)}))
}

// threeDSChange takes the choice (step "review": show the confirmation) or the confirmation with the
// current password (step "commit": apply).
func (p *Portal) threeDSChange(c echo.Context) error {
	m := member(c)
	ctx := c.Request().Context()
	cards, err := MemberCardRecords(ctx, p.DB, m.ID)
	if err != nil {
		return err
	}
	page := viewmember.ThreeDSPage{LoginID: m.LoginID, Cards: threeDSRows(cards), Selected: map[string]string{}}
	for _, r := range page.Cards {
		page.Selected[r.Field] = c.FormValue(r.Field)
	}
	changes, problem := ReadThreeDSChoices(c.FormValue, cards)
	if problem != "" {
		page.Error = problem
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.ThreeDSChange(page))
	}
	for _, ch := range changes {
		page.Changes = append(page.Changes, viewmember.ThreeDSChangeRow{Field: "card_" + strconv.FormatUint(uint64(ch.CardID), 10),
			Brand: ch.Brand, Last4: ch.Last4, From: ch.From, To: ch.To})
	}
	if c.FormValue("step") != "commit" {
		return views.Render(c, http.StatusOK, viewmember.ThreeDSConfirm(page))
	}
	problem, err = ChangeThreeDS(ctx, p.DB, p.Checker, p.Notices, m, changes, c.FormValue("current_password"), origin(c))
	switch {
	case errors.Is(err, ErrLockedOut):
		return p.endSession(c, "credentials.locked_out")
	case errors.Is(err, ErrCardChanged):
		p.flash(c, "threeds.changed_meanwhile")
		return c.Redirect(http.StatusSeeOther, "/my/threeds")
	case err != nil:
		return err
	case problem != "":
		page.PasswordError = problem
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.ThreeDSConfirm(page))
	}
	p.flash(c, "threeds.saved")
	return c.Redirect(http.StatusSeeOther, "/my/threeds")
}
