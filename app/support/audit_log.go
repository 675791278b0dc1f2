package support

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// AuditPageSize is how many audit events a page of the log shows.
const AuditPageSize = 50

// AuditFilter narrows the audit log. From and To are dates (YYYY-MM-DD, Japan time, inclusive).
type AuditFilter struct {
	Staff, Action, Member, From, To string
}

// Values is the filter as a query string, for paging and the CSV link.
func (f AuditFilter) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"staff": f.Staff, "action": f.Action, "member": f.Member, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func auditFilterFrom(c echo.Context) AuditFilter {
	return AuditFilter{Staff: security.Truncate(c.QueryParam("staff"), 40), Action: security.Truncate(c.QueryParam("action"), 50),
		Member: security.Truncate(c.QueryParam("member"), 40), From: security.Truncate(c.QueryParam("from"), 20), To: security.Truncate(c.QueryParam("to"), 20)}
}

// AuditActions are the actions the filter offers; "denied" matches every refused one.
var AuditActions = []string{ActionSignIn, ActionStaffLocked, ActionSearch, ActionViewMember, ActionRevealMessage, ActionUnlock, ActionStopThreeDS, ActionResumeThreeDS,
	ActionEndSessions, ActionClose, ActionRequireMessage, ActionResendCode, ActionSetCodePolicy, ActionCreateStaff, ActionDisableStaff, ActionResetTOTP,
	ActionExportAudit, db.ActionAuditRemoved, db.ActionPersonalDataRemoved, "denied"}

// auditQuery applies the filter. Problems name fields that could not be read (that filter is then not applied).
func auditQuery(ctx context.Context, gdb *gorm.DB, f AuditFilter) (*gorm.DB, i18n.Problems, error) {
	gdb = gdb.WithContext(ctx)
	q := gdb.Model(&db.AuditEvent{})
	problems := i18n.Problems{}
	if s := NormalizeStaffLogin(f.Staff); s != "" {
		q = q.Where("staff_login = ?", s)
	}
	switch a := strings.TrimSpace(f.Action); {
	case a == "":
	case a == "denied":
		q = q.Where("action LIKE ?", "denied:%")
	default:
		q = q.Where("action = ?", a)
	}
	if m := strings.TrimSpace(f.Member); m != "" {
		id, ok := ParseMemberNumber(m)
		if !ok {
			var found db.Member
			err := gdb.Where("login_id = ?", credentials.NormalizeLoginID(m)).Take(&found).Error
			if err != nil && err != gorm.ErrRecordNotFound {
				return nil, nil, err
			}
			id = found.ID // 0 when unknown: nothing matches
		}
		q = q.Where("target_member_id = ?", id)
	}
	if f.From != "" {
		if t, ok := parseDay(f.From); ok {
			q = q.Where("created_at >= ?", t.UTC())
		} else {
			problems.Add("from", "support.history.date_invalid")
		}
	}
	if f.To != "" {
		if t, ok := parseDay(f.To); ok {
			q = q.Where("created_at < ?", t.AddDate(0, 0, 1).UTC())
		} else {
			problems.Add("to", "support.history.date_invalid")
		}
	}
	return q, problems, nil
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Events   []db.AuditEvent
	Total    int64
	Page     int
	Pages    int
	Problems i18n.Problems
}

// QueryAudit reads a page of the audit log.
func QueryAudit(ctx context.Context, gdb *gorm.DB, f AuditFilter, page int) (AuditPage, error) {
	q, problems, err := auditQuery(ctx, gdb, f)
	if err != nil {
		return AuditPage{}, err
	}
	res := AuditPage{Page: max(page, 1), Problems: problems}
	if err := q.Session(&gorm.Session{}).Count(&res.Total).Error; err != nil {
		return AuditPage{}, err
	}
	res.Pages = int((res.Total + AuditPageSize - 1) / AuditPageSize)
	if res.Page > res.Pages && res.Pages > 0 {
		res.Page = res.Pages
	}
	err = q.Session(&gorm.Session{}).Order("created_at DESC").Order("id DESC").
		Offset((res.Page - 1) * AuditPageSize).Limit(AuditPageSize).Find(&res.Events).Error
	return res, err
}

func (s *Console) auditLog(c echo.Context) error {
	f := auditFilterFrom(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	res, err := QueryAudit(c.Request().Context(), s.DB, f, page)
	if err != nil {
		return err
	}
	v := viewsupport.AuditLogPage{
		Filter:  viewsupport.AuditFilter{Staff: f.Staff, Action: f.Action, Member: f.Member, From: f.From, To: f.To},
		Actions: AuditActions, Problems: res.Problems,
		Pager: viewsupport.Pager{Page: res.Page, Pages: res.Pages, Total: res.Total},
		CSV:   "/audit.csv?" + f.Values().Encode(),
	}
	locale := i18n.FromContext(c.Request().Context())
	for _, ev := range res.Events {
		row := viewsupport.AuditRow{At: ev.CreatedAt, Staff: ev.StaffLogin, Action: ev.Action, Target: AuditTargetText(locale, ev.Target),
			Reason: ev.Reason, Detail: AuditDetailText(locale, ev.Action, ev.Detail), IP: ev.IP}
		if ev.TargetMemberID != nil {
			row.MemberID, row.Member = *ev.TargetMemberID, MemberNumber(*ev.TargetMemberID)
		}
		v.Rows = append(v.Rows, row)
	}
	link := func(p int) string {
		q := f.Values()
		q.Set("page", strconv.Itoa(p))
		return "/audit?" + q.Encode()
	}
	if res.Page > 1 {
		v.Pager.Prev = link(res.Page - 1)
	}
	if res.Page < res.Pages {
		v.Pager.Next = link(res.Page + 1)
	}
	return views.Render(c, http.StatusOK, viewsupport.AuditLog(me(c), v))
}
