package support

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
	viewsupport "honnin/views/support"
)

// Deps are what the console needs.
type Deps struct {
	DB       *gorm.DB
	Config   config.Config
	Log      *slog.Logger
	Hasher   *security.Hasher
	Sealer   *security.Sealer
	Sessions *scs.SessionManager // the staff manager (cookie honnin_staff)
	// OnLock is called each time failed sign-ins lock a staff login (for the lockout metric).
	OnLock func()
	// RiskRules are the risk rules in force on this node; admins change them on the rules page.
	RiskRules *risk.Store
	// Notices writes the mails that staff actions cause (3-D Secure stopped or resumed, a code resent).
	Notices *mail.Outbox
}

// Console serves the support console on the internal listener.
type Console struct{ Deps }

// New returns the console.
func New(d Deps) *Console { return &Console{Deps: d} }

// Session keys.
const (
	keyStaffID        = "staff.id"
	keyStaffVersion   = "staff.version"
	keyPendingID      = "staff.pending.id"
	keyPendingVersion = "staff.pending.version"
	keyFlash          = "staff.flash"
)

// Audit actions. A refused action is recorded as "denied:" + its name.
const (
	ActionSignIn         = "sign_in"
	ActionStaffLocked    = "staff_locked"
	ActionSearch         = "search"
	ActionViewMember     = "view_member"
	ActionRevealMessage  = "reveal_personal_message"
	ActionUnlock         = "unlock"
	ActionStopThreeDS    = "stop_3ds"
	ActionResumeThreeDS  = "resume_3ds"
	ActionEndSessions    = "end_sessions"
	ActionClose          = "close_id"
	ActionRequireMessage = "require_personal_message"
	ActionResendCode     = "resend_email_code"
	ActionSetCodePolicy  = "set_code_policy"
	ActionCreateStaff    = "create_staff"
	ActionDisableStaff   = "disable_staff"
	ActionResetTOTP      = "reset_totp"
	ActionExportAudit    = "export_audit"
)

// ErrForbidden means the actor's role does not allow the action (the handlers' role check comes first;
// the plain functions check again so that no caller can skip it).
var ErrForbidden = errors.New("support: not allowed for this role")

// ctxStaff is where the signed-in staff member is kept in the echo context.
const ctxStaff = "support.staff"

// Register adds the console's routes to the internal listener.
func (s *Console) Register(e *echo.Echo) {
	e.GET("/", s.home)
	e.GET("/login", s.signInPage)
	e.POST("/login", s.signIn)
	e.GET("/setup", s.setupPage)
	e.POST("/setup", s.setup)
	e.POST("/logout", s.signOut)

	// Each console route checks the staff session, then the role its action needs (refused and audited).
	staff := func(method, path string, h echo.HandlerFunc, min, action string) {
		e.Add(method, path, h, s.requireStaff, s.requireRole(min, action))
	}
	staff(http.MethodGet, "/search", s.search, db.RoleAgent, ActionSearch)
	staff(http.MethodPost, "/search", s.searchCardNumber, db.RoleAgent, ActionSearch)
	staff(http.MethodGet, "/members/:id", s.account, db.RoleAgent, ActionViewMember)
	staff(http.MethodPost, "/members/:id/reveal-message", s.revealMessage, db.RoleSupervisor, ActionRevealMessage)
	for _, a := range memberActions {
		staff(http.MethodGet, "/members/:id/"+a.Path, s.memberActionPage(a), a.Role, a.Name)
		staff(http.MethodPost, "/members/:id/"+a.Path, s.memberAction(a), a.Role, a.Name)
	}
	staff(http.MethodGet, "/staff", s.staffList, db.RoleAdmin, "view_staff")
	staff(http.MethodPost, "/staff", s.staffCreate, db.RoleAdmin, ActionCreateStaff)
	staff(http.MethodPost, "/staff/:id/disable", s.staffDisable, db.RoleAdmin, ActionDisableStaff)
	staff(http.MethodPost, "/staff/:id/reset-totp", s.staffResetTOTP, db.RoleAdmin, ActionResetTOTP)
	staff(http.MethodGet, "/risk", s.riskRulesPage, db.RoleSupervisor, ActionViewRiskRules)
	staff(http.MethodPost, "/risk", s.riskRulesPost, db.RoleAdmin, ActionChangeRiskRules)
	staff(http.MethodGet, "/code-policy", s.codePolicyPage, db.RoleAdmin, "view_code_policy")
	staff(http.MethodPost, "/code-policy", s.codePolicySave, db.RoleAdmin, ActionSetCodePolicy)
	staff(http.MethodGet, "/audit", s.auditLog, db.RoleAdmin, "view_audit")
	staff(http.MethodGet, "/audit.csv", s.auditCSV, db.RoleAdmin, ActionExportAudit)
}

