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

	"honnin/app/emv"
	"honnin/app/security"
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
func readObject(data []byte, msgType emv.MessageType) (map[string]json.RawMessage, *emv.Erro) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, newErro(emv.ErrInvalidMessage, "the message is not a JSON object", msgType, "")
	}
	// Strict validation also rejects duplicated names, in one pass without allocations: a well-formed
	// message (nearly every one) takes only this path. The slower walks below name what is wrong.
	if !jsontext.Value(trimmed).IsValid() {
		if !utf8.Valid(trimmed) {
			// JSON text is UTF-8 (RFC 8259); encoding/json would quietly turn the bytes into U+FFFD.
			return nil, newErro(emv.ErrInvalidMessage, "the message is not valid UTF-8", msgType, "")
		}
		if !json.Valid(trimmed) {
			return nil, newErro(emv.ErrInvalidMessage, "the message is not a JSON object", msgType, "")
		}
		if dup, err := duplicateKey(trimmed); err != nil {
			return nil, newErro(emv.ErrInvalidMessage, "the message is not a JSON object", msgType, "")
		} else if dup != "" {
			return nil, newErro(emv.ErrDuplicate, dup, msgType, "")
		}
		// Well-formed to encoding/json but not to the strict parser (an escaped lone surrogate).
		return nil, newErro(emv.ErrInvalidMessage, "the message is not valid JSON text", msgType, "")
	}
	m, err := members(trimmed)
	if err != nil {
		return nil, newErro(emv.ErrInvalidMessage, "the message is not a JSON object", msgType, "")
	}
	return m, nil
}

