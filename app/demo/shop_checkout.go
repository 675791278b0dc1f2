package demo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/emv"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewdemo "honnin/views/demo"
)

// CheckoutForm is what the shopper chose, plus what the page's script read from the browser.
type CheckoutForm struct {
	Card, Amount, Currency, Window, Version string
	// The risk controls: ship to an address the shop never shipped to for this account, the shop's
	// country (ISO 3166 numeric), the requestor's threeDSRequestorChallengeInd, and a fresh browser
	// (the shop skips the 3DS Method, so the ACS has no device data).
	NewAddress      bool
	MerchantCountry string
	ChallengeInd    string
	FreshBrowser    bool

	JSEnabled                             bool
	ScreenWidth, ScreenHeight, ColorDepth string
	TZ, Language                          string
}

// MerchantCountries are the shop's countries the form offers (ISO 3166 numeric), Japan first.
var MerchantCountries = []string{"392", "840", "826", "410"}

// ChallengeInds are the threeDSRequestorChallengeInd values the form offers; 2.1.0 knows 01 to 04.
var ChallengeInds = []string{"01", "02", "03", "04", "05", "06", "07", "08", "09"}

// readForm reads the checkout form (also carried through the 3DS Method page).
func readForm(c echo.Context) CheckoutForm {
	return CheckoutForm{
		Card: c.FormValue("card"), Amount: strings.TrimSpace(c.FormValue("amount")), Currency: c.FormValue("currency"),
		Window: c.FormValue("window"), Version: c.FormValue("version"),
		NewAddress: c.FormValue("newAddress") == "true", MerchantCountry: c.FormValue("merchantCountry"),
		ChallengeInd: c.FormValue("challengeInd"), FreshBrowser: c.FormValue("freshBrowser") == "true",
		JSEnabled:   c.FormValue("jsEnabled") == "true",
		ScreenWidth: c.FormValue("screenWidth"), ScreenHeight: c.FormValue("screenHeight"), ColorDepth: c.FormValue("colorDepth"),
		TZ: c.FormValue("tz"), Language: c.FormValue("language"),
	}
}

// hiddenFields are the form's values as the 3DS Method page carries them to the AReq step.
func (f CheckoutForm) hiddenFields() []viewdemo.Hidden {
	flag := strconv.FormatBool
	pairs := [][2]string{{"card", f.Card}, {"amount", f.Amount}, {"currency", f.Currency}, {"window", f.Window},
		{"version", f.Version}, {"newAddress", flag(f.NewAddress)}, {"merchantCountry", f.MerchantCountry},
		{"challengeInd", f.ChallengeInd}, {"freshBrowser", flag(f.FreshBrowser)}, {"jsEnabled", flag(f.JSEnabled)},
		{"screenWidth", f.ScreenWidth}, {"screenHeight", f.ScreenHeight}, {"colorDepth", f.ColorDepth},
		{"tz", f.TZ}, {"language", f.Language}}
	out := make([]viewdemo.Hidden, len(pairs))
	for i, p := range pairs {
		out[i] = viewdemo.Hidden{Name: p[0], Value: p[1]}
	}
	return out
}

// Browser is what the shop's server sees of the browser.
type Browser struct {
	UserAgent, Accept, AcceptLanguage, IP string
}

var (
	amountRE = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)
	smallRE  = regexp.MustCompile(`^[0-9]{1,6}$`)
	tzRE     = regexp.MustCompile(`^-?[0-9]{1,4}$`)
	langRE   = regexp.MustCompile(`^[A-Za-z]{1,3}(-[A-Za-z0-9]{1,4})?$`)
	uuidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// checkout starts a purchase: the 3DS Method first when the card's range names one, else the AReq.
func (s *Shop) checkout(c echo.Context) error {
	return s.purchase(c, "")
}

