package support

import (
	"context"

	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
)

// ResetStaffTOTP replaces a staff member's TOTP secret with a new one that is not yet enrolled: at the
// next sign-in (password only) they enrol it, seeing the secret and QR code there. Their sessions end.
func ResetStaffTOTP(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, issuer string, a Actor, staffID uint, reason string) error {
	return staffChange(ctx, gdb, a, staffID, reason, func(tx *gorm.DB, st *db.Staff) (db.AuditEvent, error) {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer + " Honnin", AccountName: st.Login})
		if err != nil {
			return db.AuditEvent{}, err
		}
		sealed, ver, err := sealer.Seal([]byte(key.Secret()), security.PurposeTOTP)
		if err != nil {
			return db.AuditEvent{}, err
		}
		err = tx.Model(&db.Staff{}).Where("id = ?", st.ID).Updates(map[string]any{
			"totp_sealed": sealed, "totp_key_version": ver, "totp_enrolled": false, "totp_last_step": 0,
			"session_version": gorm.Expr("session_version + 1")}).Error
		return db.AuditEvent{Action: ActionResetTOTP}, err
	})
}

func (s *Console) staffResetTOTP(c echo.Context) error {
	id, err := staffIDParam(c)
	if err != nil {
		return err
	}
	err = ResetStaffTOTP(c.Request().Context(), s.DB, s.Sealer, s.Config.IssuerNameEN, s.actor(c), id, c.FormValue("reason"))
	return s.staffActionResult(c, err, "support.staff.reset_done")
}
