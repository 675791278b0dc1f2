package acs

import (
	"net/http"
	"slices"
)

// DSIdentity is the Directory Server an AReq came from, as the public listener authenticated it.
type DSIdentity struct {
	// ID names it for the per-DS rate limit: "cert:" or "fp:" and its client certificate's SHA-256,
	// or "open" for every caller of an unauthenticated endpoint (demo mode).
	ID string
	// Brands it may send AReqs for; nil means every brand.
	Brands []string
}

// OpenDS is the identity every caller shares when the endpoint is not authenticated (demo mode only).
var OpenDS = DSIdentity{ID: "open"}

// Allows reports whether the Directory Server may send an AReq for a card of the brand.
func (d DSIdentity) Allows(brand string) bool {
	return d.Brands == nil || slices.Contains(d.Brands, brand)
}

// DSAuthenticator tells who sent a request to the AReq endpoint; ok is false for a caller that is
// not an authenticated Directory Server.
type DSAuthenticator func(r *http.Request) (id DSIdentity, ok bool)
