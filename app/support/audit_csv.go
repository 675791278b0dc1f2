package support

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	viewsupport "honnin/views/support"
)

// AuditCSVLimit caps one export; narrower filters export the rest.
const AuditCSVLimit = 100_000

// csvCell defuses spreadsheet formulas: a cell that starts with = + - @ (or a tab or carriage return,
// which some spreadsheets skip before reading a formula) is prefixed with a single quote.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteAuditCSV writes the filtered audit log as CSV (UTF-8 with a BOM, so that spreadsheets read the
// Japanese text), oldest first, with times in Japan time as on the screen. The action and detail
// columns keep what was stored (codes to filter on); action_name and detail_text say the same in
// the reader's language. Audit events never hold a card number, password or TOTP secret.
func WriteAuditCSV(ctx context.Context, gdb *gorm.DB, f AuditFilter, l i18n.Locale, w io.Writer) error {
	q, _, err := auditQuery(ctx, gdb, f)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "time_jst", "staff", "action", "member", "target", "card_id", "reason", "detail", "client_address", "action_name", "detail_text"}); err != nil {
		return err
	}
	var last uint
	for written := 0; written < AuditCSVLimit; {
		var batch []db.AuditEvent
		if err := q.Session(&gorm.Session{}).Where("id > ?", last).Order("id").Limit(min(1000, AuditCSVLimit-written)).Find(&batch).Error; err != nil {
			return err
		}
		for _, ev := range batch {
			member, card := "", ""
			if ev.TargetMemberID != nil {
				member = MemberNumber(*ev.TargetMemberID)
			}
			if ev.TargetCardID != nil {
				card = strconv.FormatUint(uint64(*ev.TargetCardID), 10)
			}
			row := []string{strconv.FormatUint(uint64(ev.ID), 10), ev.CreatedAt.In(i18n.IssuerZone).Format(time.RFC3339), ev.StaffLogin, ev.Action,
				member, ev.Target, card, ev.Reason, ev.Detail, ev.IP,
				viewsupport.ActionName(i18n.WithLocale(ctx, l), ev.Action), AuditDetailText(l, ev.Action, ev.Detail)}
			for i := range row {
				row[i] = csvCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
			last = ev.ID
		}
		written += len(batch)
		if len(batch) < 1000 {
			break
		}
	}
	cw.Flush()
	return cw.Error()
}

func (s *Console) auditCSV(c echo.Context) error {
	ctx := c.Request().Context()
	f := auditFilterFrom(c)
	if err := WriteAudit(s.DB.WithContext(ctx), s.actor(c), db.AuditEvent{Action: ActionExportAudit, Detail: security.Truncate("filter: "+f.Values().Encode(), 500)}); err != nil {
		return err
	}
	// Rendered into memory first, so that a failure gives an error page instead of half a file.
	var b strings.Builder
	if err := WriteAuditCSV(ctx, s.DB, f, i18n.FromContext(ctx), &b); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="honnin-audit-%s.csv"`, db.Now().In(i18n.IssuerZone).Format("20060102-150405")))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}
