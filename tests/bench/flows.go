package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// browser is a cookie-keeping client, one per simulated person. Its cookies are its own; its
// connections come from shoppers, which keeps idle more than the climbs' 16 concurrent shoppers need:
// http.DefaultTransport keeps 2 a host, so that from the third shopper on, requests closed
// connections and dialled new ones, and the server and the bench paid for the churn.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: shoppers}
}

// shoppers drops a connection idle for a minute, before the server's 2 minutes do: a POST is not
// sent again on a connection the server closed under it.
var shoppers = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}

func fetch(ctx context.Context, c *http.Client, method, u string, form url.Values) (string, *http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp, err
}

// portalLogin is one member logging in: the login page, the form post, the page after it. Every run
// is the same member (tanaka04a): each login stamps the member's row, so the logins queue on it.
func (env *environment) portalLogin(ctx context.Context, _ int) error {
	_, err := env.logIn(ctx, "tanaka04a", "tanaka-jcb-01")
	return err
}

// spreadPortalLogin is portalLogin by a member drawn from the population each run.
func (env *environment) spreadPortalLogin(ctx context.Context, _ int) error {
	_, err := env.logIn(ctx, env.cardLogins[rand.IntN(len(env.cardLogins))], benchPassword)
	return err
}

// benchPassword is yamada01's, which the bench's cards' members share.
const benchPassword = "fuji-san-2026"

// logIn logs a member in to the portal and returns the browser holding the session.
func (env *environment) logIn(ctx context.Context, loginID, password string) (*http.Client, error) {
	c := browser()
	page, _, err := fetch(ctx, c, http.MethodGet, env.BaseURL+"/login", nil)
	if err != nil {
		return nil, err
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("login page without a CSRF token")
	}
	form := url.Values{"_csrf": {html.UnescapeString(m[1])}, "login_id": {loginID}, "password": {password}}
	_, resp, err := fetch(ctx, c, http.MethodPost, env.BaseURL+"/login", form)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/my" {
		return nil, fmt.Errorf("login ended at %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return c, nil
}

var hiddenField = regexp.MustCompile(`name="(acsTransID|token|try|cres)" value="([^"]*)"`)

func hiddenFields(page string) map[string]string {
	out := map[string]string{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// challengeRoundTrip is one shopper's whole challenge on a random bench card, all of which the default
// phases give to yamada01: every answer is the one member's.
func (env *environment) challengeRoundTrip(ctx context.Context, _ int) error {
	return env.challengeOf(ctx, env.CardPANs[rand.IntN(len(env.CardPANs))], "yamada01")
}

// spreadChallengeRoundTrip is a challenge on a random bench card answered by its own member, once the
// population spread the cards over members of two cards each: as a Directory Server's traffic comes.
func (env *environment) spreadChallengeRoundTrip(ctx context.Context, _ int) error {
	i := rand.IntN(len(env.CardPANs))
	return env.challengeOf(ctx, env.CardPANs[i], env.cardLogins[i])
}

// challengeOf is one shopper's whole challenge: the AReq (as the Directory Server), the CReq (as the
// shop's page), the challenge page, the password submit with loginID, and the final page with the CRes.
func (env *environment) challengeOf(ctx context.Context, pan, loginID string) error {
	c := browser()
	// The requestor mandates the challenge: a card drawn twice would otherwise pass frictionless from
	// the browser its first challenge made known.
	ares, err := env.expectChallenge(env.postAReq(ctx, c, mandated(env.areqBody(pan))))
	if err != nil {
		return err
	}
	acsURL := ares.ACSURL
	creq, _ := json.Marshal(map[string]string{
		"threeDSServerTransID": ares.ThreeDSServerTransID, "acsTransID": ares.ACSTransID,
		"messageType": "CReq", "messageVersion": "2.2.0", "challengeWindowSize": "05",
	})
	page, _, err := fetch(ctx, c, http.MethodPost, acsURL, url.Values{"creq": {base64.RawURLEncoding.EncodeToString(creq)}})
	if err != nil {
		return err
	}
	f := hiddenFields(page)
	if f["token"] == "" {
		return fmt.Errorf("challenge page without its form")
	}
	final, _, err := fetch(ctx, c, http.MethodPost, env.BaseURL+"/3ds/challenge/submit", url.Values{
		"acsTransID": {f["acsTransID"]}, "token": {f["token"]},
		"loginID": {loginID}, "password": {benchPassword}, "action": {"submit"},
	})
	if err != nil {
		return err
	}
	raw, err := base64.RawURLEncoding.DecodeString(hiddenFields(final)["cres"])
	if err != nil {
		return fmt.Errorf("final page without a CRes")
	}
	var cres map[string]any
	if err := json.Unmarshal(raw, &cres); err != nil || cres["transStatus"] != "Y" {
		return fmt.Errorf("CRes %s", raw)
	}
	return nil
}
