package tests

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

func timeNow() time.Time { return time.Now() }

func TestSupportAuditLogAndCSV(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		var yamada db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&yamada)

		sup := signInStaff(t, app, "super01")
		sup.Get("/search")
		sup.Submit("/search", url.Values{"q": {demodata.YamadaJCB}})
		sup.Get("/members/" + itoa(yamada.ID))
		sup.Submit("/members/"+itoa(yamada.ID)+"/end-sessions", url.Values{"reason": {"=HYPERLINK(\"http://evil\",\"x\")"}})
		sup.Submit("/members/"+itoa(yamada.ID)+"/reveal-message", url.Values{"reason": {"caller forgot it"}})

		admin := signInStaff(t, app, "admin01")
		admin.Get("/staff")
		admin.Submit("/staff", url.Values{"login": {"agent03"}, "role": {"agent"}, "reason": {"+new hire"}})
		oneTime := newPasswordOnPage.FindStringSubmatch(admin.Last)[1]
		secret := strings.ReplaceAll(newSecretOnPage.FindStringSubmatch(admin.Last)[1], " ", "")

		admin.Get("/audit")
		testkit.Contains(t, admin.Text(), "Audit log", "super01", "sessions ended", "personal message shown", "staff added", "caller forgot it")
		admin.Get("/audit?action=end_sessions")
		testkit.Contains(t, admin.Text(), "Results: 1", "sessions ended")
		admin.Get("/audit?staff=admin01")
		if strings.Contains(admin.Text(), "super01") {
			t.Error("the staff filter shows another staff member's rows")
		}
		admin.Get("/audit?member=yamada01")
		testkit.Contains(t, admin.Text(), "Results: 4") // two views, end sessions, reveal
		admin.Get("/audit?from=not-a-date")
		testkit.Contains(t, admin.Text(), "Enter the date as 2026-11-25.")

		resp, err := admin.Client.Get(app.Internal + "/audit.csv")
		if err != nil {
			t.Fatal(err)
		}
		body := testkit.ReadAll(t, resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		for _, secretish := range []string{demodata.YamadaJCB, "0000 0000", oneTime, secret, demodata.StaffPassword, demodata.StaffTOTP, "富士山と緑茶"} {
			if strings.Contains(body, secretish) {
				t.Errorf("the CSV holds %q", secretish)
			}
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, r := range rows[1:] {
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("cell %q would run as a formula", cell)
				}
				if cell == `'=HYPERLINK("http://evil","x")` || cell == "'+new hire" {
					found++
				}
			}
		}
		if found != 2 {
			t.Errorf("escaped reasons found %d times in %q", found, rows)
		}
		if rows := auditRows(t, app, "export_audit"); len(rows) != 1 || rows[0].StaffLogin != "admin01" {
			t.Errorf("export not audited: %+v", rows)
		}
	})
}

// TestSupportAuditLogImmutable: no route changes or removes an audit event, whatever the method, path or
// role, with a valid session and CSRF token.
func TestSupportAuditLogImmutable(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		admin := signInStaff(t, app, "admin01")
		admin.Get("/audit.csv") // writes one audit row
		var before []db.AuditEvent
		app.DB.Order("id").Find(&before)
		if len(before) == 0 {
			t.Fatal("no audit rows to protect")
		}
		id := itoa(before[0].ID)
		admin.Get("/audit")
		token := admin.CSRF()
		paths := []string{"/audit", "/audit.csv", "/audit/" + id, "/audit/" + id + "/delete", "/audit/" + id + "/edit", "/audit?id=" + id}
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			for _, p := range paths {
				form := url.Values{"_csrf": {token}, "id": {id}, "reason": {"tampered"}, "action": {"tampered"}}
				req, _ := http.NewRequest(method, app.Internal+p, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-CSRF-Token", token)
				resp, err := admin.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("%s %s: %d, want 404 or 405", method, p, resp.StatusCode)
				}
			}
		}
		var after []db.AuditEvent
		app.DB.Order("id").Limit(len(before)).Find(&after)
		for i := range before {
			if before[i].Reason != after[i].Reason || before[i].Action != after[i].Action || !before[i].CreatedAt.Equal(after[i].CreatedAt) {
				t.Errorf("audit row %d changed", before[i].ID)
			}
		}
		// And no route on the internal listener that mentions the audit log takes anything but GET.
		e, ok := app.Server.Internal().(*echo.Echo)
		if !ok {
			t.Fatal("the internal handler is not an *echo.Echo")
		}
		for _, r := range e.Routes() {
			if strings.Contains(r.Path, "audit") && r.Method != http.MethodGet {
				t.Errorf("route %s %s can write to the audit log", r.Method, r.Path)
			}
		}
	})
}