// authenticate goes on with a purchase after the 3DS Method page: the AReq, then the challenge or the
// outcome.
func (s *Shop) authenticate(c echo.Context) error {
	tx := c.FormValue("tx")
	if !uuidRE.MatchString(tx) {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	return s.purchase(c, tx)
}

// purchase runs Checkout (tx empty) or Continue (tx from the 3DS Method page) and shows what comes next.
func (s *Shop) purchase(c echo.Context, tx string) error {
	r := c.Request()
	ctx := r.Context()
	f := readForm(c)
	b := Browser{UserAgent: r.UserAgent(), Accept: r.Header.Get("Accept"), AcceptLanguage: r.Header.Get("Accept-Language"), IP: c.RealIP()}
	shopBase := c.Scheme() + "://" + r.Host
	var p Purchase
	var err error
	if tx == "" {
		p, err = s.Checkout(ctx, f, b, shopBase, i18n.FromContext(ctx))
	} else {
		p, err = s.Continue(ctx, f, b, shopBase, i18n.FromContext(ctx), tx)
	}
	var fe *i18n.FieldError
	switch {
	case errors.As(err, &fe):
		return views.Render(c, http.StatusUnprocessableEntity, viewdemo.Shop(s.shopPage(ctx, f, i18n.Problems{fe.Field: fe.Key}, "")))
	case errors.As(err, new(*acsProblem)):
		var ap *acsProblem
		errors.As(err, &ap)
		return views.Render(c, http.StatusBadGateway, viewdemo.Shop(s.shopPage(ctx, f, nil, ap.key, ap.args...)))
	case err != nil:
		return err
	}
	switch {
	case p.Method != nil:
		setShopCSP(c, p.Method.MethodURL)
		return views.Render(c, http.StatusOK, viewdemo.Method(*p.Method))
	case p.Challenge != nil:
		setShopCSP(c, p.Challenge.ACSURL)
		return views.Render(c, http.StatusOK, viewdemo.Challenge(*p.Challenge))
	}
	return c.Redirect(http.StatusSeeOther, "/demo/shop/result/"+p.TransID)
}

// acsProblem is a failure talking to the ACS, for the shop page.
type acsProblem struct {
	key  string
	args []any
}

func (e *acsProblem) Error() string { return e.key }

// Purchase is what Checkout started.
type Purchase struct {
	TransID   string
	Method    *viewdemo.MethodPage    // the 3DS Method to run before the AReq; nil when the AReq went
	Challenge *viewdemo.ChallengePage // nil when the ARes was final
}

// order is a checkout form that passed validation.
type order struct {
	card                       DemoCard
	amount, currency, exponent string
	version                    string
}

// validate checks the form and settles its defaults in f.
func validate(f *CheckoutForm) (order, error) {
	idx, err := strconv.Atoi(f.Card)
	if err != nil || idx < 0 || idx >= len(Cards) {
		return order{}, &i18n.FieldError{Field: "card", Key: "demo.error.card"}
	}
	if f.Currency != "USD" {
		f.Currency = "JPY"
	}
	amount, currency, exponent, ok := minorUnits(f.Amount, f.Currency)
	if !ok {
		return order{}, &i18n.FieldError{Field: "amount", Key: "demo.error.amount"}
	}
	if !slices.Contains([]string{"01", "02", "03", "04", "05"}, f.Window) {
		f.Window = "03"
	}
	if f.Version != "2.1.0" {
		f.Version = "2.2.0"
	}
	if !slices.Contains(MerchantCountries, f.MerchantCountry) {
		f.MerchantCountry = MerchantCountries[0]
	}
	if !slices.Contains(ChallengeInds, f.ChallengeInd) {
		f.ChallengeInd = "01"
	}
	if f.Version == "2.1.0" && f.ChallengeInd > "04" {
		return order{}, &i18n.FieldError{Field: "challengeInd", Key: "demo.error.challenge_ind"}
	}
	return order{card: Cards[idx], amount: amount, currency: currency, exponent: exponent, version: f.Version}, nil
}

// Checkout plays the 3DS Server: it finds the card's range in the Directory Server's card ranges and,
// when the range names a threeDSMethodURL, returns the 3DS Method to run first; otherwise it sends the
// AReq at once (threeDSCompInd U, or N for a fresh browser whose method the shop skips).
func (s *Shop) Checkout(ctx context.Context, f CheckoutForm, b Browser, shopBase string, l i18n.Locale) (Purchase, error) {
	o, err := validate(&f)
	if err != nil {
		return Purchase{}, err
	}
	tx := uuid.NewString()
	r, ok := s.cardRange(ctx, o.card.PAN)
	switch {
	case !ok || r.ThreeDSMethodURL == "":
		return s.sendPurchase(ctx, o, f, b, shopBase, l, tx, "U")
	case f.FreshBrowser:
		return s.sendPurchase(ctx, o, f, b, shopBase, l, tx, "N")
	}
	data, _ := json.Marshal(map[string]string{"threeDSServerTransID": tx, "threeDSMethodNotificationURL": shopBase + "/demo/shop/method-notify"})
	return Purchase{TransID: tx, Method: &viewdemo.MethodPage{MethodURL: r.ThreeDSMethodURL,
		MethodData: base64.RawURLEncoding.EncodeToString(data), TransID: tx, Fields: f.hiddenFields()}}, nil
}

// Continue sends the AReq of a purchase whose 3DS Method page ran: threeDSCompInd Y when the ACS's
// page posted back to the shop, N when it did not in time. A purchase that already has its ARes is
// not sent again.
func (s *Shop) Continue(ctx context.Context, f CheckoutForm, b Browser, shopBase string, l i18n.Locale, tx string) (Purchase, error) {
	o, err := validate(&f)
	if err != nil {
		return Purchase{}, err
	}
	var row db.DemoResult
	err = s.DB.WithContext(ctx).Where("three_ds_server_trans_id = ?", tx).Take(&row).Error
	switch {
	case err == nil && row.ACSTransID != "":
		return Purchase{TransID: tx}, nil
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
		return Purchase{}, err
	}
	compInd := "N"
	if row.MethodAt != nil {
		compInd = "Y"
	}
	return s.sendPurchase(ctx, o, f, b, shopBase, l, tx, compInd)
}

// sendPurchase builds a real AReq from the form and the browser, sends it to the ACS at the configured
// base URL, records the ARes, and returns the challenge to open (if any).
func (s *Shop) sendPurchase(ctx context.Context, o order, f CheckoutForm, b Browser, shopBase string, l i18n.Locale, tx, compInd string) (Purchase, error) {
	card, amount, currency, exponent, version := o.card, o.amount, o.currency, o.exponent, o.version
	areq := map[string]any{
		"threeDSServerTransID":         tx,
		"dsTransID":                    uuid.NewString(),
		"dsReferenceNumber":            "HONNIN-DEMO-DS",
		"threeDSServerRefNumber":       "HONNIN-DEMO-3DSS",
		"threeDSServerURL":             shopBase + "/demo/shop",
		"threeDSRequestorID":           "HONNIN-DEMO-SHOP",
		"threeDSRequestorName":         "Honnin Demo Shop",
		"threeDSRequestorURL":          shopBase + "/demo/shop",
		"threeDSCompInd":               compInd,
		"acquirerBIN":                  "999999",
		"acquirerMerchantID":           "DEMO-0001",
		"acctNumber":                   card.PAN,
		"cardExpiryDate":               demoExpiry(card.PAN),
		"mcc":                          "5499",
		"merchantCountryCode":          f.MerchantCountry,
		"merchantName":                 i18n.Tr(l, "demo.shop_name"),
		"purchaseAmount":               amount,
		"purchaseCurrency":             currency,
		"purchaseExponent":             exponent,
		"purchaseDate":                 time.Now().UTC().Format("20060102150405"),
		"notificationURL":              shopBase + "/demo/shop/notify",
		"browserAcceptHeader":          orDefault(security.Truncate(b.Accept, 2048), "text/html"),
		"browserUserAgent":             orDefault(security.Truncate(b.UserAgent, 2048), "unknown"),
		"browserLanguage":              browserLanguage(f.Language, b.AcceptLanguage, l),
		"threeDSRequestorChallengeInd": f.ChallengeInd,
		"messageCategory":              "01",
		"messageType":                  "AReq",
		"messageVersion":               version,
		"deviceChannel":                "02",
	}
	// The shop's account is old; the shipping address is the billing address unless the shopper ships
	// to a new one.
	if f.NewAddress {
		areq["addrMatch"] = "N"
		areq["acctInfo"] = map[string]string{"chAccAgeInd": "05", "shipAddressUsageInd": "01"}
	} else {
		areq["addrMatch"] = "Y"
		areq["acctInfo"] = map[string]string{"chAccAgeInd": "05", "shipAddressUsageInd": "04"}
	}
	if len(b.IP) <= 45 && b.IP != "" {
		areq["browserIP"] = b.IP
	}
	screen := map[string]any{
		"browserJavaEnabled":  false,
		"browserColorDepth":   colorDepth(f.ColorDepth),
		"browserScreenHeight": orDefault(match(smallRE, f.ScreenHeight), "768"),
		"browserScreenWidth":  orDefault(match(smallRE, f.ScreenWidth), "1024"),
		"browserTZ":           orDefault(match(tzRE, f.TZ), "-540"),
	}
	if version == "2.2.0" {
		areq["browserJavascriptEnabled"] = f.JSEnabled
		areq["threeDSRequestorAuthenticationInd"] = "01"
		if f.JSEnabled {
			for k, v := range screen {
				areq[k] = v
			}
		}
	} else {
		for k, v := range screen {
			areq[k] = v
		}
	}

	answer, erro, err := s.sendAReq(ctx, areq)
	if err != nil {
		s.Log.Warn("demo shop: AReq failed", "err", err.Error())
		return Purchase{}, &acsProblem{key: "demo.error.acs"}
	}
	if erro != nil {
		return Purchase{}, &acsProblem{key: "demo.error.erro", args: []any{string(erro.ErrorCode), erro.ErrorDetail}}
	}
	if answer.MessageType != emv.TypeARes || answer.ThreeDSServerTransID != tx {
		return Purchase{}, &acsProblem{key: "demo.error.acs"}
	}
	exp, _ := strconv.Atoi(exponent)
	row := db.DemoResult{ThreeDSServerTransID: tx, ACSTransID: answer.ACSTransID, Last4: card.PAN[len(card.PAN)-4:],
		Amount: amount, Currency: f.Currency, Exponent: exp, MerchantName: i18n.Tr(l, "demo.shop_name"),
		AResStatus: string(answer.TransStatus), AResReason: string(answer.TransStatusReason), CompInd: compInd,
		ECI: string(answer.ECI), AuthenticationValue: answer.AuthenticationValue}
	// The row may exist already: the 3DS Method's notification made it.
	err = s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "three_ds_server_trans_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"acs_trans_id", "last4", "amount", "currency", "exponent", "merchant_name",
			"ares_status", "ares_reason", "comp_ind", "eci", "authentication_value", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return Purchase{}, err
	}
	if answer.TransStatus != emv.StatusC {
		return Purchase{TransID: tx}, nil
	}
	creq, _ := json.Marshal(map[string]string{"threeDSServerTransID": tx, "acsTransID": answer.ACSTransID,
		"messageType": "CReq", "messageVersion": version, "challengeWindowSize": f.Window})
	return Purchase{TransID: tx, Challenge: &viewdemo.ChallengePage{
		ACSURL: answer.ACSURL, CReq: base64.RawURLEncoding.EncodeToString(creq),
		SessionData: sessionData(tx), Window: f.Window,
	}}, nil
}