// members splits a JSON object that is already known to be valid, strict JSON into its members. The
// values are slices of data, not copies, and the names of the fields Honnin knows are its own strings:
// encoding/json's map decoding copied every value and name, and was half of an AReq's decoding.
func members(data []byte) (map[string]json.RawMessage, error) {
	// The names were checked for duplicates with the rest (jsontext.Value.IsValid); checking again
	// would only cost a set of names.
	dec := jsontext.NewDecoder(bytes.NewBuffer(data), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("not a JSON object")
	}
	m := make(map[string]json.RawMessage, len(areqStrings)+8)
	for dec.PeekKind() == '"' {
		name, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		key, ok := memberName(name)
		if !ok {
			return nil, errors.New("unreadable member name")
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		m[key] = json.RawMessage(data[end-len(v) : end : end])
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// knownNames are the member names the messages' decoders look up, so that reading one allocates nothing.
var knownNames = func() map[string]string {
	names := map[string]string{}
	for _, set := range []map[string]fieldCheck{areqStrings, acctInfoStrings} {
		for n := range set {
			names[n] = n
		}
	}
	for n := range areqBools {
		names[n] = n
	}
	for _, n := range []string{"messageType", "messageVersion", "acctInfo", "messageExtension", "acsTransID", "challengeWindowSize"} {
		names[n] = n
	}
	return names
}()

// memberName reads a quoted member name: escapes (rare) are decoded as encoding/json would.
func memberName(quoted []byte) (string, bool) {
	if n := len(quoted); n >= 2 && bytes.IndexByte(quoted[1:n-1], '\\') < 0 {
		if known, ok := knownNames[string(quoted[1:n-1])]; ok {
			return known, true
		}
		return string(quoted[1 : n-1]), true
	}
	var s string
	return s, json.Unmarshal(quoted, &s) == nil
}

// header reads messageType and messageVersion, which every message must carry before anything else
// can be judged.
func header(m map[string]json.RawMessage, want emv.MessageType) (version string, e *emv.Erro) {
	var mt string
	if raw, ok := m["messageType"]; !ok || json.Unmarshal(raw, &mt) != nil || emv.MessageType(mt) != want {
		return "", newErro(emv.ErrInvalidMessage, "messageType", want, "")
	}
	raw, ok := m["messageVersion"]
	if !ok {
		return "", newErro(emv.ErrMissing, "messageVersion", want, "")
	}
	if json.Unmarshal(raw, &version) != nil || version == "" {
		return "", newErro(emv.ErrFormat, "messageVersion", want, "")
	}
	if !supportedVersion(version) {
		return "", newErro(emv.ErrVersion, "messageVersion", want, "")
	}
	return version, nil
}

// fieldCheck is the format rule of one string field.
type fieldCheck func(string) bool

var (
	langRE = regexp.MustCompile(`^[A-Za-z]{1,3}(-[A-Za-z0-9]{1,8})*$`)
	tzRE   = regexp.MustCompile(`^[+-]?[0-9]{1,4}$`)
	hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$`)
)

// hasControl reports whether s holds a control character (C0, DEL or C1, escaped or not) other than
// a tab (which an HTTP header copied into browserAcceptHeader or browserUserAgent may carry): no AReq
// field may carry one, and PostgreSQL refuses NUL in text.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) >= 0
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hexadecimal form, either case. It runs on every
// message's IDs; a regular expression cost several times this loop.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func maxLen(n int) fieldCheck {
	return func(s string) bool { return utf8.RuneCountInString(s) <= n && utf8.ValidString(s) }
}

func digits(lo, hi int) fieldCheck {
	return func(s string) bool { return len(s) >= lo && len(s) <= hi && allDigits(s) }
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
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.User == nil && validHost(u.Host)
	}
}

// validHost reports whether a URL's host (with an optional port) holds only what a host name, an
// IPv4 address or a bracketed IPv6 address may: a URL's host goes into pages and the CSP, where a
// character such as ';' or a quote would change their meaning.
func validHost(hostport string) bool {
	host, port := hostport, ""
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		host, port = hostport[:i], hostport[i+1:]
		if n, err := strconv.Atoi(port); err != nil || !digits(1, 5)(port) || n > 65535 {
			return false
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		ip := net.ParseIP(host[1 : len(host)-1])
		return ip != nil && ip.To4() == nil
	}
	return hostRE.MatchString(host)
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
	"addrMatch":                         oneOf("Y", "N"),
	"cardholderName":                    maxLen(45),
	"email":                             maxLen(254),
}

// acctInfoStrings are the fields of the AReq's acctInfo object Honnin checks, with their formats.
var acctInfoStrings = map[string]fieldCheck{
	"chAccAgeInd":           oneOf("01", "02", "03", "04", "05"),
	"chAccChange":           yyyymmdd,
	"chAccChangeInd":        oneOf("01", "02", "03", "04"),
	"chAccDate":             yyyymmdd,
	"chAccPwChange":         yyyymmdd,
	"chAccPwChangeInd":      oneOf("01", "02", "03", "04", "05"),
	"nbPurchaseAccount":     digits(1, 4),
	"provisionAttemptsDay":  digits(1, 3),
	"txnActivityDay":        digits(1, 3),
	"txnActivityYear":       digits(1, 3),
	"shipAddressUsage":      yyyymmdd,
	"shipAddressUsageInd":   oneOf("01", "02", "03", "04"),
	"shipNameIndicator":     oneOf("01", "02"),
	"suspiciousAccActivity": oneOf("01", "02"),
}

func yyyymmdd(s string) bool {
	_, err := time.Parse("20060102", s)
	return len(s) == 8 && allDigits(s) && err == nil
}

// challengeInds210 are the threeDSRequestorChallengeInd values of 2.1.0; 05 to 09 came with 2.2.0.
var challengeInds210 = oneOf("01", "02", "03", "04")

// decodeAcctInfo reads the acctInfo object: the names of fields of the wrong type and of a wrong
// format are returned apart, as "acctInfo.<field>" (or "acctInfo" when it is no object).
func decodeAcctInfo(raw json.RawMessage) (info *emv.AcctInfo, badType, badFormat []string) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, []string{"acctInfo"}, nil
	}
	str := map[string]string{}
	for name, check := range acctInfoStrings {
		v, ok := m[name]
		if !ok {
			continue
		}
		s, ok := jsonString(v)
		if !ok {
			badType = append(badType, "acctInfo."+name)
			continue
		}
		str[name] = s
		if s == "" || !check(s) {
			badFormat = append(badFormat, "acctInfo."+name)
		}
	}
	return &emv.AcctInfo{
		ChAccAgeInd: str["chAccAgeInd"], ChAccChange: str["chAccChange"], ChAccChangeInd: str["chAccChangeInd"],
		ChAccDate: str["chAccDate"], ChAccPwChange: str["chAccPwChange"], ChAccPwChangeInd: str["chAccPwChangeInd"],
		NbPurchaseAccount: str["nbPurchaseAccount"], ProvisionAttemptsDay: str["provisionAttemptsDay"],
		TxnActivityDay: str["txnActivityDay"], TxnActivityYear: str["txnActivityYear"], ShipAddressUsage: str["shipAddressUsage"],
		ShipAddressUsageInd: str["shipAddressUsageInd"], ShipNameIndicator: str["shipNameIndicator"],
		SuspiciousAccActivity: str["suspiciousAccActivity"],
	}, badType, badFormat
}

// areqBools are the AReq's boolean fields.
var areqBools = map[string]bool{"browserJavaEnabled": true, "browserJavascriptEnabled": true}

// requiredAReq lists the fields an AReq of this version, category and channel must carry.
func requiredAReq(version, category, channel string, jsEnabled bool) []string {
	// Room for the longest list at once: growing it took three allocations per AReq.
	req := append(make([]string, 0, 36), "threeDSServerTransID", "dsTransID", "dsReferenceNumber", "threeDSServerRefNumber",
		"threeDSServerURL", "threeDSRequestorID", "threeDSRequestorName", "threeDSRequestorURL", "acctNumber",
		"cardExpiryDate", "messageCategory", "deviceChannel")
	if category == "01" {
		req = append(req, "acquirerBIN", "acquirerMerchantID", "mcc", "merchantCountryCode", "merchantName",
			"purchaseAmount", "purchaseCurrency", "purchaseExponent", "purchaseDate")
	}
	if channel != "02" {
		return req
	}
	req = append(req, "threeDSCompInd", "notificationURL", "browserAcceptHeader", "browserLanguage", "browserUserAgent")
	screen := []string{"browserJavaEnabled", "browserColorDepth", "browserScreenHeight", "browserScreenWidth", "browserTZ"}
	if version == emv.V210 {
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

// decodeAReq reads and validates an AReq. Every defect is returned as the Erro to answer with.
// echoIDs gives e the transaction IDs the message m carried, when they are well formed.
func echoIDs(m map[string]json.RawMessage, e *emv.Erro) *emv.Erro {
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

// refusalFor is the Erro 403 for an AReq refused before it is decoded (the ACS is past its maximum):
// only the message is read, not its fields checked, so that the refusal costs about half a decoding,
// and it names the AReq's transaction and version when the message carries them well formed.
func refusalFor(data []byte, detail string) *emv.Erro {
	m, e := readObject(data, emv.TypeAReq)
	if e != nil {
		return newErro(emv.ErrTransientFailure, detail, emv.TypeAReq, "")
	}
	version, _ := header(m, emv.TypeAReq)
	return echoIDs(m, newErro(emv.ErrTransientFailure, detail, emv.TypeAReq, version))
}

func decodeAReq(data []byte) (*emv.AReq, *emv.Erro) {
	m, e := readObject(data, emv.TypeAReq)
	if e != nil {
		return nil, e
	}
	ids := func(e *emv.Erro) *emv.Erro { return echoIDs(m, e) }
	version, e := header(m, emv.TypeAReq)
	if e != nil {
		return nil, ids(e)
	}
	fail := func(code emv.ErrorCode, fields []string) (*emv.AReq, *emv.Erro) {
		sort.Strings(fields)
		return nil, ids(newErro(code, strings.Join(fields, ","), emv.TypeAReq, version))
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
	if ind, ok := str["threeDSRequestorChallengeInd"]; ok && version == emv.V210 && !challengeInds210(ind) {
		badFormat = append(badFormat, "threeDSRequestorChallengeInd")
	}
	var acctInfo *emv.AcctInfo
	if raw, ok := m["acctInfo"]; ok {
		info, typ, format := decodeAcctInfo(raw)
		acctInfo, badType, badFormat = info, append(badType, typ...), append(badFormat, format...)
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
					return fail(emv.ErrCriticalExt, []string{"messageExtension"})
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
		return fail(emv.ErrMissing, missing)
	}
	if bad := append(badType, badFormat...); len(bad) > 0 {
		return fail(emv.ErrFormat, bad)
	}
	// The message is built from the validated fields only: a name that differs from a field's in case
	// (a decoder matching names case-insensitively would take it) is an unknown field, ignored.
	a := emv.AReq{
		ThreeDSServerTransID: str["threeDSServerTransID"], DSTransID: str["dsTransID"], DSReferenceNumber: str["dsReferenceNumber"],
		ThreeDSServerRefNumber: str["threeDSServerRefNumber"], ThreeDSServerURL: str["threeDSServerURL"],
		ThreeDSRequestorID: str["threeDSRequestorID"], ThreeDSRequestorName: str["threeDSRequestorName"],
		ThreeDSRequestorURL: str["threeDSRequestorURL"], ThreeDSRequestorChallengeInd: str["threeDSRequestorChallengeInd"],
		ThreeDSCompInd: str["threeDSCompInd"], AcquirerBIN: str["acquirerBIN"], AcquirerMerchantID: str["acquirerMerchantID"],
		AcctNumber: security.PAN(str["acctNumber"]), CardExpiryDate: str["cardExpiryDate"], MCC: str["mcc"],
		MerchantCountryCode: str["merchantCountryCode"], MerchantName: str["merchantName"], PurchaseAmount: str["purchaseAmount"],
		PurchaseCurrency: str["purchaseCurrency"], PurchaseExponent: str["purchaseExponent"], PurchaseDate: str["purchaseDate"],
		NotificationURL: str["notificationURL"], BrowserAcceptHeader: str["browserAcceptHeader"], BrowserIP: str["browserIP"],
		BrowserLanguage: str["browserLanguage"], BrowserColorDepth: str["browserColorDepth"],
		BrowserScreenHeight: str["browserScreenHeight"], BrowserScreenWidth: str["browserScreenWidth"], BrowserTZ: str["browserTZ"],
		BrowserUserAgent: str["browserUserAgent"], MessageCategory: str["messageCategory"], MessageType: emv.TypeAReq,
		MessageVersion: version, DeviceChannel: str["deviceChannel"], AddrMatch: str["addrMatch"], AcctInfo: acctInfo,
	}
	if b, ok := bools["browserJavaEnabled"]; ok {
		a.BrowserJavaEnabled = &b
	}
	// 2.2.0-only fields in a 2.1.0 message are ignored.
	if version == emv.V220 {
		a.DSURL, a.ThreeDSRequestorAuthenticationInd = str["dsURL"], str["threeDSRequestorAuthenticationInd"]
		if jsGiven {
			a.BrowserJavascriptEnabled = &jsEnabled
		}
	}
	if a.MessageCategory == "01" {
		if exp, ok := knownCurrencyExponents[a.PurchaseCurrency]; ok && exp != a.PurchaseExponent {
			return fail(emv.ErrTransData, []string{"purchaseCurrency", "purchaseExponent"})
		}
	}
	return &a, nil
}

// maxCReqChars bounds the creq field: a browser CReq is a few hundred characters.
const maxCReqChars = 4096

// decodeBase64URL decodes base64url with or without padding; standard base64 characters are accepted
// too, because some 3DS Servers send them.
func decodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}

// encodeBase64URL encodes without padding, as the notes ask of everything Honnin emits.
func encodeBase64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// decodeCReq reads the creq form field: base64url JSON of a browser CReq.
func decodeCReq(creq string) (*emv.CReq, *emv.Erro) {
	if creq == "" {
		return nil, newErro(emv.ErrMissing, "creq", emv.TypeCReq, "")
	}
	if len(creq) > maxCReqChars {
		return nil, newErro(emv.ErrInvalidMessage, "creq is too long", emv.TypeCReq, "")
	}
	data, err := decodeBase64URL(creq)
	if err != nil {
		return nil, newErro(emv.ErrInvalidMessage, "creq is not base64url", emv.TypeCReq, "")
	}
	m, e := readObject(data, emv.TypeCReq)
	if e != nil {
		return nil, e
	}
	version, e := header(m, emv.TypeCReq)
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
	with := func(e *emv.Erro) *emv.Erro {
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
		return nil, with(newErro(emv.ErrMissing, strings.Join(missing, ","), emv.TypeCReq, version))
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, with(newErro(emv.ErrFormat, strings.Join(bad, ","), emv.TypeCReq, version))
	}
	return &emv.CReq{
		ThreeDSServerTransID: str["threeDSServerTransID"], ACSTransID: strings.ToLower(str["acsTransID"]),
		MessageType: emv.TypeCReq, MessageVersion: version, ChallengeWindowSize: str["challengeWindowSize"],
	}, nil
}
