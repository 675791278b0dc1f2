package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"honnin/app/risk"
	"honnin/db"
)

// benchMethodData is what the 3DS Method's script reports from the bench's browser.
var benchMethodData = risk.MethodData{TimeZone: "Asia/Tokyo", TZOffset: -540, Languages: []string{"ja-JP", "ja"},
	ScreenWidth: 1440, ScreenHeight: 900, ColorDepth: 24, PixelRatio: 1, Platform: "Linux x86_64", HardwareConcurrency: 8,
	CookiesEnabled: true}

// frictionlessLoad hands out the transactions whose device data the 3DS Method stored, one per AReq.
type frictionlessLoad struct {
	transIDs []string
	next     atomic.Int64
}

// prepareFrictionless makes the bench browser a known device and the bench shop a known merchant for
// every bench card, as a successful challenge would, and stores the 3DS Method's device data for
// count transactions, as the method page would just before each AReq.
func (env *environment) prepareFrictionless(ctx context.Context, count int) (*frictionlessLoad, error) {
	var areq struct {
		UA                      string `json:"browserUserAgent"`
		AcquirerBIN, MerchantID string
	}
	var tmpl map[string]any
	if err := json.Unmarshal([]byte(areqTemplate), &tmpl); err != nil {
		return nil, err
	}
	areq.UA, areq.AcquirerBIN, areq.MerchantID = tmpl["browserUserAgent"].(string), tmpl["acquirerBIN"].(string), tmpl["acquirerMerchantID"].(string)
	device := risk.DeviceHash(risk.Browser{UserAgent: areq.UA}, &benchMethodData)
	now := db.Now()
	gdb := env.DB.WithContext(ctx)
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM known_devices WHERE device_hash = ?`, []any{device}},
		{`INSERT INTO known_devices (card_id, device_hash, label, expires_at, last_used_at, created_at)
			SELECT id, ?, 'bench', ?, ?, ? FROM cards WHERE holder_name = ?`, []any{device, now.Add(24 * time.Hour), now, now, benchHolder}},
		{`DELETE FROM known_merchants WHERE merchant_key = ?`, []any{risk.MerchantKey(areq.AcquirerBIN, areq.MerchantID)}},
		{`INSERT INTO known_merchants (card_id, merchant_key, last_seen_at) SELECT id, ?, ? FROM cards WHERE holder_name = ?`,
			[]any{risk.MerchantKey(areq.AcquirerBIN, areq.MerchantID), now, benchHolder}},
	} {
		if err := gdb.Exec(stmt.sql, stmt.args...).Error; err != nil {
			return nil, err
		}
	}
	data, _ := json.Marshal(benchMethodData)
	load := &frictionlessLoad{transIDs: make([]string, count)}
	rows := make([]db.DeviceData, 0, 1000)
	for i := range load.transIDs {
		load.transIDs[i] = uuid.NewString()
		rows = append(rows, db.DeviceData{ThreeDSServerTransID: load.transIDs[i], Data: string(data), ExpiresAt: now.Add(time.Hour)})
		if len(rows) == cap(rows) || i == count-1 {
			if err := gdb.Create(&rows).Error; err != nil {
				return nil, err
			}
			rows = rows[:0]
		}
	}
	// A hundred thousand rows at once, where a live system's grow a few at a time and autovacuum
	// analyses them as they do: without the statistics (and the plans cached on each connection while
	// these tables were empty, which an ANALYZE invalidates), PostgreSQL looked up every known merchant
	// by reading the whole table (16,841 sequential scans, 48 million rows read, in one run).
	if err := gdb.Exec(`ANALYZE known_devices, known_merchants, device_data`).Error; err != nil {
		return nil, err
	}
	return load, nil
}

// frictionlessAReq sends one AReq whose device data are present, for a random bench card, and checks
// that it is approved without a challenge: Y with ECI 05 and an authentication value.
func (env *environment) frictionlessAReq(ctx context.Context, client *http.Client, load *frictionlessLoad) error {
	i := load.next.Add(1) - 1
	if int(i) >= len(load.transIDs) {
		return fmt.Errorf("the prepared device data ran out after %d AReqs", i)
	}
	pan := env.CardPANs[int(i)%len(env.CardPANs)]
	ares, err := env.postAReq(ctx, client, env.areqBodyFor(pan, load.transIDs[i]))
	if err != nil {
		return err
	}
	if ares.TransStatus != "Y" || ares.ECI != "05" || ares.AuthenticationValue == "" {
		return fmt.Errorf("not frictionless: %v %v %v", ares.TransStatus, ares.TransStatusReason, ares.ECI)
	}
	return nil
}
