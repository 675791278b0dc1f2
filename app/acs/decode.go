package acs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// duplicateKey walks a JSON document token by token and returns the path of the first key that
// appears twice in one object ("" when none does). encoding/json would silently keep the last one.
func duplicateKey(data []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string) (string, error)
	walk = func(path string) (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				seen := map[string]bool{}
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return "", err
					}
					key, _ := kt.(string)
					name := key
					if path != "" {
						name = path + "." + key
					}
					if seen[key] {
						return name, nil
					}
					seen[key] = true
					if dup, err := walk(name); dup != "" || err != nil {
						return dup, err
					}
				}
				_, err := dec.Token() // '}'
				return "", err
			case '[':
				for i := 0; dec.More(); i++ {
					if dup, err := walk(path + "[" + strconv.Itoa(i) + "]"); dup != "" || err != nil {
						return dup, err
					}
				}
				_, err := dec.Token() // ']'
				return "", err
			}
		}
		return "", nil
	}
	dup, err := walk("")
	if err != nil || dup != "" {
		return dup, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("trailing data after the JSON object")
	}
	return "", nil
}

// jsonString reads a JSON string value. Most values carry no escape, and those need no decoder: the
// message was already validated whole, so the bytes between the quotes are the string.
func jsonString(raw json.RawMessage) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 {
		return string(raw[1 : n-1]), true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// readObject checks that data is one JSON object without duplicated keys and returns its members.
func readObject(data []byte, msgType string) (map[string]json.RawMessage, *Erro) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, NewErro(ErrInvalidMessage, "the message is not a JSON object", msgType, "")
	}
	// Strict validation also rejects duplicated names, in one pass without allocations: a well-formed
	// message (nearly every one) takes only this path. The slower walks below name what is wrong.
	if !jsontext.Value(trimmed).IsValid() {
		if !utf8.Valid(trimmed) {
			// JSON text is UTF-8 (RFC 8259); encoding/json would quietly turn the bytes into U+FFFD.
			return nil, NewErro(ErrInvalidMessage, "the message is not valid UTF-8", msgType, "")
		}
		if !json.Valid(trimmed) {
			return nil, NewErro(ErrInvalidMessage, "the message is not a JSON object", msgType, "")
		}
		if dup, err := duplicateKey(trimmed); err != nil {
			return nil, NewErro(ErrInvalidMessage, "the message is not a JSON object", msgType, "")
		} else if dup != "" {
			return nil, NewErro(ErrDuplicate, dup, msgType, "")
		}
		// Well-formed to encoding/json but not to the strict parser (an escaped lone surrogate).
		return nil, NewErro(ErrInvalidMessage, "the message is not valid JSON text", msgType, "")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, NewErro(ErrInvalidMessage, "the message is not a JSON object", msgType, "")
	}
	return m, nil
}

// header reads messageType and messageVersion, which every message must carry before anything else
// can be judged.
func header(m map[string]json.RawMessage, want string) (version string, e *Erro) {
	var mt string
	if raw, ok := m["messageType"]; !ok || json.Unmarshal(raw, &mt) != nil || mt != want {
		return "", NewErro(ErrInvalidMessage, "messageType", want, "")
	}
	raw, ok := m["messageVersion"]
	if !ok {
		return "", NewErro(ErrMissing, "messageVersion", want, "")
	}
	if json.Unmarshal(raw, &version) != nil || version == "" {
		return "", NewErro(ErrFormat, "messageVersion", want, "")
	}
	if !SupportedVersion(version) {
		return "", NewErro(ErrVersion, "messageVersion", want, "")
	}
	return version, nil
}

// fieldCheck is the format rule of one string field.
type fieldCheck func(string) bool

var (
	uuidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	digitsRE = regexp.MustCompile(`^[0-9]+$`)
	langRE   = regexp.MustCompile(`^[A-Za-z]{1,3}(-[A-Za-z0-9]{1,8})*$`)
	tzRE     = regexp.MustCompile(`^[+-]?[0-9]{1,4}$`)
)

// hasControl reports whether s holds a control character (C0, DEL or C1, escaped or not) other than
// a tab (which an HTTP header copied into browserAcceptHeader or browserUserAgent may carry): no AReq
// field may carry one, and PostgreSQL refuses NUL in text.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) >= 0
}

func isUUID(s string) bool { return uuidRE.MatchString(s) }

func maxLen(n int) fieldCheck {
	return func(s string) bool { return utf8.RuneCountInString(s) <= n && utf8.ValidString(s) }
}

func digits(lo, hi int) fieldCheck {
	return func(s string) bool { return len(s) >= lo && len(s) <= hi && digitsRE.MatchString(s) }
}

func oneOf(vals ...string) fieldCheck {
	return func(s string) bool {
		for _, v := range vals {
			if s == v {
				return true
			}
		}
		return false
	}
}

