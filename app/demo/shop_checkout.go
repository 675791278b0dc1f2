package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

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
	JSEnabled                               bool
	ScreenWidth, ScreenHeight, ColorDepth   string
	TZ, Language                            string
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
)

// checkout builds the AReq, sends it to the ACS, and opens the challenge or shows the outcome.
func (s *Shop) checkout(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	f := CheckoutForm{
		Card: c.FormValue("card"), Amount: strings.TrimSpace(c.FormValue("amount")), Currency: c.FormValue("currency"),
		Window: c.FormValue("window"), Version: c.FormValue("version"), JSEnabled: c.FormValue("jsEnabled") == "true",
		ScreenWidth: c.FormValue("screenWidth"), ScreenHeight: c.FormValue("screenHeight"), ColorDepth: c.FormValue("colorDepth"),
		TZ: c.FormValue("tz"), Language: c.FormValue("language"),
	}
	b := Browser{UserAgent: r.UserAgent(), Accept: r.Header.Get("Accept"), AcceptLanguage: r.Header.Get("Accept-Language"), IP: c.RealIP()}
	shopBase := c.Scheme() + "://" + r.Host
	p, err := s.Checkout(ctx, f, b, shopBase, i18n.FromContext(ctx))
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
	if p.Challenge == nil {
		return c.Redirect(http.StatusSeeOther, "/demo/shop/result/"+p.TransID)
	}
	setShopCSP(c, p.Challenge.ACSURL)
	return views.Render(c, http.StatusOK, viewdemo.Challenge(*p.Challenge))
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
	Challenge *viewdemo.ChallengePage // nil when the ARes was final
}

// Checkout plays the 3DS Server: it builds a real AReq from the form and the browser, sends it to the
// ACS at the configured base URL, records the ARes, and returns the challenge to open (if any).
func (s *Shop) Checkout(ctx context.Context, f CheckoutForm, b Browser, shopBase string, l i18n.Locale) (Purchase, error) {
	idx, err := strconv.Atoi(f.Card)
	if err != nil || idx < 0 || idx >= len(Cards) {
		return Purchase{}, &i18n.FieldError{Field: "card", Key: "demo.error.card"}
	}
	card := Cards[idx]
	if f.Currency != "USD" {
		f.Currency = "JPY"
	}
	amount, currency, exponent, ok := minorUnits(f.Amount, f.Currency)
	if !ok {
		return Purchase{}, &i18n.FieldError{Field: "amount", Key: "demo.error.amount"}
	}
	if !map[string]bool{"01": true, "02": true, "03": true, "04": true, "05": true}[f.Window] {
		f.Window = "03"
	}
	version := "2.2.0"
	if f.Version == "2.1.0" {
		version = "2.1.0"
	}
	tx := uuid.NewString()
	areq := map[string]any{
		"threeDSServerTransID":   tx,
		"dsTransID":              uuid.NewString(),
		"dsReferenceNumber":      "HONNIN-DEMO-DS",
		"threeDSServerRefNumber": "HONNIN-DEMO-3DSS",
		"threeDSServerURL":       shopBase + "/demo/shop",
		"threeDSRequestorID":     "HONNIN-DEMO-SHOP",
		"threeDSRequestorName":   "Honnin Demo Shop",
		"threeDSRequestorURL":    shopBase + "/demo/shop",
		"threeDSCompInd":         "U",
		"acquirerBIN":            "999999",
		"acquirerMerchantID":     "DEMO-0001",
		"acctNumber":             card.PAN,
		"cardExpiryDate":         demoExpiry(card.PAN),
		"mcc":                    "5499",
		"merchantCountryCode":    "392",
		"merchantName":           i18n.Tr(l, "demo.shop_name"),
		"purchaseAmount":         amount,
		"purchaseCurrency":       currency,
		"purchaseExponent":       exponent,
		"purchaseDate":           time.Now().UTC().Format("20060102150405"),
		"notificationURL":        shopBase + "/demo/shop/notify",
		"browserAcceptHeader":    orDefault(security.Truncate(b.Accept, 2048), "text/html"),
		"browserUserAgent":       orDefault(security.Truncate(b.UserAgent, 2048), "unknown"),
		"browserLanguage":        browserLanguage(f.Language, b.AcceptLanguage, l),
		"messageCategory":        "01",
		"messageType":            "AReq",
		"messageVersion":         version,
		"deviceChannel":          "02",
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
		areq["threeDSRequestorChallengeInd"] = "01"
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
		AResStatus: string(answer.TransStatus), AResReason: string(answer.TransStatusReason)}
	if err := s.DB.WithContext(ctx).Create(&row).Error; err != nil {
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
	body, err := json.Marshal(areq)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Config.BaseURL+"/3ds/areq", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("ACS answered HTTP %d", resp.StatusCode)
	}
	var a emv.ARes
	erro, err := readAnswer(data, &a)
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
