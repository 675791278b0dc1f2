package server

import (
	"net"
	"testing"

	"honnin/app/config"
)

func TestServingLine(t *testing.T) {
	tests := []struct {
		name     string
		baseURL  string
		demo     bool
		internal net.Addr
		want     string
	}{
		{"demo on the defaults", "http://localhost:8080", true, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8081},
			"honnin is serving: portal http://localhost:8080/  demo shop http://localhost:8080/demo/shop  support console http://127.0.0.1:8081/"},
		{"no demo shop outside demo mode", "https://my.example-issuer.jp", false, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 9000},
			"honnin is serving: portal https://my.example-issuer.jp/  support console http://10.0.0.5:9000/"},
		{"console on every interface is opened on localhost", "http://localhost:8080", false, &net.TCPAddr{IP: net.IPv6unspecified, Port: 8081},
			"honnin is serving: portal http://localhost:8080/  support console http://localhost:8081/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ServingLine(config.Config{BaseURL: tt.baseURL, Demo: tt.demo}, tt.internal); got != tt.want {
				t.Errorf("ServingLine = %q\nwant          %q", got, tt.want)
			}
		})
	}
}
