package member

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// Session keys. The session never holds a card number, a password or a personal message.
const (
	keyMemberID = "member_id"
	keyVersion  = "session_version"
	keyFlash    = "flash"
	// keyEmailPutOff marks a session whose member put off giving an address: the portal stays open
	// until the next login, even when that was the last skip allowed.
	keyEmailPutOff = "email_put_off"
	ctxMemberKey   = "member"
	pathMessage    = "/my/message"
	pathLoginPage  = "/login"
)

// flash leaves a message ID for the next page the member sees.
func (p *Portal) flash(c echo.Context, key string) {
	p.Sessions.Put(c.Request().Context(), keyFlash, key)
}

// takeFlash returns (and forgets) the message left for this page.
func (p *Portal) takeFlash(c echo.Context) string {
	k := p.Sessions.PopString(c.Request().Context(), keyFlash)
	if !i18n.Has(k) {
		return ""
	}
	return k
}

// SessionMember returns the member a session belongs to, or nil when the session is stale: the member
// was closed, or their sessions were ended (credential change, support) by raising the version.
func SessionMember(ctx context.Context, gdb *gorm.DB, memberID uint, version int) (*db.Member, error) {
	var m db.Member
	err := gdb.WithContext(ctx).Where("id = ?", memberID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Status != db.MemberActive || m.SessionVersion != version {
		return nil, nil
	}
	return &m, nil
}

// sessionMember returns the member the session belongs to, or nil (with the reason as a message ID) when
// there is none: never logged in, or the session is stale. A stale session is destroyed.
func (p *Portal) sessionMember(c echo.Context) (*db.Member, string, error) {
	ctx := c.Request().Context()
	id := p.Sessions.GetInt(ctx, keyMemberID)
	if id <= 0 {
		return nil, "login.notice.required", nil
	}
	m, err := SessionMember(ctx, p.DB, uint(id), p.Sessions.GetInt(ctx, keyVersion))
	if err != nil {
		return nil, "", err
	}
	if m == nil {
		if err := p.Sessions.Destroy(ctx); err != nil {
			return nil, "", err
		}
		return nil, "login.notice.ended", nil
	}
	return m, "", nil
}

// needsMessage reports whether the member must choose a personal message before anything else.
func needsMessage(m *db.Member) bool { return m.PersonalMessageIsDefault || m.PersonalMessageRequired }

// requireMember guards the logged-in pages: no session (or a stale one) goes to the login page with a
// message; a member without a personal message of their own goes to the personal-message page first.
func (p *Portal) requireMember(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m, reason, err := p.sessionMember(c)
		if err != nil {
			return err
		}
		if m == nil {
			p.flash(c, reason)
			return c.Redirect(http.StatusSeeOther, pathLoginPage)
		}
		path := c.Request().URL.Path
		onEmailPages := path == pathEmail || strings.HasPrefix(path, pathEmail+"/")
		putOff := p.Sessions.GetBool(c.Request().Context(), keyEmailPutOff)
		if needsEmail(m, p.Config.EmailPromptSkips) && !onEmailPages && !(putOff && !m.EmailRequired) {
			// The address page says so itself; the code page needs the word.
			gate := p.emailGate(c, m)
			if gate == pathEmailVerify {
				p.flash(c, "email.required_first")
			}
			return c.Redirect(http.StatusSeeOther, gate)
		}
		if needsMessage(m) && path != pathMessage && !onEmailPages {
			p.flash(c, "message.first.required")
			return c.Redirect(http.StatusSeeOther, pathMessage)
		}
		c.Set(ctxMemberKey, m)
		return next(c)
	}
}

// emailGate is where a member without a verified address goes: the code form when a code is waiting,
// else the address form.
func (p *Portal) emailGate(c echo.Context, m *db.Member) string {
	pending, err := mail.PendingCode(p.DB.WithContext(c.Request().Context()), m.ID)
	if err == nil && pending != nil {
		return pathEmailVerify
	}
	return pathEmail
}

// member returns the logged-in member that requireMember loaded.
func member(c echo.Context) *db.Member {
	m, _ := c.Get(ctxMemberKey).(*db.Member)
	return m
}

// optionalLoginID returns the logged-in member's ID for pages open to all (help), or "".
func (p *Portal) optionalLoginID(c echo.Context) string {
	ctx := c.Request().Context()
	id := p.Sessions.GetInt(ctx, keyMemberID)
	if id <= 0 {
		return ""
	}
	m, err := SessionMember(ctx, p.DB, uint(id), p.Sessions.GetInt(ctx, keyVersion))
	if err != nil || m == nil {
		return ""
	}
	return m.LoginID
}

// origin is where a request came from, for events.
func origin(c echo.Context) credentials.Origin {
	return credentials.Origin{IP: c.RealIP(), UserAgent: security.Truncate(c.Request().UserAgent(), 300),
		Language: string(i18n.FromContext(c.Request().Context()))}
}
