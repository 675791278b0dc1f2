package tests

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestLandingPageInBothLanguages(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.URL)
		u.Get("/")
		if u.Status != http.StatusOK {
			t.Fatalf("GET / = %d", u.Status)
		}
		testkit.Contains(t, u.Text(), "My日専連静岡へようこそ", "日専連静岡", "ログイン", "English")
		testkit.Contains(t, u.Last, `lang="ja"`)

		u.Get("/?lang=en")
		testkit.Contains(t, u.Text(), "Welcome to My Nissenren Shizuoka", "Log in", "日本語")
		testkit.Contains(t, u.Last, `lang="en"`)
		// The choice is remembered.
		u.Get("/")
		testkit.Contains(t, u.Text(), "Welcome to")

		// Without a choice, Accept-Language decides.
		other := testkit.NewUser(t, app.URL)
		other.Lang = "en-US,en;q=0.9"
		other.Get("/")
		testkit.Contains(t, other.Text(), "Welcome to")
	})
}

func TestSecurityHeaders(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	resp, err := http.Get(app.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain http")
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no request ID")
	}
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly=%v SameSite=%v", c.Name, c.HttpOnly, c.SameSite)
		}
	}
}

func TestFriendlyErrorPages(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	e := app.Server.Public().(*echo.Echo)
	e.GET("/test/panic", func(echo.Context) error { panic("boom: internal detail") })

	u := testkit.NewUser(t, app.URL)
	u.Get("/no/such/page")
	if u.Status != http.StatusNotFound {
		t.Errorf("unknown route = %d", u.Status)
	}
	testkit.Contains(t, u.Text(), "ページが見つかりません", "お探しのページは見つかりませんでした", "トップページへ戻る")

	u.Get("/test/panic?lang=en")
	if u.Status != http.StatusInternalServerError {
		t.Errorf("panic = %d", u.Status)
	}
	testkit.Contains(t, u.Text(), "Something went wrong on our side", "Sorry, something went wrong", "please quote this reference")
	// The reference is read out on the phone: 8 characters without look-alikes, in two groups, and
	// the operators find the failed request's log line by it.
	ref := regexp.MustCompile(`id="error-reference">([^<]*)<`).FindStringSubmatch(u.Last)
	if ref == nil || !regexp.MustCompile(`^[ACDEFGHJKMNPQRTWXY34679]{4}-[ACDEFGHJKMNPQRTWXY34679]{4}$`).MatchString(ref[1]) {
		t.Fatalf("reference %q is not two groups of four readable characters", ref)
	}
	logged := false
	for _, line := range strings.Split(app.Logs.String(), "\n") {
		if strings.Contains(line, `"reference":"`+ref[1]+`"`) && strings.Contains(line, `"request_id":"`) && strings.Contains(line, "boom: internal detail") {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no log line ties reference %s to the request and its error", ref[1])
	}
	for _, leak := range []string{"boom", "internal detail", "goroutine", ".go:"} {
		if strings.Contains(u.Last, leak) {
			t.Errorf("error page leaks %q", leak)
		}
	}
	if !strings.Contains(app.Logs.String(), "boom: internal detail") {
		t.Error("the panic was not logged for the operators")
	}
}

func TestCSRFRefusesFormsWithoutToken(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	e := app.Server.Public().(*echo.Echo)
	e.POST("/test/form", func(c echo.Context) error { return c.String(http.StatusOK, "accepted") })

	u := testkit.NewUser(t, app.URL)
	u.Get("/") // sets the CSRF cookie
	u.Post("/test/form", url.Values{"x": {"1"}})
	if u.Status != http.StatusForbidden {
		t.Errorf("no token: status %d", u.Status)
	}
	testkit.Contains(t, u.Text(), "フォームの有効期限が切れたか")
	u.Post("/test/form", url.Values{"_csrf": {"forged"}})
	if u.Status != http.StatusForbidden {
		t.Errorf("wrong token: status %d", u.Status)
	}
}

func TestHealthAndMetricsListeners(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		for _, tc := range []struct {
			url  string
			want int
		}{
			{app.URL + "/healthz", 200}, {app.URL + "/readyz", 200}, {app.Internal + "/readyz", 200},
			{app.Internal + "/metrics", 200}, {app.URL + "/metrics", 404},
		} {
			resp, err := http.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			body := testkit.ReadAll(t, resp.Body)
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s = %d, want %d", tc.url, resp.StatusCode, tc.want)
			}
			if strings.HasSuffix(tc.url, "/metrics") && tc.want == 200 && !strings.Contains(body, "honnin_http_requests_total") {
				t.Error("metrics lack the request counter")
			}
		}
		db.Close(app.DB)
		resp, err := http.Get(app.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("readyz with the database closed = %d", resp.StatusCode)
		}
	})
}

