package acs

import (
	"encoding/base64"
	"testing"
)

func TestDecodeCReq(t *testing.T) {
	good := `{"threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340","messageType":"CReq","messageVersion":"2.2.0","challengeWindowSize":"01"}`
	tests := []struct{ name, creq, code string }{
		{"unpadded base64url", base64.RawURLEncoding.EncodeToString([]byte(good + " ")), ""},
		{"padded base64url", base64.URLEncoding.EncodeToString([]byte(good)), ""},
		{"standard alphabet", base64.StdEncoding.EncodeToString([]byte(good + "  ")), ""},
		{"empty", "", "201"},
		{"not base64", "***", "101"},
		{"not JSON", base64.RawURLEncoding.EncodeToString([]byte("creq")), "101"},
		{"wrong type", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CRes","messageVersion":"2.2.0"}`)), "101"},
		{"missing window", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq","messageVersion":"2.2.0","threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340"}`)), "201"},
		{"bad window", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq","messageVersion":"2.2.0","threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"d7c1ee99-9478-44a6-b1f2-391e29c6b340","challengeWindowSize":"06"}`)), "203"},
		{"duplicate key", base64.RawURLEncoding.EncodeToString([]byte(`{"messageType":"CReq","messageType":"CReq"}`)), "204"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, e := decodeCReq(tt.creq)
			if tt.code == "" {
				if e != nil || c.ChallengeWindowSize != "01" {
					t.Fatalf("want a CReq, got %v", e)
				}
				return
			}
			if e == nil || string(e.ErrorCode) != tt.code {
				t.Fatalf("want Erro %s, got %+v", tt.code, e)
			}
		})
	}
}
