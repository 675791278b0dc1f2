package support

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// Errors of member actions that a person can act on.
var (
	ErrReasonRequired = errors.New("support: a reason is required")
	ErrNoCard         = errors.New("support: no such card for this member")
	ErrCardState      = errors.New("support: the card's 3-D Secure state does not allow this")
	ErrAlreadyClosed  = errors.New("support: the ID is already closed")
)

// memberAction is one action on a member's behalf: who may do it, its page and the plain function.
type memberAction struct {
	Name string // audit action
	Path string // under /members/:id/
	Key  string // message ID prefix: support.action.<Key>.title, .lead, .submit, .done
	Role string
	Card bool // acts on one of the member's cards (?card=ID)
	Do   func(ctx context.Context, gdb *gorm.DB, n *mail.Outbox, a Actor, memberID, cardID uint, reason string) error
}

var memberActions = []memberAction{
	{Name: ActionUnlock, Path: "unlock", Key: "unlock", Role: db.RoleAgent,
		Do: func(ctx context.Context, gdb *gorm.DB, _ *mail.Outbox, a Actor, m, _ uint, r string) error {
			return UnlockMember(ctx, gdb, a, m, r)
		}},
	{Name: ActionEndSessions, Path: "end-sessions", Key: "end_sessions", Role: db.RoleAgent,
		Do: func(ctx context.Context, gdb *gorm.DB, _ *mail.Outbox, a Actor, m, _ uint, r string) error {
			return EndMemberSessions(ctx, gdb, a, m, r)
		}},
	{Name: ActionResendCode, Path: "resend-code", Key: "resend_code", Role: db.RoleAgent,
		Do: func(ctx context.Context, gdb *gorm.DB, n *mail.Outbox, a Actor, m, _ uint, r string) error {
			return ResendVerification(ctx, gdb, n, a, m, r)
		}},
	{Name: ActionStopThreeDS, Path: "threeds-stop", Key: "stop_3ds", Role: db.RoleSupervisor, Card: true,
		Do: func(ctx context.Context, gdb *gorm.DB, n *mail.Outbox, a Actor, m, c uint, r string) error {
			return SetCardThreeDS(ctx, gdb, n, a, m, c, true, r)
		}},
	{Name: ActionResumeThreeDS, Path: "threeds-resume", Key: "resume_3ds", Role: db.RoleSupervisor, Card: true,
		Do: func(ctx context.Context, gdb *gorm.DB, n *mail.Outbox, a Actor, m, c uint, r string) error {
			return SetCardThreeDS(ctx, gdb, n, a, m, c, false, r)
		}},
	{Name: ActionResetTrust, Path: "trust-reset", Key: "trust_reset", Role: db.RoleAgent, Card: true,
		Do: func(ctx context.Context, gdb *gorm.DB, _ *mail.Outbox, a Actor, m, c uint, r string) error {
			return ResetCardTrust(ctx, gdb, a, m, c, r)
		}},
	{Name: ActionClose, Path: "close", Key: "close", Role: db.RoleSupervisor,
		Do: func(ctx context.Context, gdb *gorm.DB, _ *mail.Outbox, a Actor, m, _ uint, r string) error {
			return CloseMember(ctx, gdb, a, m, r)
		}},
	{Name: ActionRequireMessage, Path: "require-message", Key: "require_message", Role: db.RoleSupervisor,
		Do: func(ctx context.Context, gdb *gorm.DB, _ *mail.Outbox, a Actor, m, _ uint, r string) error {
			return RequirePersonalMessage(ctx, gdb, a, m, r)
		}},
}

// memberChange runs change on a member and its audit event in one transaction, after the shared checks.
func memberChange(ctx context.Context, gdb *gorm.DB, a Actor, min string, memberID uint, reason string,
	change func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error)) error {
	return auditedChange(ctx, gdb, a, min, memberID, reason, ErrNoMember, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		ev, err := change(tx, m)
		ev.TargetMemberID, ev.Target = &m.ID, m.LoginID
		return ev, err
	})
}

