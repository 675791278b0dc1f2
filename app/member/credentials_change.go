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
	"honnin/views"
	viewmember "honnin/views/member"
)

// Outcomes of a change that the session has to act on.
var (
	// ErrLockedOut means the current password was wrong once too often: the ID is now locked.
	ErrLockedOut = errors.New("member: locked while confirming the password")
	// ErrStaleSession means the member's sessions were ended meanwhile (another change, support).
	ErrStaleSession = errors.New("member: session ended meanwhile")
)

// CredentialChange is the form: the current password, and a new ID and/or a new password.
type CredentialChange struct {
	Current, NewLoginID, NewPassword, Confirm string
}

// ChangeCredentials changes the member's login ID, password or both after checking the current password
// (through the shared check, so wrong tries count towards the lock). It raises the session version, so
// that every other session of the member ends, and returns the new version for the caller's session.
func ChangeCredentials(ctx context.Context, gdb *gorm.DB, checker *credentials.Checker, hasher *security.Hasher, notices *mail.Outbox, m *db.Member, in CredentialChange, from credentials.Origin) (int, i18n.Problems, error) {
	probs := i18n.Problems{}
	if in.Current == "" {
		probs.Add("current_password", "credentials.current_required")
	}
	newID := m.LoginID
	if strings.TrimSpace(in.NewLoginID) != "" {
		id, problem := CheckNewLoginID(in.NewLoginID)
		if problem != "" {
			probs.Add("new_login_id", problem)
		} else {
			newID = id
		}
	}
	changePassword := in.NewPassword != "" || in.Confirm != ""
	if changePassword {
		if field, key := CheckNewPassword(in.NewPassword, in.Confirm, newID); key != "" {
			probs.Add("new_"+field, key)
		}
	}
	if !probs.Any() && newID == m.LoginID && !changePassword {
		probs.Add("new_login_id", "credentials.nothing")
	}
	if probs.Any() {
		return 0, probs, nil
	}
	if problem, err := checkCurrentPassword(ctx, checker, m, in.Current, from); err != nil || problem != "" {
		if problem != "" {
			probs.Add("current_password", problem)
		}
		return 0, probs, err
	}
	if !changePassword && security.CheckPassword(in.Current, newID) == security.PasswordIsID {
		probs.Add("new_login_id", "credentials.id_is_password")
		return 0, probs, nil
	}
	changes := map[string]any{"session_version": gorm.Expr("session_version + 1")}
	var what []string
	if newID != m.LoginID {
		if taken, err := loginIDTaken(ctx, gdb, newID); err != nil {
			return 0, nil, err
		} else if taken {
			probs.Add("new_login_id", "loginid.taken")
			return 0, probs, nil
		}
		changes["login_id"] = newID
		what = append(what, "login_id")
	}
	if changePassword {
		hash, err := hasher.Hash(ctx, in.NewPassword)
		if err != nil {
			return 0, nil, err
		}
		changes["password_hash"], changes["password_changed_at"] = hash, db.Now()
		what = append(what, "password")
	}
	// The risk engine challenges purchases soon after a change of ID or password.
	changes["credentials_changed_at"] = db.Now()
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		upd := tx.Model(&db.Member{}).Where("id = ? AND session_version = ? AND status = ?", m.ID, m.SessionVersion, db.MemberActive).Updates(changes)
		if upd.Error != nil {
			if errors.Is(upd.Error, gorm.ErrDuplicatedKey) {
				probs.Add("new_login_id", "loginid.taken")
				return upd.Error
			}
			return upd.Error
		}
		if upd.RowsAffected != 1 {
			return ErrStaleSession
		}
		if err := tx.Create(&db.AuthEvent{MemberID: &m.ID, Kind: db.EventCredentialChange, Result: db.ResultOK,
			Detail: strings.Join(what, ","), IP: from.IP, UserAgent: from.UserAgent}).Error; err != nil {
			return err
		}
		return notices.Enqueue(tx, m.ID, mail.KindCredentialsChanged, mail.Facts{LoginID: newID, What: strings.Join(what, "_")})
	})
	if probs.Any() {
		return 0, probs, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return m.SessionVersion + 1, nil, nil
}

func (p *Portal) credentialsForm(c echo.Context) error {
	m := member(c)
	return views.Render(c, http.StatusOK, viewmember.Credentials(viewmember.CredentialsPage{LoginID: m.LoginID, Problems: i18n.Problems{}}))
}

func (p *Portal) credentialsChange(c echo.Context) error {
	m := member(c)
	ctx := c.Request().Context()
	in := CredentialChange{Current: c.FormValue("current_password"), NewLoginID: c.FormValue("new_login_id"),
		NewPassword: c.FormValue("new_password"), Confirm: c.FormValue("new_password_confirm")}
	version, probs, err := ChangeCredentials(ctx, p.DB, p.Checker, p.Hasher, p.Notices, m, in, origin(c))
	switch {
	case errors.Is(err, ErrLockedOut):
		return p.endSession(c, "credentials.locked_out")
	case errors.Is(err, ErrStaleSession):
		return p.endSession(c, "login.notice.ended")
	case err != nil:
		return err
	case probs.Any():
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.Credentials(viewmember.CredentialsPage{
			LoginID: m.LoginID, NewLoginID: security.Truncate(strings.TrimSpace(in.NewLoginID), 40), Problems: probs}))
	}
	// This session stays (with a new token); every other one ends with the old version.
	if err := p.renewKeepingDeadline(ctx); err != nil {
		return err
	}
	p.Sessions.Put(ctx, keyVersion, version)
	p.flash(c, "credentials.changed")
	return c.Redirect(http.StatusSeeOther, "/my")
}

// checkCurrentPassword checks a logged-in member's current password before a change, through the
// shared check (so wrong tries count towards the lock). It returns ErrLockedOut when the ID is (or just
// got) locked, or the message ID of a wrong or missing password.
func checkCurrentPassword(ctx context.Context, checker *credentials.Checker, m *db.Member, password string, from credentials.Origin) (string, error) {
	if password == "" {
		return "credentials.current_required", nil
	}
	res, err := checker.CheckMember(ctx, m.ID, password, from)
	switch {
	case err != nil:
		return "", err
	case res.Outcome == credentials.Locked || res.JustLocked:
		return "", ErrLockedOut
	case res.Outcome != credentials.OK:
		return "credentials.current_wrong", nil
	}
	return "", nil
}

// renewKeepingDeadline gives the session a new token, as a privilege change must, without extending
// its absolute lifetime (scs's RenewToken starts a new one).
func (p *Portal) renewKeepingDeadline(ctx context.Context) error {
	deadline := p.Sessions.Deadline(ctx)
	if err := p.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	p.Sessions.SetDeadline(ctx, deadline)
	return nil
}

// endSession logs the member out with a message on the login page.
func (p *Portal) endSession(c echo.Context, key string) error {
	if err := p.Sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	p.flash(c, key)
	return c.Redirect(http.StatusSeeOther, pathLoginPage)
}
