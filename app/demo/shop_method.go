package demo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm/clause"

	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewdemo "honnin/views/demo"
)

// methodNotify is the shop's threeDSMethodNotificationURL: the ACS's 3DS Method page posts
// threeDSMethodData here, inside the shop's hidden iframe, when it has collected the device data. The
// answer tells the shop's page to go on with the AReq.
func (s *Shop) methodNotify(c echo.Context) error {
	if !s.MethodDone(c.Request().Context(), c.FormValue("threeDSMethodData")) {
		return c.String(http.StatusBadRequest, "threeDSMethodData missing or unreadable")
	}
	h := c.Response().Header()
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", security.CSP{FrameAncestors: []string{"'self'"}}.String())
	return views.Render(c, http.StatusOK, viewdemo.MethodDone())
}

// MethodDone records that the 3DS Method of the transaction named in threeDSMethodData (base64url
// JSON {threeDSServerTransID}) completed, and reports whether the field could be read.
func (s *Shop) MethodDone(ctx context.Context, field string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(field, "="))
	if err != nil {
		return false
	}
	var m struct {
		TransID string `json:"threeDSServerTransID"`
	}
	if json.Unmarshal(raw, &m) != nil || !uuidRE.MatchString(m.TransID) {
		return false
	}
	now := db.Now()
	row := db.DemoResult{ThreeDSServerTransID: m.TransID, MethodAt: &now}
	err = s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "three_ds_server_trans_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"method_at", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		s.Log.Warn("demo shop: the 3DS Method's completion could not be recorded", "err", err.Error())
		return false
	}
	return true
}