func httpURL(n int) fieldCheck {
	return func(s string) bool {
		if len(s) > n {
			return false
		}
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
}

func yymm(s string) bool {
	if !digits(4, 4)(s) {
		return false
	}
	mm, _ := strconv.Atoi(s[2:])
	return mm >= 1 && mm <= 12
}

func purchaseDate(s string) bool {
	if !digits(14, 14)(s) {
		return false
	}
	_, err := time.Parse("20060102150405", s)
	return err == nil
}

func ipAddr(s string) bool { return len(s) <= 45 && net.ParseIP(s) != nil }

// areqStrings are the AReq's string fields Honnin checks, with their formats.
var areqStrings = map[string]fieldCheck{
	"threeDSServerTransID":              isUUID,
	"dsTransID":                         isUUID,
	"dsReferenceNumber":                 maxLen(32),
	"dsURL":                             httpURL(2048),
	"threeDSServerRefNumber":            maxLen(32),
	"threeDSServerURL":                  httpURL(2048),
	"threeDSRequestorID":                maxLen(35),
	"threeDSRequestorName":              maxLen(40),
	"threeDSRequestorURL":               httpURL(2048),
	"threeDSRequestorChallengeInd":      oneOf("01", "02", "03", "04", "05", "06", "07", "08", "09"),
	"threeDSRequestorAuthenticationInd": oneOf("01", "02", "03", "04", "05", "06"),
	"threeDSCompInd":                    oneOf("Y", "N", "U"),
	"acquirerBIN":                       maxLen(11),
	"acquirerMerchantID":                maxLen(35),
	"acctNumber":                        digits(13, 19),
	"cardExpiryDate":                    yymm,
	"mcc":                               digits(4, 4),
	"merchantCountryCode":               digits(3, 3),
	"merchantName":                      maxLen(40),
	"purchaseAmount":                    digits(1, 48),
	"purchaseCurrency":                  digits(3, 3),
	"purchaseExponent":                  digits(1, 1),
	"purchaseDate":                      purchaseDate,
	"notificationURL":                   httpURL(2048),
	"browserAcceptHeader":               maxLen(2048),
	"browserIP":                         ipAddr,
	"browserLanguage":                   func(s string) bool { return len(s) <= 8 && langRE.MatchString(s) },
	"browserColorDepth":                 oneOf("1", "4", "8", "15", "16", "24", "32", "48"),
	"browserScreenHeight":               digits(1, 6),
	"browserScreenWidth":                digits(1, 6),
	"browserTZ":                         func(s string) bool { return len(s) <= 5 && tzRE.MatchString(s) },
	"browserUserAgent":                  maxLen(2048),
	"messageCategory":                   oneOf("01", "02"),
	"deviceChannel":                     oneOf("01", "02", "03"),
	"cardholderName":                    maxLen(45),
	"email":                             maxLen(254),
}

// areqBools are the AReq's boolean fields.
var areqBools = map[string]bool{"browserJavaEnabled": true, "browserJavascriptEnabled": true}

// requiredAReq lists the fields an AReq of this version, category and channel must carry.
func requiredAReq(version, category, channel string, jsEnabled bool) []string {
	req := []string{"threeDSServerTransID", "dsTransID", "dsReferenceNumber", "threeDSServerRefNumber",
		"threeDSServerURL", "threeDSRequestorID", "threeDSRequestorName", "threeDSRequestorURL", "acctNumber",
		"cardExpiryDate", "messageCategory", "deviceChannel"}
	if category == "01" {
		req = append(req, "acquirerBIN", "acquirerMerchantID", "mcc", "merchantCountryCode", "merchantName",
			"purchaseAmount", "purchaseCurrency", "purchaseExponent", "purchaseDate")
	}
	if channel != "02" {
		return req
	}
	req = append(req, "threeDSCompInd", "notificationURL", "browserAcceptHeader", "browserLanguage", "browserUserAgent")
	screen := []string{"browserJavaEnabled", "browserColorDepth", "browserScreenHeight", "browserScreenWidth", "browserTZ"}
	if version == V210 {
		return append(req, screen...)
	}
	req = append(req, "browserJavascriptEnabled", "threeDSRequestorAuthenticationInd")
	if jsEnabled {
		req = append(req, screen...)
	}
	return req
}

// knownCurrencyExponents are the minor units of the currencies a shop in Japan commonly charges in.
var knownCurrencyExponents = map[string]string{"392": "0", "840": "2", "978": "2", "826": "2", "156": "2", "410": "0", "036": "2"}

// DecodeAReq reads and validates an AReq. Every defect is returned as the Erro to answer with.
func DecodeAReq(data []byte) (*AReq, *Erro) {
	m, e := readObject(data, "AReq")
	if e != nil {
		return nil, e
	}
	ids := func(e *Erro) *Erro {
		// Echo the transaction IDs the message carried, when they are well formed.
		var s string
		if raw, ok := m["threeDSServerTransID"]; ok && json.Unmarshal(raw, &s) == nil && isUUID(s) {
			e.ThreeDSServerTransID = s
		}
		s = ""
		if raw, ok := m["dsTransID"]; ok && json.Unmarshal(raw, &s) == nil && isUUID(s) {
			e.DSTransID = s
		}
		return e
	}
	version, e := header(m, "AReq")
	if e != nil {
		return nil, ids(e)
	}
	fail := func(code string, fields []string) (*AReq, *Erro) {
		sort.Strings(fields)
		return nil, ids(NewErro(code, strings.Join(fields, ","), "AReq", version))
	}

	var badType, badFormat []string
	str := map[string]string{}
	for name, check := range areqStrings {
		raw, ok := m[name]
		if !ok {
			continue
		}
		s, ok := jsonString(raw)
		if !ok {
			badType = append(badType, name)
			continue
		}
		str[name] = s
		if s == "" || hasControl(s) || !check(s) {
			badFormat = append(badFormat, name)
		}
	}
	bools := map[string]bool{}
	for name := range areqBools {
		if raw, ok := m[name]; ok {
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				badType = append(badType, name)
				continue
			}
			bools[name] = b
		}
	}
	if ext, ok := m["messageExtension"]; ok {
		var exts []struct {
			ID       string `json:"id"`
			Critical bool   `json:"criticalityIndicator"`
		}
		if json.Unmarshal(ext, &exts) != nil {
			badType = append(badType, "messageExtension")
		} else {
			for _, x := range exts {
				if x.Critical {
					return fail(ErrCriticalExt, []string{"messageExtension"})
				}
			}
		}
	}

	_, jsGiven := bools["browserJavascriptEnabled"]
	jsEnabled := !jsGiven || bools["browserJavascriptEnabled"]
	var missing []string
	for _, name := range requiredAReq(version, str["messageCategory"], str["deviceChannel"], jsEnabled) {
		if _, ok := m[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fail(ErrMissing, missing)
	}
	if bad := append(badType, badFormat...); len(bad) > 0 {
		return fail(ErrFormat, bad)
	}
	var a AReq
	if err := json.Unmarshal(bytes.TrimSpace(data), &a); err != nil {
		return fail(ErrFormat, []string{"message"})
	}
	a.MessageVersion = version
	if version == V210 {
		// 2.2.0-only fields in a 2.1.0 message are ignored.
		a.BrowserJavascriptEnabled, a.DSURL, a.ThreeDSRequestorAuthenticationInd = nil, "", ""
	}
	if a.MessageCategory == "01" {
		if exp, ok := knownCurrencyExponents[a.PurchaseCurrency]; ok && exp != a.PurchaseExponent {
			return fail(ErrTransData, []string{"purchaseCurrency", "purchaseExponent"})
		}
	}
	return &a, nil
}

// maxCReqChars bounds the creq field: a browser CReq is a few hundred characters.
const maxCReqChars = 4096

// DecodeBase64URL decodes base64url with or without padding; standard base64 characters are accepted
// too, because some 3DS Servers send them.
func DecodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}

