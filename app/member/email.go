package member

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// Paths of the e-mail pages. Every page under pathEmail stays open while the portal waits for an
// address (the e-mail gate) or a personal message.
const (
	pathEmail       = "/my/email"
	pathEmailVerify = "/my/email/verify"
)

// needsEmail reports whether the member must verify an address before anything else: members who
// registered with one, and members from before e-mail who have used up their skips.
func needsEmail(m *db.Member, skipsAllowed int) bool {
	return m.EmailVerifiedAt == nil && (m.EmailRequired || m.EmailPromptSkips >= skipsAllowed)
}

// maySkipEmail reports whether the member may still put off giving an address.
func maySkipEmail(m *db.Member, skipsAllowed int) bool {
	return m.EmailVerifiedAt == nil && !needsEmail(m, skipsAllowed)
}

// codeProblem is the message ID a refused code sending shows, or "" for any other error.
func codeProblem(err error) string {
	switch {
	case errors.Is(err, mail.ErrResendTooSoon):
		return "email.resend_too_soon"
	case errors.Is(err, mail.ErrTooManyCodes):
		return "email.too_many_codes"
	}
	return ""
}

// StartAddress sends a code to a new address for the member: a first address, or one replacing the
// verified address (which needs the current password, checked through the shared check so that
// wrong tries count towards the lock). The address becomes the member's only once the code comes back.
func StartAddress(ctx context.Context, gdb *gorm.DB, checker *credentials.Checker, notices *mail.Outbox, m *db.Member, typed, password string, from credentials.Origin) (i18n.Problems, error) {
	probs := i18n.Problems{}
	addr, problem := mail.CheckAddress(typed)
	if problem != "" {
		probs.Add("email", problem)
	}
	replacing := m.EmailVerifiedAt != nil
	if replacing && password == "" {
		probs.Add("current_password", "credentials.current_required")
	}
	if probs.Any() {
		return probs, nil
	}
	if replacing {
		current, err := notices.MemberAddress(m)
		if err != nil {
			return nil, err
		}
		if current == addr {
			probs.Add("email", "email.same")
			return probs, nil
		}
		if problem, err := checkCurrentPassword(ctx, checker, m, password, from); err != nil || problem != "" {
			if problem != "" {
				probs.Add("current_password", problem)
			}
			return probs, err
		}
	}
	purpose := db.CodeAdd
	switch {
	case replacing:
		purpose = db.CodeChange
	case m.EmailRequired:
		purpose = db.CodeRegister
	}
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return notices.SendCode(tx, m.ID, purpose, addr, i18n.FromContext(ctx))
	})
	if p := codeProblem(err); p != "" {
		probs.Add("email", p)
		return probs, nil
	}
	return probs, err
}

// ConfirmAddress checks the code the member typed. A right code makes its address the member's
// verified one, in one transaction with the notices it causes: registration completed (the first
// address of a new member), or the old address told of the change. It returns the code's purpose, or
// the message ID of what was wrong.
func ConfirmAddress(ctx context.Context, gdb *gorm.DB, notices *mail.Outbox, m *db.Member, typed string) (purpose, problem string, err error) {
	if strings.TrimSpace(typed) == "" {
		return "", "email.code_required", nil
	}
	err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res, err := notices.CheckCode(tx, m.ID, typed)
		if err != nil {
			return err
		}
		switch res.Outcome {
		case mail.CodeNone:
			problem = "email.code_expired"
			return nil
		case mail.CodeTriesUsed:
			problem = "email.code_tries_used"
			return nil
		case mail.CodeWrong:
			problem = "email.code_wrong"
			return nil
		}
		purpose = res.Purpose
		old, err := notices.MemberAddress(m)
		if err != nil {
			return err
		}
		sealed, ver, err := notices.SealAddress(res.Address)
		if err != nil {
			return err
		}
		if err := tx.Model(&db.Member{}).Where("id = ?", m.ID).
			Updates(map[string]any{"email_sealed": sealed, "email_key_version": ver, "email_verified_at": db.Now()}).Error; err != nil {
			return err
		}
		switch {
		case old != "":
			return notices.EnqueueTo(tx, &m.ID, old, mail.Locale(m.Language), mail.KindEmailChanged,
				mail.Facts{LoginID: m.LoginID, NewAddress: mail.MaskAddress(res.Address)})
		case res.Purpose == db.CodeRegister:
			return notices.Enqueue(tx, m.ID, mail.KindRegistered, mail.Facts{})
		}
		return nil
	})
	// A wrong code is committed with its try counted; the problem is what the page shows.
	return purpose, problem, err
}

// ResendCode sends a new code to the address the member's pending code went to. It returns the
// message ID of a refusal.
func ResendCode(ctx context.Context, gdb *gorm.DB, notices *mail.Outbox, memberID uint) (string, error) {
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := notices.ResendCode(tx, memberID)
		return err
	})
	if errors.Is(err, mail.ErrNoCodeToResend) {
		return "email.code_expired", nil
	}
	if p := codeProblem(err); p != "" {
		return p, nil
	}
	return "", err
}

// SkipEmail counts one more time the member put off giving an address; it refuses once the skips are
// used up.
func SkipEmail(ctx context.Context, gdb *gorm.DB, memberID uint, skipsAllowed int) (bool, error) {
	res := gdb.WithContext(ctx).Model(&db.Member{}).
		Where("id = ? AND email_verified_at IS NULL AND email_required = ? AND email_prompt_skips < ?", memberID, false, skipsAllowed).
		Update("email_prompt_skips", gorm.Expr("email_prompt_skips + 1"))
	return res.RowsAffected == 1, res.Error
}

