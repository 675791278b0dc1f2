package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm/clause"

	"honnin/db"
)

// dsResults is the Directory Server simulator's results endpoint: it takes an RReq, stores it for the
// shop's outcome page and answers an RRes with resultsStatus 01.
func (s *Shop) dsResults(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	var m rreq
	if err != nil || json.Unmarshal(body, &m) != nil || m.MessageType != "RReq" || m.ThreeDSServerTransID == "" || m.ACSTransID == "" {
		return c.JSON(http.StatusOK, dsErro{ErrorCode: "101", ErrorComponent: "D", ErrorDescription: "Message Received Invalid",
			ErrorDetail: "not an RReq", MessageType: "Erro", MessageVersion: "2.2.0"})
	}
	if err := s.StoreRReq(c.Request().Context(), m); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rres{ThreeDSServerTransID: m.ThreeDSServerTransID, ACSTransID: m.ACSTransID, DSTransID: m.DSTransID,
		MessageType: "RRes", MessageVersion: m.MessageVersion, ResultsStatus: "01"})
}

// StoreRReq records an RReq against its purchase; an RReq for a purchase the shop did not make (a
// transaction from a protocol test) gets a row of its own.
func (s *Shop) StoreRReq(ctx context.Context, m rreq) error {
	now := db.Now()
	row := db.DemoResult{ThreeDSServerTransID: m.ThreeDSServerTransID, ACSTransID: m.ACSTransID, RReqStatus: m.TransStatus,
		RReqReason: m.TransStatusReason, RReqCancel: m.ChallengeCancel, ECI: m.ECI, AuthenticationValue: m.AuthenticationValue, RReqAt: &now}
	return s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "three_ds_server_trans_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"rreq_status", "rreq_reason", "rreq_cancel", "eci", "authentication_value", "rreq_at", "updated_at"}),
	}).Create(&row).Error
}
