package i18n

import "time"

// IssuerZone is the issuer's clock, Japan Standard Time: every time a person reads or types is in it.
// A fixed offset rather than a tz database lookup, since Japan has no daylight saving time and the
// binary must not depend on the host's zoneinfo.
var IssuerZone = time.FixedZone("JST", 9*60*60)

// FormatTime shows a time in Japan time, to the minute, for a member reading l: on the portal's pages
// and in mails alike.
func FormatTime(l Locale, t time.Time) string {
	t = t.In(IssuerZone)
	if l == EN {
		return t.Format("2 Jan 2006 15:04") + " (Japan time)"
	}
	return t.Format("2006年1月2日 15:04")
}