// auditedChange runs change on the row with the given ID and writes its audit event in one
// transaction, after the checks every console action shares: a reason, the role, a row that exists.
func auditedChange[T any](ctx context.Context, gdb *gorm.DB, a Actor, min string, id uint, reason string, notFound error,
	change func(tx *gorm.DB, row *T) (db.AuditEvent, error)) error {
	reason = cleanReason(reason)
	if reason == "" {
		return ErrReasonRequired
	}
	if !RoleAtLeast(a.Role, min) {
		return ErrForbidden
	}
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row T
		if err := tx.Take(&row, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return notFound
			}
			return err
		}
		ev, err := change(tx, &row)
		if err != nil {
			return err
		}
		ev.Reason = reason
		return WriteAudit(tx, a, ev)
	})
}

// actionTarget loads what the confirmation page names: the member and, for a card action, the card.
func actionTarget(ctx context.Context, gdb *gorm.DB, memberID, cardID uint, withCard bool) (db.Member, *db.Card, error) {
	var m db.Member
	if err := gdb.WithContext(ctx).Take(&m, memberID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return m, nil, ErrNoMember
		}
		return m, nil, err
	}
	if !withCard {
		return m, nil, nil
	}
	var c db.Card
	if err := gdb.WithContext(ctx).Where("id = ? AND member_id = ?", cardID, m.ID).Take(&c).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return m, nil, ErrNoCard
		}
		return m, nil, err
	}
	return m, &c, nil
}

func cardParam(c echo.Context) uint {
	n, _ := strconv.ParseUint(c.QueryParam("card"), 10, 32)
	if n == 0 {
		n, _ = strconv.ParseUint(c.FormValue("card"), 10, 32)
	}
	return uint(n)
}

// memberActionPage asks for the reason of an action.
func (s *Console) memberActionPage(a memberAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		return s.renderMemberAction(c, http.StatusOK, a, "", "", "")
	}
}

// memberAction does an action and returns to the account with a notice.
func (s *Console) memberAction(a memberAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := memberID(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		reason := c.FormValue("reason")
		err = a.Do(ctx, s.DB, s.Notices, s.actor(c), id, cardParam(c), reason)
		switch {
		case errors.Is(err, ErrReasonRequired):
			return s.renderMemberAction(c, http.StatusUnprocessableEntity, a, reason, "support.reason.required", "")
		case errors.Is(err, ErrCardState):
			return s.renderMemberAction(c, http.StatusConflict, a, reason, "", "support.action.threeds_state")
		case errors.Is(err, ErrNoPendingCode):
			return s.renderMemberAction(c, http.StatusConflict, a, reason, "", "support.action.resend_code.none")
		case errors.Is(err, ErrCodeLimit):
			return s.renderMemberAction(c, http.StatusConflict, a, reason, "", "support.action.resend_code.limit")
		case errors.Is(err, ErrAlreadyClosed):
			return s.renderMemberAction(c, http.StatusConflict, a, reason, "", "support.action.already_closed")
		case errors.Is(err, ErrNoMember), errors.Is(err, ErrNoCard):
			return echo.NewHTTPError(http.StatusNotFound)
		case errors.Is(err, ErrForbidden):
			return echo.NewHTTPError(http.StatusForbidden)
		case err != nil:
			return err
		}
		s.Log.InfoContext(ctx, "console action", "staff", current(c).Login, "action", a.Name, "member", id)
		s.flash(ctx, "support.action."+a.Key+".done")
		return c.Redirect(http.StatusSeeOther, "/members/"+strconv.FormatUint(uint64(id), 10))
	}
}

func (s *Console) renderMemberAction(c echo.Context, status int, a memberAction, reason, problem, errKey string) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	cardID := cardParam(c)
	m, card, err := actionTarget(c.Request().Context(), s.DB, id, cardID, a.Card)
	if errors.Is(err, ErrNoMember) || errors.Is(err, ErrNoCard) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	v := viewsupport.MemberActionPage{Key: a.Key, MemberID: m.ID, LoginID: m.LoginID, Number: MemberNumber(m.ID),
		Path: a.Path, Reason: security.Truncate(reason, 500), Problem: problem, Error: errKey, Danger: a.Name == ActionClose}
	if card != nil {
		v.CardID = card.ID
		v.Card = cards.BrandName(card.Brand) + " " + security.MaskBINLast4(card.BIN, card.Last4, card.PANLength)
	}
	return views.Render(c, status, viewsupport.MemberAction(me(c), v))
}
