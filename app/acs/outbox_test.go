package acs

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
)

// fakeDS answers every RReq with one canned response (or error) and records the bodies.
type fakeDS struct {
	status int
	body   string
	err    error
	got    []string
}

func (d *fakeDS) Do(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	d.got = append(d.got, string(b))
	if d.err != nil {
		return nil, d.err
	}
	return &http.Response{StatusCode: d.status, Body: io.NopCloser(strings.NewReader(d.body)), Header: http.Header{}}, nil
}

func TestPostJudgesTheRRes(t *testing.T) {
	f := newFixture(t)
	msg := &db.OutboxMessage{ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340", URL: "https://ds.example/results", Body: `{"messageType":"RReq"}`}
	rres := func(acs, status string) string {
		return `{"messageType":"RRes","acsTransID":"` + acs + `","resultsStatus":"` + status + `","messageVersion":"2.2.0"}`
	}
	tests := []struct {
		name string
		ds   fakeDS
		want string
	}{
		{"acknowledged", fakeDS{status: 200, body: rres(msg.ACSTransID, "01")}, ""},
		{"HTTP 500", fakeDS{status: 500, body: "busy"}, "HTTP 500"},
		{"not JSON", fakeDS{status: 200, body: "<html>"}, "the answer is not JSON"},
		{"an Erro", fakeDS{status: 200, body: `{"messageType":"Erro","errorCode":"101"}`}, "the answer is a Erro, not an RRes"},
		{"another transaction", fakeDS{status: 200, body: rres("00000000-0000-4000-8000-000000000000", "01")}, "the RRes is for another transaction"},
		{"not received", fakeDS{status: 200, body: rres(msg.ACSTransID, "02")}, "resultsStatus 02"},
		{"unreachable", fakeDS{err: errors.New("connection refused")}, "request failed: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := tt.ds
			f.client = &ds
			if got := f.post(f.ctx, msg); got != tt.want {
				t.Errorf("post = %q, want %q", got, tt.want)
			}
			if len(ds.got) != 1 || ds.got[0] != msg.Body {
				t.Errorf("sent %q", ds.got)
			}
		})
	}
}

func TestDeliverDueRetriesWithBackoffAndSendsOnce(t *testing.T) {
	f := newFixture(t)
	f.Config.RReqRetryMin, f.Config.RReqRetryMax = time.Second, time.Minute
	ares, s := f.opened(t, demodata.YamadaJCB)
	f.submit(t, s, "", "", true)

	down := &fakeDS{status: 503}
	f.client = down
	if n, err := f.deliverDue(f.ctx); err != nil || n != 0 || len(down.got) != 1 {
		t.Fatalf("first round: %d delivered (%v), %d sent", n, err, len(down.got))
	}
	var row db.OutboxMessage
	f.DB.Where("acs_trans_id = ?", ares.ACSTransID).Take(&row)
	if row.Attempts != 1 || row.DeliveredAt != nil || row.LastError != "HTTP 503" || !row.NextAttemptAt.After(db.Now()) {
		t.Errorf("after a failure: %+v", row)
	}
	// Not due yet: nothing is sent.
	if n, _ := f.deliverDue(f.ctx); n != 0 || len(down.got) != 1 {
		t.Errorf("a message was sent before its back-off ended")
	}
	f.DB.Model(&db.OutboxMessage{}).Where("id = ?", row.ID).Update("next_attempt_at", db.Now().Add(-time.Second))
	up := &fakeDS{status: 200, body: `{"messageType":"RRes","acsTransID":"` + ares.ACSTransID + `","resultsStatus":"01"}`}
	f.client = up
	if n, err := f.deliverDue(f.ctx); err != nil || n != 1 {
		t.Fatalf("second round: %d delivered (%v)", n, err)
	}
	var sent emv.RReq
	if err := json.Unmarshal([]byte(up.got[0]), &sent); err != nil || sent.ACSTransID != ares.ACSTransID || sent.ChallengeCancel != emv.CancelByCardholder {
		t.Errorf("sent %s", up.got[0])
	}
	if n, _ := f.deliverDue(f.ctx); n != 0 || len(up.got) != 1 {
		t.Errorf("a delivered RReq was sent again")
	}
	if n, oldest, err := outboxBacklog(f.ctx, f.ACS); err != nil || n != 0 || !oldest.IsZero() {
		t.Errorf("backlog after delivery: %d %v %v", n, oldest, err)
	}
}

func TestRReqAddress(t *testing.T) {
	f := newFixture(t)
	f.Config.DSResultsURLBrand = map[string]string{db.BrandVisa: "https://visa-ds.example/r"}
	tests := []struct {
		name string
		ch   db.Challenge
		want string
	}{
		{"configured dsURL", db.Challenge{DSURL: "https://ds.example/results", Brand: db.BrandJCB}, "https://ds.example/results"},
		{"unknown dsURL falls back to the brand's", db.Challenge{DSURL: "https://evil.example/r", Brand: db.BrandVisa}, "https://visa-ds.example/r"},
		{"brand override", db.Challenge{Brand: db.BrandVisa}, "https://visa-ds.example/r"},
		{"default", db.Challenge{Brand: db.BrandJCB}, "https://ds.example/results"},
	}
	for _, tt := range tests {
		if got := f.rreqURL(&tt.ch); got != tt.want {
			t.Errorf("%s: rreqURL = %q, want %q", tt.name, got, tt.want)
		}
	}
}
