package security

import "testing"

func TestCSP(t *testing.T) {
	const own = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
	for _, tt := range []struct {
		name string
		csp  CSP
		want string
	}{
		{"every page by default: no framing, forms to itself", CSP{},
			own + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"},
		{"challenge page: inside the shop's iframe, posting the CRes to the shop",
			CSP{FormAction: []string{"'self'", "https://shop.example"}, FrameAncestors: []string{"http:", "https:"}},
			own + "form-action 'self' https://shop.example; frame-ancestors http: https:; base-uri 'none'; object-src 'none'"},
		{"challenge page without a usable notificationURL", CSP{FrameAncestors: []string{"http:", "https:"}},
			own + "form-action 'self'; frame-ancestors http: https:; base-uri 'none'; object-src 'none'"},
		{"demo shop checkout: frames the ACS and posts the creq to it",
			CSP{FrameSrc: []string{"'self'", "https://acs.example"}, FormAction: []string{"'self'", "https://acs.example"}},
			own + "frame-src 'self' https://acs.example; form-action 'self' https://acs.example; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"},
		{"demo shop notify: in the shop's own iframe", CSP{FrameAncestors: []string{"'self'"}},
			own + "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"},
	} {
		if got := tt.csp.String(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