func TestMigrationsAndDemoSeedAreIdempotent(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b) // migrated and seeded once
		ctx := context.Background()
		counts := func() [4]int64 {
			var c [4]int64
			app.DB.Model(&db.Card{}).Count(&c[0])
			app.DB.Model(&db.Member{}).Count(&c[1])
			app.DB.Model(&db.Staff{}).Count(&c[2])
			app.DB.Model(&db.Card{}).Where("member_id IS NOT NULL").Count(&c[3])
			return c
		}
		before := counts()
		if before != [4]int64{9, 5, 3, 6} {
			t.Fatalf("demo data: cards, members, staff, registered cards = %v", before)
		}
		for range 2 {
			if err := db.Migrate(app.DB); err != nil {
				t.Fatalf("second migration: %v", err)
			}
			if err := demodata.Seed(ctx, app.DB, app.Server.Sealer, app.Server.Hasher, "legacy"); err != nil {
				t.Fatalf("second seed: %v", err)
			}
		}
		if after := counts(); after != before {
			t.Errorf("counts changed from %v to %v", before, after)
		}
		var suzuki db.Member
		app.DB.Where("login_id = ?", "suzuki02").Take(&suzuki)
		if !suzuki.PersonalMessageIsDefault || !strings.HasPrefix(suzuki.PersonalMessage, "日専連静岡カードを") {
			t.Errorf("suzuki02 should carry the legacy default message, got default=%v", suzuki.PersonalMessageIsDefault)
		}
		var stolen db.Card
		app.DB.Where("pan_hash = ?", app.Server.Sealer.PANHash(demodata.StolenJCB)).Take(&stolen)
		if stolen.Status != db.CardStolen || stolen.Brand != db.BrandJCB || stolen.Last4 != "0043" {
			t.Errorf("stolen card = %+v", stolen)
		}
	})
}

func TestSealedPANRoundTripsAndNeverReachesLogsOrDB(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		var card db.Card
		if err := app.DB.Where("pan_hash = ?", app.Server.Sealer.PANHash(demodata.YamadaVisa)).Take(&card).Error; err != nil {
			t.Fatal(err)
		}
		pan, err := app.Server.Sealer.OpenPAN(card.PANSealed, card.KeyVersion)
		if err != nil || pan.Digits() != demodata.YamadaVisa {
			t.Fatalf("open sealed PAN: %v", err)
		}
		if strings.Contains(string(card.PANSealed), demodata.YamadaVisa) {
			t.Error("sealed PAN holds the number in clear")
		}
		// A rejected import names the line and field but not the number.
		bad := "pan,expiry,birth_date,phone,holder_name,status\n" + demodata.UnregJCB + ",3006,1985-02-14,0552223333,X,active\n4000000000000011,3006,1985-02-14,0552223333,X,active\n"
		_, err = cards.Import(context.Background(), app.DB, app.Server.Sealer, strings.NewReader(bad), cards.ImportOptions{})
		if err == nil || strings.Contains(err.Error(), "4000000000000011") || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("import error = %v", err)
		}
		testkit.NewUser(t, app.URL).Get("/?lang=en")
		logs := app.Logs.String()
		for _, c := range demodata.Cards {
			if strings.Contains(logs, c.PAN.Digits()) {
				t.Errorf("log contains the card number ending %s", c.PAN.Last4())
			}
		}
	})
}

func TestCardImportIsAllOrNothing(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ctx := context.Background()
		var before int64
		app.DB.Model(&db.Card{}).Count(&before)
		file := "pan,expiry,birth_date,phone,holder_name,status\n" +
			"3540000000000068,3101,1999-09-09,0540000000,NEW ONE,active\n" +
			"3540000000000019,2912,1980-04-01,0541234567,YAMADA TARO,lost\n" +
			"3540000000000076,3101,1999-09-09,0540000000,BAD,unknown\n"
		if _, err := cards.Import(ctx, app.DB, app.Server.Sealer, strings.NewReader(file), cards.ImportOptions{}); err == nil {
			t.Fatal("a file with a bad status was accepted")
		}
		var after int64
		app.DB.Model(&db.Card{}).Count(&after)
		var yamada db.Card
		app.DB.Where("pan_hash = ?", app.Server.Sealer.PANHash(demodata.YamadaJCB)).Take(&yamada)
		if after != before || yamada.Status != db.CardActive {
			t.Fatalf("rejected file changed data: %d → %d cards, yamada card %s", before, after, yamada.Status)
		}

		good := strings.Replace(file, "BAD,unknown", "GOOD,closed", 1)
		sum, err := cards.Import(ctx, app.DB, app.Server.Sealer, strings.NewReader(good), cards.ImportOptions{})
		if err != nil || sum.Rows != 3 || sum.Added != 2 || sum.Changed != 1 {
			t.Fatalf("good file: %+v err=%v", sum, err)
		}
		app.DB.Model(&db.Card{}).Count(&after)
		app.DB.Where("pan_hash = ?", app.Server.Sealer.PANHash(demodata.YamadaJCB)).Take(&yamada)
		if after != before+2 {
			t.Errorf("cards %d → %d, want two new", before, after)
		}
		if yamada.Status != db.CardLost || yamada.MemberID == nil || yamada.ThreeDS != db.ThreeDSEnrolled {
			t.Errorf("upsert must update the status and keep the member and 3-D Secure state: %+v", yamada)
		}
	})
}
