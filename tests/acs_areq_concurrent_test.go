package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestACSConcurrentAReqs: AReqs arriving together share the database's commits, yet each gets its own
// ARes (its IDs, its card's decision) and its own stored row, and of several AReqs with one dsTransID
// exactly one is answered with an ARes and stored, the others with Erro 305.
func TestACSConcurrentAReqs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, _ := startACS(t, b, map[string]string{"HONNIN_AREQ_LIMIT_PER_CARD": "1000"})
		// Sixty AReqs for one card at once look like card testing to the default risk rules.
		allowStorms(t, app.DB)
		cardsByStatus := map[string]string{
			"C": demodata.YamadaJCB,
			"N": cards.WithCheckDigit("354000000009999"), // no such card: N/08
			"R": demodata.StolenJCB,                      // R/10
		}
		const perStatus, sameDSTransID = 20, 5
		shared := uuid.NewString()
		type sent struct {
			areq   map[string]any
			status string
		}
		var all []sent
		for status, pan := range cardsByStatus {
			for range perStatus {
				all = append(all, sent{areqFor(pan), status})
			}
		}
		for range sameDSTransID {
			areq := areqFor(demodata.YamadaJCB)
			areq["dsTransID"] = shared
			all = append(all, sent{areq, "C"})
		}
		answers := make([]map[string]any, len(all))
		errs := make([]error, len(all))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i], errs[i] = postAReqQuietly(app.URL, s.areq)
			}()
		}
		close(start)
		wg.Wait()

		acsTransIDs, sharedAnswered, sharedRefused := map[string]bool{}, 0, 0
		for i, s := range all {
			ares := answers[i]
			if errs[i] != nil {
				t.Errorf("AReq %d: %v", i, errs[i])
				continue
			}
			isShared := s.areq["dsTransID"] == shared
			if isShared && str(ares, "messageType") == "Erro" && str(ares, "errorCode") == "305" {
				sharedRefused++
				continue
			}
			if str(ares, "messageType") != "ARes" || str(ares, "dsTransID") != s.areq["dsTransID"] ||
				str(ares, "threeDSServerTransID") != s.areq["threeDSServerTransID"] || str(ares, "transStatus") != s.status {
				t.Errorf("AReq %d (%s, want %s): answered %v", i, s.areq["dsTransID"], s.status, ares)
				continue
			}
			id := str(ares, "acsTransID")
			if acsTransIDs[id] {
				t.Errorf("acsTransID %s given twice", id)
			}
			acsTransIDs[id] = true
			if isShared {
				sharedAnswered++
			}
			var row db.Challenge
			if err := app.DB.Where("acs_trans_id = ?", id).Take(&row).Error; err != nil {
				t.Errorf("ARes %s without its stored row: %v", id, err)
				continue
			}
			if row.DSTransID != s.areq["dsTransID"] || row.ThreeDSServerTransID != s.areq["threeDSServerTransID"] || row.TransStatus != s.status {
				t.Errorf("row %s (%s %s %s) is not its AReq's (%s %s %s)", id, row.DSTransID, row.ThreeDSServerTransID, row.TransStatus,
					s.areq["dsTransID"], s.areq["threeDSServerTransID"], s.status)
			}
		}
		if sharedAnswered != 1 || sharedRefused != sameDSTransID-1 {
			t.Errorf("one dsTransID sent %d times: %d ARes and %d Erro 305, want 1 and %d", sameDSTransID, sharedAnswered, sharedRefused, sameDSTransID-1)
		}
		var stored int64
		app.DB.Model(&db.Challenge{}).Count(&stored)
		if want := int64(3*perStatus + 1); stored != want {
			t.Errorf("%d rows stored, want %d (one per ARes)", stored, want)
		}
	})
}

// postAReqQuietly is postAReq for a goroutine: it returns what went wrong instead of failing the test.
func postAReqQuietly(base string, areq map[string]any) (map[string]any, error) {
	body, err := json.Marshal(areq)
	if err != nil {
		return nil, err
	}
	resp, err := testkit.HTTPClient().Post(base+"/3ds/areq", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("HTTP %d, not a JSON answer: %w", resp.StatusCode, err)
	}
	return out, nil
}
