package demo

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"honnin/app/emv"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewdemo "honnin/views/demo"
)

// notify is the shop's notificationURL: the ACS's page posts the CRes here, inside the iframe.
func (s *Shop) notify(c echo.Context) error {
	tx := s.Notify(c.Request().Context(), c.FormValue("cres"), c.FormValue("threeDSSessionData"))
	if tx == "" {
		return c.String(http.StatusBadRequest, "cres missing or unreadable")
	}
	// The page is shown in the shop's own iframe and takes the whole window to the result.
	h := c.Response().Header()
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", security.CSP{FrameAncestors: []string{"'self'"}}.String())
	return views.Render(c, http.StatusOK, viewdemo.Notify("/demo/shop/result/"+tx))
}

// Notify records a CRes (or an Erro in its place) and returns the purchase's transaction ID, "" when
// the post cannot be read. The session data must be the one the shop sent with the CReq.
func (s *Shop) Notify(ctx context.Context, cresField, session string) string {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(cresField, "="))
	if err != nil {
		return ""
	}
	var m emv.CRes
	erro, err := readAnswer(raw, &m)
	if err != nil {
		return ""
	}
	now := db.Now()
	upd := map[string]any{"cres_at": now}
	tx := m.ThreeDSServerTransID
	switch {
	case erro != nil:
		tx = erro.ThreeDSServerTransID
		upd["cres_error"] = string(erro.ErrorCode)
	case m.MessageType == emv.TypeCRes:
		upd["cres_status"] = string(m.TransStatus)
	default:
		return ""
	}
	if tx == "" || session != "" && session != sessionData(tx) {
		return ""
	}
	res := s.DB.WithContext(ctx).Model(&db.DemoResult{}).Where("three_ds_server_trans_id = ?", tx).Updates(upd)
	if res.Error != nil || res.RowsAffected == 0 {
		return ""
	}
	return tx
}
