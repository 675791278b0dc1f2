package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// MethodData is what the 3DS Method's script reads in the shopper's browser. It is stored as JSON in
// device_data until the AReq with the same threeDSServerTransID claims it.
type MethodData struct {
	TimeZone            string   `json:"timeZone,omitempty"` // IANA name, e.g. Asia/Tokyo
	TZOffset            int      `json:"tzOffset"`           // minutes, as Date.getTimezoneOffset
	Languages           []string `json:"languages,omitempty"`
	ScreenWidth         int      `json:"screenWidth"`
	ScreenHeight        int      `json:"screenHeight"`
	ColorDepth          int      `json:"colorDepth"`
	PixelRatio          float64  `json:"pixelRatio"`
	Platform            string   `json:"platform,omitempty"`
	HardwareConcurrency int      `json:"hardwareConcurrency"`
	TouchPoints         int      `json:"touchPoints"`
	CookiesEnabled      bool     `json:"cookiesEnabled"`
}

// Browser is what the AReq itself says about the shopper's browser.
type Browser struct {
	UserAgent    string
	Language     string
	ScreenWidth  string
	ScreenHeight string
	ColorDepth   string
	TZ           string
}

// DeviceHash identifies a device for a card's history: the User-Agent with the 3DS Method's data when
// there are some, else with the AReq's own browser fields. It is a digest, never the data itself.
func DeviceHash(b Browser, m *MethodData) string {
	parts := []string{b.UserAgent}
	if m != nil {
		parts = append(parts, "method", m.TimeZone, strconv.Itoa(m.TZOffset), strings.Join(m.Languages, ","),
			strconv.Itoa(m.ScreenWidth), strconv.Itoa(m.ScreenHeight), strconv.Itoa(m.ColorDepth),
			strconv.FormatFloat(m.PixelRatio, 'f', 2, 64), m.Platform, strconv.Itoa(m.HardwareConcurrency),
			strconv.Itoa(m.TouchPoints))
	} else {
		parts = append(parts, "areq", b.Language, b.ScreenWidth, b.ScreenHeight, b.ColorDepth, b.TZ)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:])
}

// MerchantKey identifies a merchant across AReqs: its acquirer's BIN and the merchant ID that
// acquirer gave it.
func MerchantKey(acquirerBIN, acquirerMerchantID string) string {
	return acquirerBIN + ":" + acquirerMerchantID
}

// DeviceLabel describes a device to its member from its User-Agent: the browser and the system
// ("Chrome / Windows"), or the User-Agent's start when neither is recognised. It is shown in lists
// of known devices, never used to decide.
func DeviceLabel(userAgent string) string {
	browser := firstMatch(userAgent, [][2]string{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"},
		{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}})
	system := firstMatch(userAgent, [][2]string{{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}})
	switch {
	case browser != "" && system != "":
		return browser + " / " + system
	case browser != "" || system != "":
		return browser + system
	}
	const max = 100
	if r := []rune(strings.TrimSpace(userAgent)); len(r) > max {
		return string(r[:max])
	}
	return strings.TrimSpace(userAgent)
}

// firstMatch is the name of the first pair whose marker s contains, "" when none.
func firstMatch(s string, pairs [][2]string) string {
	for _, p := range pairs {
		if strings.Contains(s, p[0]) {
			return p[1]
		}
	}
	return ""
}
