package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"honnin/app/cards"
	"honnin/app/emv"
)

// rangesFresh is how long the shop keeps the Directory Server's card ranges before asking again. A
// real 3DS Server asks about daily; the demo's card file may change while it runs.
const rangesFresh = time.Minute

// dsPReq is the Directory Server simulator's card-range endpoint: it answers a PReq with a PRes holding
// the card ranges the ACS operator registers (`honnin cards ranges`), those of every brand, since the
// simulator stands for every brand's Directory Server.
func (s *Shop) dsPReq(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 16<<10))
	var m emv.PReq
	if err != nil || json.Unmarshal(body, &m) != nil || m.MessageType != emv.TypePReq || m.ThreeDSServerTransID == "" {
		return c.JSON(http.StatusOK, emv.Erro{ErrorCode: emv.ErrInvalidMessage, ErrorComponent: emv.ComponentDS,
			ErrorDescription: emv.ErrorCodes[emv.ErrInvalidMessage], ErrorDetail: "not a PReq", MessageType: emv.TypeErro, MessageVersion: emv.V220})
	}
	byBrand, err := cards.Ranges(c.Request().Context(), s.DB, s.Config.MethodURL())
	if err != nil {
		return err
	}
	res := emv.PRes{ThreeDSServerTransID: m.ThreeDSServerTransID, DSStartProtocolVersion: emv.V210, DSEndProtocolVersion: emv.V220,
		MessageType: emv.TypePRes, MessageVersion: emv.V220, CardRangeData: []emv.CardRangeData{}}
	for _, br := range byBrand {
		res.CardRangeData = append(res.CardRangeData, br.CardRangeData...)
	}
	return c.JSON(http.StatusOK, res)
}

// cardRange is the range holding pan in the Directory Server's card ranges, asked for with a PReq
// and kept for rangesFresh. A Directory Server that does not answer leaves the shop without a range:
// it then sends the AReq without the 3DS Method (threeDSCompInd U), as a 3DS Server would.
func (s *Shop) cardRange(ctx context.Context, pan string) (emv.CardRangeData, bool) {
	s.rangesMu.Lock()
	defer s.rangesMu.Unlock()
	if time.Since(s.rangesAt) > rangesFresh {
		ranges, err := s.fetchRanges(ctx)
		if err != nil {
			s.Log.Warn("demo shop: the card ranges could not be fetched", "err", err.Error())
			return emv.CardRangeData{}, false
		}
		s.ranges, s.rangesAt = ranges, time.Now()
	}
	return cards.RangeFor(s.ranges, pan)
}

// fetchRanges sends a PReq to the Directory Server simulator and returns the PRes's card ranges.
func (s *Shop) fetchRanges(ctx context.Context) ([]emv.CardRangeData, error) {
	preq := emv.PReq{ThreeDSServerRefNumber: "HONNIN-DEMO-3DSS", ThreeDSServerTransID: uuid.NewString(),
		MessageType: emv.TypePReq, MessageVersion: emv.V220}
	var res emv.PRes
	erro, err := s.exchange(ctx, s.Config.BaseURL+"/demo/ds/preq", preq, &res, 1<<20)
	switch {
	case err != nil:
		return nil, err
	case erro != nil:
		return nil, fmt.Errorf("the Directory Server answered Erro %s", erro.ErrorCode)
	case res.MessageType != emv.TypePRes:
		return nil, fmt.Errorf("the Directory Server answered %q, not a PRes", res.MessageType)
	}
	return res.CardRangeData, nil
}