// sessionData is the threeDSSessionData the shop sends with the CReq and expects back with the CRes.
func sessionData(tx string) string { return base64.RawURLEncoding.EncodeToString([]byte("demo:" + tx)) }

// sendAReq posts an AReq to the ACS and returns its ARes, or the Erro it answered with.
func (s *Shop) sendAReq(ctx context.Context, areq map[string]any) (*emv.ARes, *emv.Erro, error) {
	var a emv.ARes
	erro, err := s.exchange(ctx, s.Config.BaseURL+"/3ds/areq", areq, &a, 64<<10)
	if err != nil || erro != nil {
		return nil, erro, err
	}
	return &a, nil, nil
}

// minorUnits turns "5000" JPY or "12.34" USD into purchaseAmount, purchaseCurrency and purchaseExponent.
func minorUnits(amount, currency string) (string, string, string, bool) {
	if !amountRE.MatchString(amount) {
		return "", "", "", false
	}
	whole, frac, hasFrac := strings.Cut(amount, ".")
	if currency == "JPY" {
		if hasFrac {
			return "", "", "", false
		}
		v := strings.TrimLeft(whole, "0")
		if v == "" {
			return "", "", "", false
		}
		return v, "392", "0", true
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v := strings.TrimLeft(whole+frac, "0")
	if v == "" {
		return "", "", "", false
	}
	return v, "840", "2", true
}

func browserLanguage(fromScript, acceptLanguage string, l i18n.Locale) string {
	if langRE.MatchString(fromScript) && len(fromScript) <= 8 {
		return fromScript
	}
	first, _, _ := strings.Cut(acceptLanguage, ",")
	first, _, _ = strings.Cut(strings.TrimSpace(first), ";")
	if langRE.MatchString(first) && len(first) <= 8 {
		return first
	}
	return string(l)
}

func colorDepth(v string) string {
	switch v {
	case "1", "4", "8", "15", "16", "24", "32", "48":
		return v
	case "30":
		return "32"
	}
	return "24"
}

func match(re *regexp.Regexp, v string) string {
	if re.MatchString(v) {
		return v
	}
	return ""
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

// setShopCSP lets the shop's page frame the ACS and post the creq to it.
func setShopCSP(c echo.Context, acsURL string) {
	acs := []string{"'self'"}
	if u, err := url.Parse(acsURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		acs = append(acs, u.Scheme+"://"+u.Host)
	}
	c.Response().Header().Set("Content-Security-Policy", security.CSP{FrameSrc: acs, FormAction: acs}.String())
}
