package acs

// The 3DS Method (threeDSMethodURL, POST /3ds/method). Before its AReq, the shop's page posts
// threeDSMethodData into a hidden iframe here. The page served back runs a small static script that
// reads the browser's device data, sends them to POST /3ds/method/data, and then posts
// threeDSMethodData back to the shop's notification URL, well within the protocol's 10 s even when
// collecting fails. The data wait in device_data, keyed by threeDSServerTransID, until the AReq with
// that ID claims them or they expire (HONNIN_METHOD_DATA_TTL) and the sweeper removes them.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewacs "honnin/views/acs"
)

// maxMethodDataChars bounds the threeDSMethodData form field: two short fields, base64url-encoded.
const maxMethodDataChars = 4096

// maxDeviceDataBytes bounds the script's post: a dozen short fields.
const maxDeviceDataBytes = 4096

// methodRequest is what a shop's threeDSMethodData says.
type methodRequest struct {
	ThreeDSServerTransID string
	NotificationURL      string
	// NotificationOrigin is the notification URL's origin, for the page's CSP.
	NotificationOrigin string
}

// parseMethodData reads the threeDSMethodData form field (base64url JSON with threeDSServerTransID
// and threeDSMethodNotificationURL). The notification URL must be https (http too when allowHTTP, in
// demo mode); ok is false for anything else.
func parseMethodData(field string, allowHTTP bool) (methodRequest, bool) {
	if field == "" || len(field) > maxMethodDataChars {
		return methodRequest{}, false
	}
	raw, err := decodeBase64URL(field)
	if err != nil {
		return methodRequest{}, false
	}
	var m struct {
		TransID         string `json:"threeDSServerTransID"`
		NotificationURL string `json:"threeDSMethodNotificationURL"`
	}
	if json.Unmarshal(raw, &m) != nil || !isUUID(m.TransID) || !httpURL(2048)(m.NotificationURL) {
		return methodRequest{}, false
	}
	origin, ok := notifyOrigin(m.NotificationURL, allowHTTP)
	if !ok {
		return methodRequest{}, false
	}
	return methodRequest{ThreeDSServerTransID: m.TransID, NotificationURL: m.NotificationURL, NotificationOrigin: origin}, true
}

// method serves the 3DS Method's hidden page. Unreadable threeDSMethodData get a blank page: there is
// no notification URL one could trust to post to, and nothing is written.
func (a *ACS) method(c echo.Context) error {
	req, ok := parseMethodData(c.FormValue("threeDSMethodData"), a.Config.Demo)
	h := c.Response().Header()
	h.Del("X-Frame-Options") // the page lives in the shop's hidden iframe
	if !ok {
		h.Set("Content-Security-Policy", security.CSP{FrameAncestors: []string{"http:", "https:"}}.String())
		return c.HTML(http.StatusOK, "")
	}
	h.Set("Content-Security-Policy", security.CSP{FormAction: []string{req.NotificationOrigin}, FrameAncestors: []string{"http:", "https:"}}.String())
	back := encodeJSON(map[string]string{"threeDSServerTransID": req.ThreeDSServerTransID})
	return views.Render(c, http.StatusOK, viewacs.Method(viewacs.MethodPage{
		TransID: req.ThreeDSServerTransID, NotificationURL: req.NotificationURL, MethodData: back}))
}

// deviceDataPost is what the method page's script sends.
type deviceDataPost struct {
	ThreeDSServerTransID string          `json:"threeDSServerTransID"`
	Device               risk.MethodData `json:"device"`
}

// methodData stores what the method page's script collected. It answers 204 when stored (or already
// stored: the first post for a transaction wins), 400 without writing for anything unreadable.
func (a *ACS) methodData(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxDeviceDataBytes+1))
	if err != nil || len(body) > maxDeviceDataBytes {
		return c.NoContent(http.StatusBadRequest)
	}
	var p deviceDataPost
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if dec.Decode(&p) != nil || !isUUID(p.ThreeDSServerTransID) || !validMethodData(p.Device) {
		return c.NoContent(http.StatusBadRequest)
	}
	if err := storeMethodData(c.Request().Context(), a.DB, p.ThreeDSServerTransID, p.Device, db.Now(), a.Config.MethodDataTTL); err != nil {
		a.Log.Warn("3DS Method data could not be stored", "err", err.Error())
		return c.NoContent(http.StatusServiceUnavailable)
	}
	return c.NoContent(http.StatusNoContent)
}

var (
	// methodWordRE is what a time-zone name or platform may hold: letters, digits and a few separators.
	methodWordRE = regexp.MustCompile(`^[A-Za-z0-9_+\-/.,() ]{0,64}$`)
	// methodLangRE is a BCP 47 language tag.
	methodLangRE = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}$`)
)

// validMethodData reports whether device data are plausible browser values: bounded numbers, short
// plain strings, at most ten languages. Anything else is refused rather than stored.
func validMethodData(m risk.MethodData) bool {
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	if !methodWordRE.MatchString(m.TimeZone) || !methodWordRE.MatchString(m.Platform) || len(m.Languages) > 10 ||
		!in(m.TZOffset, -1440, 1440) || !in(m.ScreenWidth, 0, 100000) || !in(m.ScreenHeight, 0, 100000) ||
		!in(m.ColorDepth, 0, 64) || m.PixelRatio < 0 || m.PixelRatio > 16 ||
		!in(m.HardwareConcurrency, 0, 4096) || !in(m.TouchPoints, 0, 256) {
		return false
	}
	for _, l := range m.Languages {
		if !methodLangRE.MatchString(l) {
			return false
		}
	}
	return true
}

// storeMethodData keeps a transaction's device data until now+ttl. A second post for the same
// transaction changes nothing: the first one stays.
func storeMethodData(ctx context.Context, gdb *gorm.DB, transID string, m risk.MethodData, now time.Time, ttl time.Duration) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	row := db.DeviceData{ThreeDSServerTransID: transID, Data: string(data), ExpiresAt: now.Add(ttl), CreatedAt: now}
	return gdb.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// sweepDeviceData removes device data no AReq claimed before they expired, at most limit rows a call,
// and returns how many it removed.
func sweepDeviceData(ctx context.Context, gdb *gorm.DB, now time.Time, limit int) (int64, error) {
	due := gdb.Model(&db.DeviceData{}).Select("three_ds_server_trans_id").Where("expires_at <= ?", now).Limit(limit)
	res := gdb.WithContext(ctx).Where("three_ds_server_trans_id IN (?)", due).Delete(&db.DeviceData{})
	return res.RowsAffected, res.Error
}
