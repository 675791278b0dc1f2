package member

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// Login checks an ID and password with the shared check (whose failures count together with the
// challenge page's and lock the ID at the threshold, and which on success stamps the login time, the
// previous one being what the member is shown, and records the login event with the stamp), and
// records a refused attempt as a login event. Only a right password to a locked ID is answered Locked;
// every wrong one is answered Wrong.
func Login(ctx context.Context, gdb *gorm.DB, checker *credentials.Checker, loginID, password string, from credentials.Origin) (credentials.Result, error) {
	res, err := checker.CheckLogin(ctx, loginID, password, from)
	if err != nil || res.Outcome == credentials.OK {
		return res, err
	}
	ev := db.AuthEvent{Kind: db.EventLogin, IP: from.IP, UserAgent: from.UserAgent}
	switch res.Outcome {
	case credentials.Locked:
		ev.Result = db.ResultLocked
		ev.MemberID = &res.Member.ID
	default:
		ev.Result = db.ResultWrongCredentials
		// Attribute the failure to the member the typed ID names, so that they can see it in their history.
		if res.FailedMember != 0 {
			ev.MemberID = &res.FailedMember
		}
	}
	return res, gdb.WithContext(ctx).Create(&ev).Error
}

// startSession logs the member in on this browser, under a new session token.
func (p *Portal) startSession(ctx context.Context, m *db.Member) error {
	if err := p.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	p.Sessions.Remove(ctx, keyEmailPutOff)
	p.Sessions.Put(ctx, keyMemberID, int(m.ID))
	p.Sessions.Put(ctx, keyVersion, m.SessionVersion)
	return nil
}

func (p *Portal) loginForm(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewmember.Login(viewmember.LoginPage{Notice: p.takeFlash(c)}))
}

func (p *Portal) login(c echo.Context) error {
	page := viewmember.LoginPage{LoginID: strings.TrimSpace(c.FormValue("login_id")), Problems: i18n.Problems{}}
	password := c.FormValue("password")
	if page.LoginID == "" {
		page.Problems.Add("login_id", "login.id_required")
	}
	if password == "" {
		page.Problems.Add("password", "login.password_required")
	}
	if len([]rune(page.LoginID)) > 40 {
		page.LoginID = string([]rune(page.LoginID)[:40])
	}
	if page.Problems.Any() {
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.Login(page))
	}
	ctx := c.Request().Context()
	res, err := LoginWarned(ctx, p.DB, p.Checker, p.Sealer, page.LoginID, password, origin(c))
	if err != nil {
		return err
	}
	switch {
	case res.Outcome == credentials.OK:
		if err := p.startSession(ctx, res.Member); err != nil {
			return err
		}
		// A member without a verified address is asked for one once after each login.
		if res.Member.EmailVerifiedAt == nil {
			return c.Redirect(http.StatusSeeOther, p.emailGate(c, res.Member))
		}
		if needsMessage(res.Member) {
			return c.Redirect(http.StatusSeeOther, pathMessage)
		}
		return c.Redirect(http.StatusSeeOther, "/my")
	case res.Outcome == credentials.Locked:
		until := res.LockedUntil
		page.LockedUntil = &until
	default:
		page.Error, page.TriesLeft = "login.wrong", res.TriesLeft
	}
	return views.Render(c, http.StatusUnprocessableEntity, viewmember.Login(page))
}