// SetPurchaseNotice sets the amount above which a purchase approved without a screen is notified
// (0: never). It returns the message ID of a bad amount.
func SetPurchaseNotice(ctx context.Context, gdb *gorm.DB, memberID uint, typed string) (string, error) {
	typed = strings.ReplaceAll(strings.TrimSpace(norm.NFKC.String(typed)), ",", "")
	yen := int64(0)
	if typed != "" {
		n, err := strconv.ParseInt(typed, 10, 64)
		if err != nil || n < 0 || n > 100_000_000 {
			return "email.notice_amount_bad", nil
		}
		yen = n
	}
	return "", gdb.WithContext(ctx).Model(&db.Member{}).Where("id = ?", memberID).Update("notice_above_yen", yen).Error
}

func (p *Portal) emailPage(c echo.Context, m *db.Member) (viewmember.EmailPage, error) {
	ctx := c.Request().Context()
	page := viewmember.EmailPage{LoginID: m.LoginID, MaySkip: maySkipEmail(m, p.Config.EmailPromptSkips), Required: needsEmail(m, p.Config.EmailPromptSkips),
		NoticeAbove: m.NoticeAboveYen, Problems: i18n.Problems{}, Notice: p.takeFlash(c)}
	addr, err := p.Notices.MemberAddress(m)
	if err != nil {
		return page, err
	}
	page.Address = addr
	pending, err := mail.PendingCode(p.DB.WithContext(ctx), m.ID)
	if err != nil {
		return page, err
	}
	page.Pending = pending != nil
	return page, nil
}

func (p *Portal) emailForm(c echo.Context) error {
	page, err := p.emailPage(c, member(c))
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.Email(page))
}

func (p *Portal) emailStart(c echo.Context) error {
	m := member(c)
	typed := c.FormValue("email")
	probs, err := StartAddress(c.Request().Context(), p.DB, p.Checker, p.Notices, m, typed, c.FormValue("current_password"), origin(c))
	switch {
	case errors.Is(err, ErrLockedOut):
		return p.endSession(c, "credentials.locked_out")
	case err != nil:
		return err
	case probs.Any():
		page, err := p.emailPage(c, m)
		if err != nil {
			return err
		}
		page.Typed, page.Problems = security.Truncate(strings.TrimSpace(typed), 254), probs
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.Email(page))
	}
	return c.Redirect(http.StatusSeeOther, pathEmailVerify)
}

func (p *Portal) verifyPage(c echo.Context, m *db.Member) (viewmember.EmailVerifyPage, error) {
	page := viewmember.EmailVerifyPage{LoginID: m.LoginID, Notice: p.takeFlash(c)}
	pending, err := mail.PendingCode(p.DB.WithContext(c.Request().Context()), m.ID)
	if err != nil || pending == nil {
		return page, err
	}
	// The member's own address, being proven: shown in full on the member's own pages.
	page.Address, err = p.Notices.OpenAddress(pending.AddressSealed, pending.KeyVersion)
	page.Pending = true
	return page, err
}

func (p *Portal) emailVerifyForm(c echo.Context) error {
	page, err := p.verifyPage(c, member(c))
	if err != nil {
		return err
	}
	if !page.Pending {
		return c.Redirect(http.StatusSeeOther, pathEmail)
	}
	return views.Render(c, http.StatusOK, viewmember.EmailVerify(page))
}

func (p *Portal) emailVerify(c echo.Context) error {
	m := member(c)
	ctx := c.Request().Context()
	purpose, problem, err := ConfirmAddress(ctx, p.DB, p.Notices, m, c.FormValue("code"))
	if err != nil {
		return err
	}
	if problem != "" {
		page, err := p.verifyPage(c, m)
		if err != nil {
			return err
		}
		page.Err = problem
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.EmailVerify(page))
	}
	if purpose == db.CodeRegister && p.Sessions.GetString(ctx, keyRegDoneID) != "" {
		return c.Redirect(http.StatusSeeOther, "/register/done")
	}
	p.flash(c, "email.verified")
	if needsMessage(m) {
		return c.Redirect(http.StatusSeeOther, pathMessage)
	}
	return c.Redirect(http.StatusSeeOther, pathEmail)
}

func (p *Portal) emailResend(c echo.Context) error {
	problem, err := ResendCode(c.Request().Context(), p.DB, p.Notices, member(c).ID)
	if err != nil {
		return err
	}
	if problem == "" {
		problem = "email.resent"
	}
	p.flash(c, problem)
	return c.Redirect(http.StatusSeeOther, pathEmailVerify)
}

func (p *Portal) emailSkip(c echo.Context) error {
	m := member(c)
	skipped, err := SkipEmail(c.Request().Context(), p.DB, m.ID, p.Config.EmailPromptSkips)
	if err != nil {
		return err
	}
	if !skipped {
		return c.Redirect(http.StatusSeeOther, pathEmail)
	}
	p.Sessions.Put(c.Request().Context(), keyEmailPutOff, true)
	if needsMessage(m) {
		return c.Redirect(http.StatusSeeOther, pathMessage)
	}
	return c.Redirect(http.StatusSeeOther, "/my")
}

func (p *Portal) purchaseNoticeSave(c echo.Context) error {
	m := member(c)
	problem, err := SetPurchaseNotice(c.Request().Context(), p.DB, m.ID, c.FormValue("notice_above"))
	if err != nil {
		return err
	}
	if problem != "" {
		page, err := p.emailPage(c, m)
		if err != nil {
			return err
		}
		page.Problems.Add("notice_above", problem)
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.Email(page))
	}
	p.flash(c, "email.notice_saved")
	return c.Redirect(http.StatusSeeOther, pathEmail)
}