// home sends a signed-in staff member to the search and everyone else to the sign-in page.
func (s *Console) home(c echo.Context) error {
	if s.Sessions.GetInt(c.Request().Context(), keyStaffID) != 0 {
		return c.Redirect(http.StatusSeeOther, "/search")
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// roleRank orders the roles: each includes the rights of those before it.
var roleRank = map[string]int{db.RoleAgent: 1, db.RoleSupervisor: 2, db.RoleAdmin: 3}

// RoleAtLeast reports whether role has the rights of min.
func RoleAtLeast(role, min string) bool {
	r, ok := roleRank[role]
	return ok && r >= roleRank[min]
}

// requireStaff lets a request through only with a live staff session: the staff member exists, is not
// disabled and the session's version is the staff member's current one. Anything else ends the session.
func (s *Console) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := s.Sessions.GetInt(ctx, keyStaffID)
		if id == 0 {
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		var st db.Staff
		err := s.DB.WithContext(ctx).Take(&st, uint(id)).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err != nil || st.Disabled || st.SessionVersion != s.Sessions.GetInt(ctx, keyStaffVersion) ||
			st.MustChangePassword || !st.TOTPEnrolled {
			if derr := s.Sessions.Destroy(ctx); derr != nil {
				return derr
			}
			return c.Redirect(http.StatusSeeOther, "/login?ended=1")
		}
		c.Set(ctxStaff, &st)
		return next(c)
	}
}

// requireRole refuses (403) and audits a request from a staff member below min.
func (s *Console) requireRole(min, action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			st := current(c)
			if st == nil {
				return echo.NewHTTPError(http.StatusForbidden)
			}
			if !RoleAtLeast(st.Role, min) {
				a := s.actor(c)
				ev := db.AuditEvent{Action: "denied:" + action, Target: security.Truncate(c.Request().Method+" "+c.Request().URL.Path, 100),
					Detail: "role " + st.Role + " below " + min}
				if err := WriteAudit(s.DB.WithContext(c.Request().Context()), a, ev); err != nil {
					return err
				}
				s.Log.WarnContext(c.Request().Context(), "console action refused", "staff", st.Login, "action", action)
				return echo.NewHTTPError(http.StatusForbidden)
			}
			return next(c)
		}
	}
}

// current is the signed-in staff member of the request (nil before requireStaff).
func current(c echo.Context) *db.Staff {
	st, _ := c.Get(ctxStaff).(*db.Staff)
	return st
}

// Actor is the staff member doing something, and from where.
type Actor struct {
	StaffID uint
	Login   string
	Role    string
	IP      string
}

func (s *Console) actor(c echo.Context) Actor {
	st := current(c)
	if st == nil {
		return Actor{IP: c.RealIP()}
	}
	return Actor{StaffID: st.ID, Login: st.Login, Role: st.Role, IP: c.RealIP()}
}

// me is what the console frame shows of the signed-in staff member.
func me(c echo.Context) *viewsupport.Me {
	st := current(c)
	if st == nil {
		return nil
	}
	return &viewsupport.Me{Login: st.Login, Role: st.Role}
}

// WriteAudit appends one audit event for the actor. It is the only code that writes audit events, and
// nothing anywhere updates or deletes one.
func WriteAudit(tx *gorm.DB, a Actor, ev db.AuditEvent) error {
	ev.ID = 0
	if a.StaffID != 0 {
		id := a.StaffID
		ev.StaffID = &id
	}
	ev.StaffLogin = security.Truncate(a.Login, 40)
	ev.IP = security.Truncate(a.IP, 45)
	ev.Action = security.Truncate(ev.Action, 40)
	ev.Target = security.Truncate(ScrubCardNumbers(ev.Target), 100)
	ev.Reason = security.Truncate(ScrubCardNumbers(ev.Reason), 500)
	ev.Detail = security.Truncate(ScrubCardNumbers(ev.Detail), 500)
	ev.CreatedAt = db.Now()
	return tx.Create(&ev).Error
}

// cardNumberLike matches 12 to 19 digits, half- or full-width, optionally grouped by spaces or hyphens.
var cardNumberLike = regexp.MustCompile(`[0-9０-９](?:[ 　\-‐−]?[0-9０-９]){11,18}`)

// ScrubCardNumbers removes anything that could be a card number from free text before it is stored
// (staff sometimes type a caller's card number into a reason).
func ScrubCardNumbers(s string) string {
	return cardNumberLike.ReplaceAllString(s, "[number removed]")
}

// flash keeps a one-time notice (a message ID) for the next page.
func (s *Console) flash(ctx context.Context, key string) { s.Sessions.Put(ctx, keyFlash, key) }

func (s *Console) popFlash(ctx context.Context) string { return s.Sessions.PopString(ctx, keyFlash) }

// cleanReason trims a reason; it must say something.
func cleanReason(s string) string { return strings.TrimSpace(s) }
