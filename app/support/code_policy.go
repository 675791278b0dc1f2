package support

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// ErrNoMailServer: a policy that sends codes needs a mail server (outside demo mode).
var ErrNoMailServer = errors.New("support: a code policy needs HONNIN_SMTP_URL")

// SetCodePolicy changes what a 3-D Secure challenge asks of the member, audited with the reason and the
// policy it replaced. Admins only. A policy that sends codes is refused while no mail can go out
// (mailReady false: no HONNIN_SMTP_URL outside demo mode).
func SetCodePolicy(ctx context.Context, gdb *gorm.DB, a Actor, p credentials.CodePolicy, reason string, mailReady bool) error {
	reason = cleanReason(reason)
	switch {
	case reason == "":
		return ErrReasonRequired
	case !RoleAtLeast(a.Role, db.RoleAdmin):
		return ErrForbidden
	case !p.Valid():
		return credentials.ErrUnknownPolicy
	case p.NeedsCode() && !mailReady:
		return ErrNoMailServer
	}
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, err := credentials.StoreCodePolicy(tx, p)
		if err != nil {
			return err
		}
		return WriteAudit(tx, a, db.AuditEvent{Action: ActionSetCodePolicy, Reason: reason, Detail: string(before) + " → " + string(p)})
	})
	if err == nil {
		credentials.CodePolicyChanged(gdb) // in force on this node from the next AReq
	}
	return err
}

// mailReady reports whether codes can reach members: a mail server, or the demo mailbox.
func (s *Console) mailReady() bool { return s.Config.SMTP.Host != "" || s.Config.Demo }

func (s *Console) codePolicyPage(c echo.Context) error {
	return s.renderCodePolicy(c, http.StatusOK, viewsupport.CodePolicyPage{Notice: s.popFlash(c.Request().Context())})
}

func (s *Console) renderCodePolicy(c echo.Context, status int, p viewsupport.CodePolicyPage) error {
	current, err := credentials.CurrentCodePolicy(c.Request().Context(), s.DB)
	if err != nil {
		return err
	}
	p.Current = string(current)
	if p.Chosen == "" {
		p.Chosen = p.Current
	}
	for _, q := range credentials.CodePolicies {
		p.Policies = append(p.Policies, string(q))
	}
	p.MailReady = s.mailReady()
	return views.Render(c, status, viewsupport.CodePolicy(me(c), p))
}

func (s *Console) codePolicySave(c echo.Context) error {
	chosen, reason := c.FormValue("policy"), c.FormValue("reason")
	err := SetCodePolicy(c.Request().Context(), s.DB, s.actor(c), credentials.CodePolicy(chosen), reason, s.mailReady())
	page := viewsupport.CodePolicyPage{Chosen: chosen, Reason: reason}
	switch {
	case errors.Is(err, ErrReasonRequired):
		page.Problem = "support.reason.required"
		return s.renderCodePolicy(c, http.StatusUnprocessableEntity, page)
	case errors.Is(err, credentials.ErrUnknownPolicy):
		page.Error, page.Chosen = "support.policy.unknown", ""
		return s.renderCodePolicy(c, http.StatusUnprocessableEntity, page)
	case errors.Is(err, ErrNoMailServer):
		page.Error = "support.policy.no_mail"
		return s.renderCodePolicy(c, http.StatusConflict, page)
	case errors.Is(err, ErrForbidden):
		return echo.NewHTTPError(http.StatusForbidden)
	case err != nil:
		return err
	}
	s.Log.InfoContext(c.Request().Context(), "console action", "staff", current(c).Login, "action", ActionSetCodePolicy, "policy", chosen)
	s.flash(c.Request().Context(), "support.policy.saved")
	return c.Redirect(http.StatusSeeOther, "/code-policy")
}
