package support

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// ListStaff returns every staff account for the admin page, by login.
func ListStaff(ctx context.Context, gdb *gorm.DB) ([]viewsupport.StaffRow, error) {
	var rows []db.Staff
	if err := gdb.WithContext(ctx).Order("login").Find(&rows).Error; err != nil {
		return nil, err
	}
	now := db.Now()
	out := make([]viewsupport.StaffRow, 0, len(rows))
	for _, st := range rows {
		r := viewsupport.StaffRow{ID: st.ID, Login: st.Login, Role: st.Role, Disabled: st.Disabled,
			Enrolled: st.TOTPEnrolled, MustChangePassword: st.MustChangePassword, LastLoginAt: st.LastLoginAt}
		if st.LockedUntil != nil && st.LockedUntil.After(now) {
			r.LockedUntil = st.LockedUntil
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Console) staffList(c echo.Context) error {
	return s.renderStaff(c, http.StatusOK, viewsupport.StaffPage{Notice: s.popFlash(c.Request().Context())})
}

func (s *Console) renderStaff(c echo.Context, status int, p viewsupport.StaffPage) error {
	rows, err := ListStaff(c.Request().Context(), s.DB)
	if err != nil {
		return err
	}
	p.Staff = rows
	if st := current(c); st != nil {
		p.SelfID = st.ID
	}
	return views.Render(c, status, viewsupport.StaffAdmin(me(c), p))
}
