package tests

import (
	"encoding/json"
	"net/http"
	"testing"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/tests/testkit"
)

// TestCardRangesOnTheInternalListener: the ACS operator reads, per brand, the card ranges to register
// with each Directory Server; every card of the card file falls in its brand's range, which names the
// 3DS Method's URL, the versions and what the ACS supports. The public listener does not serve them.
func TestCardRangesOnTheInternalListener(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		resp, err := testkit.HTTPClient().Get(app.Internal + "/internal/cards/ranges")
		if err != nil {
			t.Fatal(err)
		}
		body := testkit.ReadAll(t, resp.Body)
		var ranges []cards.BrandRanges
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &ranges) != nil || len(ranges) != 2 {
			t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
		}
		byBrand := map[string]cards.BrandRanges{}
		for _, br := range ranges {
			byBrand[br.Brand] = br
		}
		for _, c := range demodata.Cards {
			pan := c.PAN.Digits()
			r, ok := cards.RangeFor(byBrand[cards.BrandOf(pan)].CardRangeData, pan)
			if !ok {
				t.Errorf("card ****%s is in no %s range: %s", pan[len(pan)-4:], cards.BrandOf(pan), body)
				continue
			}
			if r.ThreeDSMethodURL != app.Server.Config.BaseURL+"/3ds/method" || r.ACSStartProtocolVersion != "2.1.0" || r.ACSEndProtocolVersion != "2.2.0" ||
				len(r.ACSInfoInd) != 2 || r.ACSInfoInd[0] != "01" || r.ACSInfoInd[1] != "04" {
				t.Errorf("range %+v", r)
			}
		}
		resp, err = testkit.HTTPClient().Get(app.URL + "/internal/cards/ranges")
		if err != nil {
			t.Fatal(err)
		}
		testkit.ReadAll(t, resp.Body)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("the public listener answered HTTP %d", resp.StatusCode)
		}
	})
}
