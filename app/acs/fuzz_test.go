package acs

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"honnin/app/emv"
)

var erroCodes = map[emv.ErrorCode]bool{emv.ErrInvalidMessage: true, emv.ErrVersion: true, emv.ErrMissing: true, emv.ErrCriticalExt: true,
	emv.ErrFormat: true, emv.ErrDuplicate: true, emv.ErrTransData: true}

// FuzzDecodeAReq: any body gives either a valid AReq or an Erro with a known code; never a panic.
// The seed corpus is in testdata/fuzz/FuzzDecodeAReq and runs with every go test.
func FuzzDecodeAReq(f *testing.F) {
	b, _ := json.Marshal(validAReq())
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		a, e := decodeAReq(body)
		if (a == nil) == (e == nil) {
			t.Fatalf("want exactly one of AReq and Erro, got %v and %v", a, e)
		}
		if e != nil {
			if !erroCodes[e.ErrorCode] || e.MessageType != emv.TypeErro || e.ErrorDetail == "" || !supportedVersion(e.MessageVersion) {
				t.Fatalf("bad Erro %+v", e)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatal(err)
			}
			return
		}
		if !supportedVersion(a.MessageVersion) || a.MessageType != emv.TypeAReq || !isUUID(a.ThreeDSServerTransID) || !isUUID(a.DSTransID) {
			t.Fatalf("accepted an AReq without its header: %+v", a)
		}
		if len(a.AcctNumber) < 13 || len(a.AcctNumber) > 19 {
			t.Fatalf("accepted acctNumber of length %d", len(a.AcctNumber))
		}
		if a.DeviceChannel == "02" && !httpURL(2048)(a.NotificationURL) {
			t.Fatalf("accepted notificationURL %q", a.NotificationURL)
		}
		v := reflect.ValueOf(*a)
		for i := range v.NumField() {
			if s, ok := v.Field(i).Interface().(string); ok && (!utf8.ValidString(s) || hasControl(s)) {
				t.Fatalf("accepted %s = %q", v.Type().Field(i).Name, s)
			}
		}
	})
}

// FuzzDecodeCReq: any creq field gives either a CReq that encodes back to itself or an Erro.
func FuzzDecodeCReq(f *testing.F) {
	f.Add("eyJ0aHJlZURTU2VydmVyVHJhbnNJRCI6IjhhODgwZGMwLWQyZDItNDA2Ny1iY2IxLWIwOGQxNjkwYjI2ZSIsImFjc1RyYW5zSUQiOiJkN2MxZWU5OS05NDc4LTQ0YTYtYjFmMi0zOTFlMjljNmIzNDAiLCJtZXNzYWdlVHlwZSI6IkNSZXEiLCJtZXNzYWdlVmVyc2lvbiI6IjIuMi4wIiwiY2hhbGxlbmdlV2luZG93U2l6ZSI6IjAxIn0")
	f.Fuzz(func(t *testing.T, creq string) {
		c, e := decodeCReq(creq)
		if (c == nil) == (e == nil) {
			t.Fatalf("want exactly one of CReq and Erro")
		}
		if e != nil {
			if e.MessageType != emv.TypeErro || e.ErrorCode == "" {
				t.Fatalf("bad Erro %+v", e)
			}
			return
		}
		b, _ := json.Marshal(c)
		again, e2 := decodeCReq(encodeBase64URL(b))
		if e2 != nil || *again != *c {
			t.Fatalf("round trip: %+v vs %+v (%v)", c, again, e2)
		}
	})
}
