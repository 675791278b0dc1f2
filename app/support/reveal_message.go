package support

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	viewsupport "honnin/views/support"
)

// RevealPersonalMessage returns a member's personal message to a supervisor and records that they saw
// it. The message itself never goes into the audit log or any log.
func RevealPersonalMessage(ctx context.Context, gdb *gorm.DB, a Actor, memberID uint, reason string) (string, i18n.Problems, error) {
	reason = cleanReason(reason)
	if reason == "" {
		return "", i18n.Problems{"reason": "support.reason.required"}, nil
	}
	if !RoleAtLeast(a.Role, db.RoleSupervisor) {
		return "", nil, ErrForbidden
	}
	var msg string
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m db.Member
		if err := tx.Take(&m, memberID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNoMember
			}
			return err
		}
		msg = m.PersonalMessage
		return WriteAudit(tx, a, db.AuditEvent{Action: ActionRevealMessage, TargetMemberID: &m.ID, Target: m.LoginID, Reason: reason})
	})
	return msg, nil, err
}

func (s *Console) revealMessage(c echo.Context) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	msg, problems, err := RevealPersonalMessage(c.Request().Context(), s.DB, s.actor(c), id, reason)
	if errors.Is(err, ErrNoMember) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	extra := viewsupport.AccountExtra{}
	status := http.StatusOK
	if problems.Any() {
		status = http.StatusUnprocessableEntity
		extra.RevealProblems, extra.RevealReason = problems, security.Truncate(reason, 500)
	} else {
		extra.RevealedMessage = &msg
	}
	return s.renderAccount(c, status, id, HistoryFilter{}, extra)
}
