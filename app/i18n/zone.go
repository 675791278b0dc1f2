package i18n

import "time"

// IssuerZone is the issuer's clock, Japan Standard Time: every time a person reads or types is in it.
// A fixed offset rather than a tz database lookup, since Japan has no daylight saving time and the
// binary must not depend on the host's zoneinfo.
var IssuerZone = time.FixedZone("JST", 9*60*60)
