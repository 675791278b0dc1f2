package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm/clause"

	"honnin/app/emv"
	"honnin/db"
)

// dsResults is the Directory Server simulator's results endpoint: it takes an RReq, stores it for the
// shop's outcome page and answers an RRes with resultsStatus 01.
func (s *Shop) dsResults(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	var m emv.RReq
	if err != nil || json.Unmarshal(body, &m) != nil || m.MessageType != emv.TypeRReq || m.ThreeDSServerTransID == "" || m.ACSTransID == "" {
		return c.JSON(http.StatusOK, emv.Erro{ErrorCode: emv.ErrInvalidMessage, ErrorComponent: emv.ComponentDS,
			ErrorDescription: emv.ErrorCodes[emv.ErrInvalidMessage], ErrorDetail: "not an RReq", MessageType: emv.TypeErro, MessageVersion: emv.V220})
	}
	if err := s.StoreRReq(c.Request().Context(), m); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, emv.RRes{ThreeDSServerTransID: m.ThreeDSServerTransID, ACSTransID: m.ACSTransID, DSTransID: m.DSTransID,
		MessageType: emv.TypeRRes, MessageVersion: m.MessageVersion, ResultsStatus: emv.ResultsReceived})
}

// StoreRReq records an RReq against its purchase; an RReq for a purchase the shop did not make (a
// transaction from a protocol test) gets a row of its own.
func (s *Shop) StoreRReq(ctx context.Context, m emv.RReq) error {
	now := db.Now()
	row := db.DemoResult{ThreeDSServerTransID: m.ThreeDSServerTransID, ACSTransID: m.ACSTransID, RReqStatus: string(m.TransStatus),
		RReqReason: string(m.TransStatusReason), RReqCancel: string(m.ChallengeCancel), ECI: string(m.ECI), AuthenticationValue: m.AuthenticationValue, RReqAt: &now}
	return s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "three_ds_server_trans_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"rreq_status", "rreq_reason", "rreq_cancel", "eci", "authentication_value", "rreq_at", "updated_at"}),
	}).Create(&row).Error
}