// EncodeBase64URL encodes without padding, as the notes ask of everything Honnin emits.
func EncodeBase64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// DecodeCReq reads the creq form field: base64url JSON of a browser CReq.
func DecodeCReq(creq string) (*CReq, *Erro) {
	if creq == "" {
		return nil, NewErro(ErrMissing, "creq", "CReq", "")
	}
	if len(creq) > maxCReqChars {
		return nil, NewErro(ErrInvalidMessage, "creq is too long", "CReq", "")
	}
	data, err := DecodeBase64URL(creq)
	if err != nil {
		return nil, NewErro(ErrInvalidMessage, "creq is not base64url", "CReq", "")
	}
	m, e := readObject(data, "CReq")
	if e != nil {
		return nil, e
	}
	version, e := header(m, "CReq")
	if e != nil {
		return nil, e
	}
	checks := map[string]fieldCheck{
		"threeDSServerTransID": isUUID,
		"acsTransID":           isUUID,
		"challengeWindowSize":  oneOf("01", "02", "03", "04", "05"),
	}
	var missing, bad []string
	str := map[string]string{}
	for name, check := range checks {
		raw, ok := m[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil || !check(s) {
			bad = append(bad, name)
		}
		str[name] = s
	}
	with := func(e *Erro) *Erro {
		if isUUID(str["threeDSServerTransID"]) {
			e.ThreeDSServerTransID = str["threeDSServerTransID"]
		}
		if isUUID(str["acsTransID"]) {
			e.ACSTransID = str["acsTransID"]
		}
		return e
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, with(NewErro(ErrMissing, strings.Join(missing, ","), "CReq", version))
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, with(NewErro(ErrFormat, strings.Join(bad, ","), "CReq", version))
	}
	return &CReq{
		ThreeDSServerTransID: str["threeDSServerTransID"], ACSTransID: strings.ToLower(str["acsTransID"]),
		MessageType: "CReq", MessageVersion: version, ChallengeWindowSize: str["challengeWindowSize"],
	}, nil
}
