package member

import (
	"context"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// Personal message length, in characters after NFKC.
const (
	MessageMinLen = 1
	MessageMaxLen = 40
)

// NormalizeMessage applies NFKC and trims surrounding spaces, then checks the rules: 1 to 40 characters,
// any script, no control characters (nor the invisible ones that reorder text), and not the issuer's old
// default sentence. It returns the message to store, or "" and the message ID of the problem.
func NormalizeMessage(s, legacy string) (string, string) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	n := utf8.RuneCountInString(s)
	switch {
	case n < MessageMinLen:
		return "", "message.required"
	case n > MessageMaxLen:
		return "", "message.too_long"
	case !utf8.ValidString(s):
		return "", "message.bad_chars"
	}
	for _, r := range s {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == utf8.RuneError {
			return "", "message.bad_chars"
		}
	}
	if legacy != "" && s == strings.TrimSpace(norm.NFKC.String(legacy)) {
		return "", "message.is_default"
	}
	return s, ""
}

// SetMessage stores a member's personal message; this also ends "not chosen yet" (so 3-D Secure
// starts for the member) and any request from support to choose a new one. The member's history
// records it; changed says whether a message of the member's own was replaced (not a first one).
func SetMessage(ctx context.Context, gdb *gorm.DB, memberID uint, message string, from credentials.Origin) (changed bool, err error) {
	err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before db.Member
		if err := tx.Select("id", "personal_message", "personal_message_is_default").Where("id = ?", memberID).Take(&before).Error; err != nil {
			return err
		}
		changed = !before.PersonalMessageIsDefault && before.PersonalMessage != ""
		if err := tx.Model(&db.Member{}).Where("id = ?", memberID).Updates(map[string]any{
			"personal_message": message, "personal_message_is_default": false, "personal_message_required": false,
		}).Error; err != nil {
			return err
		}
		detail := "set"
		if changed {
			detail = "changed"
		}
		return tx.Create(&db.AuthEvent{MemberID: &memberID, Kind: db.EventMessageChange, Result: db.ResultOK, Detail: detail,
			IP: from.IP, UserAgent: from.UserAgent}).Error
	})
	return changed, err
}

func (p *Portal) messagePage(c echo.Context, m *db.Member) (viewmember.MessagePage, error) {
	page := viewmember.MessagePage{LoginID: m.LoginID, First: needsMessage(m)}
	if !m.PersonalMessageIsDefault {
		page.Current = m.PersonalMessage
	} else {
		page.Legacy = m.PersonalMessage
	}
	cards, err := previewCards(c.Request().Context(), p.DB, m.ID)
	if err != nil {
		return page, err
	}
	page.PreviewCards = cards
	return page, nil
}

// previewCards picks, for each brand the member holds, the first of their cards (by brand, then
// registration order): the preview shows each brand's challenge as it will look for that card. A
// member without cards (support removed them) still sees the JCB screen.
func previewCards(ctx context.Context, gdb *gorm.DB, memberID uint) ([]viewmember.PreviewCard, error) {
	var cards []db.Card
	if err := gdb.WithContext(ctx).Select("brand", "last4").Where("member_id = ?", memberID).
		Order("brand").Order("id").Find(&cards).Error; err != nil {
		return nil, err
	}
	var out []viewmember.PreviewCard
	for _, c := range cards {
		if len(out) == 0 || out[len(out)-1].Brand != c.Brand {
			out = append(out, viewmember.PreviewCard{Brand: c.Brand, Last4: c.Last4})
		}
	}
	if len(out) == 0 {
		out = []viewmember.PreviewCard{{Brand: db.BrandJCB}}
	}
	return out, nil
}

func (p *Portal) messageForm(c echo.Context) error {
	m := member(c)
	page, err := p.messagePage(c, m)
	if err != nil {
		return err
	}
	page.Notice = p.takeFlash(c)
	if page.Current != "" {
		page.Message, page.Preview = page.Current, true
	}
	return views.Render(c, http.StatusOK, viewmember.PersonalMessage(page))
}

func (p *Portal) messageSave(c echo.Context) error {
	m := member(c)
	page, err := p.messagePage(c, m)
	if err != nil {
		return err
	}
	typed := c.FormValue("message")
	msg, problem := NormalizeMessage(typed, p.Config.LegacyPersonalMessage)
	if problem != "" {
		page.Message, page.Err = security.Truncate(typed, 400), problem
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.PersonalMessage(page))
	}
	if c.FormValue("action") == "preview" {
		page.Message, page.Preview = msg, true
		return views.Render(c, http.StatusOK, viewmember.PersonalMessage(page))
	}
	changed, err := SetMessage(c.Request().Context(), p.DB, m.ID, msg, origin(c))
	if err != nil {
		return err
	}
	if changed {
		p.flash(c, "message.changed")
	} else {
		p.flash(c, "message.saved")
	}
	return c.Redirect(http.StatusSeeOther, "/my")
}
