package support

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/credentials"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// Ways to search.
const (
	ByLogin  = "login"  // login ID prefix
	ByCard   = "card"   // last 4 + expiry
	ByPAN    = "pan"    // full card number, hashed: never kept anywhere
	ByPhone  = "phone"  // holder phone number, hashed
	ByMember = "member" // member number
	ByHolder = "holder" // holder name from the card file, whole, normalised (db.HolderNameKey)
)

// PageSize is how many members a page of results shows.
const PageSize = 20

// SearchQuery is what staff typed.
type SearchQuery struct {
	By     string
	Q      string
	Expiry string
	Page   int
}

// MemberHit is one matching member with the member's cards.
type MemberHit struct {
	Member      db.Member
	LockedUntil *time.Time // set when the ID is locked now
	Failures    int64      // failures in a row, when locked (see FailuresInARow)
	Cards       []db.Card
}

// SearchResult is one page of matching members.
type SearchResult struct {
	Members []MemberHit
	Total   int64
	Page    int
	Pages   int
	// Audit describes the search for the audit log without the card number or phone number.
	Audit string
}

// MemberNumber is how the console shows a member's number.
func MemberNumber(id uint) string { return fmt.Sprintf("M%07d", id) }

// ParseMemberNumber accepts "M0000012", "m12", "12" and full-width forms.
func ParseMemberNumber(s string) (uint, bool) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "M"), "m")
	if !cards.AllDigits(s) || len(s) > 10 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint(n), true
}

// ParseCardExpiry accepts YYMM ("2912") or MM/YY as printed on the card ("12/29"), and returns YYMM.
func ParseCardExpiry(s string) (string, bool) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	if mm, yy, ok := strings.Cut(s, "/"); ok {
		s = strings.TrimSpace(yy) + strings.TrimSpace(mm)
		if len(s) == 3 { // 1/29
			s = s[:2] + "0" + s[2:]
		}
	}
	return cards.ParseExpiry(s)
}

// likePrefix escapes LIKE's wildcards so that "a_b%" matches only itself as a prefix.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// SearchMembers finds members. It returns a message ID (and no result) when the input cannot be a
// search of that kind. The card number and the phone number are hashed at once and never returned.
func SearchMembers(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, q SearchQuery, now time.Time) (SearchResult, string, error) {
	gdb = gdb.WithContext(ctx)
	members := gdb.Model(&db.Member{})
	var audit string
	switch q.By {
	case ByLogin:
		id := credentials.NormalizeLoginID(q.Q)
		if id == "" {
			return SearchResult{}, "support.search.empty", nil
		}
		if len([]rune(id)) > 20 {
			return SearchResult{}, "support.search.login_too_long", nil
		}
		members = members.Where(`login_id LIKE ? ESCAPE '\'`, likePrefix(id))
		audit = "login ID starting with " + id
	case ByCard:
		last4 := cards.NormalizeDigits(q.Q)
		if last4 == "" && strings.TrimSpace(q.Expiry) == "" {
			return SearchResult{}, "support.search.empty", nil
		}
		if len(last4) != 4 || !cards.AllDigits(last4) {
			return SearchResult{}, "support.search.last4_invalid", nil
		}
		expiry, ok := ParseCardExpiry(q.Expiry)
		if !ok {
			return SearchResult{}, "support.search.expiry_invalid", nil
		}
		members = members.Where("id IN (?)", gdb.Model(&db.Card{}).Select("member_id").
			Where("last4 = ? AND expiry = ? AND member_id IS NOT NULL", last4, expiry))
		audit = "card ending " + last4 + ", expiry " + expiry
	case ByPAN:
		pan := cards.NormalizeDigits(q.Q)
		if pan == "" {
			return SearchResult{}, "support.search.empty", nil
		}
		if !cards.AllDigits(pan) || len(pan) < 12 || len(pan) > 19 {
			return SearchResult{}, "support.search.pan_invalid", nil
		}
		members = members.Where("id IN (?)", gdb.Model(&db.Card{}).Select("member_id").
			Where("pan_hash = ? AND member_id IS NOT NULL", sealer.PANHash(security.PAN(pan))))
		audit = "full card number (not recorded)"
	case ByPhone:
		if strings.TrimSpace(q.Q) == "" {
			return SearchResult{}, "support.search.empty", nil
		}
		phone, ok := cards.ParsePhone(q.Q)
		if !ok {
			return SearchResult{}, "support.search.phone_invalid", nil
		}
		members = members.Where("id IN (?)", gdb.Model(&db.Card{}).Select("member_id").
			Where("phone_hash = ? AND member_id IS NOT NULL", cards.HolderPhoneHash(sealer, phone)))
		audit = "phone number ending " + phone[len(phone)-4:]
	case ByMember:
		if strings.TrimSpace(q.Q) == "" {
			return SearchResult{}, "support.search.empty", nil
		}
		id, ok := ParseMemberNumber(q.Q)
		if !ok {
			return SearchResult{}, "support.search.member_invalid", nil
		}
		members = members.Where("id = ?", id)
		audit = "member " + MemberNumber(id)
	case ByHolder:
		// Equality on the indexed key, never LIKE: the look-up reads the index on both databases.
		key := db.HolderNameKey(q.Q)
		if key == "" {
			return SearchResult{}, "support.search.empty", nil
		}
		if len([]rune(key)) > 100 {
			return SearchResult{}, "support.search.holder_too_long", nil
		}
		members = members.Where("id IN (?)", gdb.Model(&db.Card{}).Select("member_id").
			Where("holder_name_key = ? AND member_id IS NOT NULL", key))
		audit = "holder name " + key
	default:
		return SearchResult{}, "support.search.empty", nil
	}

	res := SearchResult{Page: max(q.Page, 1), Audit: audit}
	if err := members.Session(&gorm.Session{}).Count(&res.Total).Error; err != nil {
		return SearchResult{}, "", err
	}
	res.Pages = int((res.Total + PageSize - 1) / PageSize)
	if res.Page > res.Pages && res.Pages > 0 {
		res.Page = res.Pages
	}
	var rows []db.Member
	if err := members.Session(&gorm.Session{}).Order("login_id").Offset((res.Page - 1) * PageSize).Limit(PageSize).Find(&rows).Error; err != nil {
		return SearchResult{}, "", err
	}
	byMember, err := memberCards(gdb, memberIDs(rows))
	if err != nil {
		return SearchResult{}, "", err
	}
	for _, m := range rows {
		hit := MemberHit{Member: m, Cards: byMember[m.ID]}
		if credentials.IsLocked(&m, now) {
			hit.LockedUntil = m.LockedUntil
			if hit.Failures, err = FailuresInARow(ctx, gdb, m.ID); err != nil {
				return SearchResult{}, "", err
			}
		}
		res.Members = append(res.Members, hit)
	}
	return res, "", nil
}

func memberIDs(ms []db.Member) []uint {
	ids := make([]uint, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

// memberCards loads the cards of members.
func memberCards(gdb *gorm.DB, ids []uint) (map[uint][]db.Card, error) {
	out := map[uint][]db.Card{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []db.Card
	if err := gdb.Where("member_id IN ?", ids).Order("id").Find(&cs).Error; err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[*c.MemberID] = append(out[*c.MemberID], c)
	}
	return out, nil
}

// cardView is a card as staff may see it: masked to BIN + last 4.
func cardView(c db.Card) viewsupport.Card {
	return viewsupport.Card{ID: c.ID, Brand: c.Brand, Masked: security.MaskBINLast4(c.BIN, c.Last4, c.PANLength),
		Expiry: c.Expiry, Status: c.Status, ThreeDS: c.ThreeDS, ThreeDSChanged: c.ThreeDSChanged}
}

// search shows the search forms and, for a GET search, its results.
func (s *Console) search(c echo.Context) error {
	q := SearchQuery{By: c.QueryParam("by"), Q: c.QueryParam("q"), Expiry: c.QueryParam("expiry")}
	q.Page, _ = strconv.Atoi(c.QueryParam("page"))
	if q.By == "" {
		return s.renderSearch(c, http.StatusOK, viewsupport.SearchPage{Notice: s.popFlash(c.Request().Context())})
	}
	if q.By == ByPAN { // a card number never travels in a URL
		return s.renderSearch(c, http.StatusBadRequest, viewsupport.SearchPage{By: ByPAN, Error: "support.search.pan_post"})
	}
	return s.runSearch(c, q)
}

// searchCardNumber is the full-number search: posted, so that the number is in no URL, history or log.
func (s *Console) searchCardNumber(c echo.Context) error {
	return s.runSearch(c, SearchQuery{By: ByPAN, Q: c.FormValue("q"), Page: 1})
}

func (s *Console) runSearch(c echo.Context, q SearchQuery) error {
	ctx := c.Request().Context()
	page := viewsupport.SearchPage{By: q.By, Expiry: security.Truncate(q.Expiry, 20), Searched: true}
	if q.By != ByPAN { // the card number is never written back into the page
		page.Q = security.Truncate(q.Q, 100)
	}
	res, problem, err := SearchMembers(ctx, s.DB, s.Sealer, q, db.Now())
	if err != nil {
		return err
	}
	if problem != "" {
		page.Error = problem
		return s.renderSearch(c, http.StatusUnprocessableEntity, page)
	}
	if err := WriteAudit(s.DB.WithContext(ctx), s.actor(c), db.AuditEvent{Action: ActionSearch, Detail: res.Audit}); err != nil {
		return err
	}
	for _, hit := range res.Members {
		page.Members = append(page.Members, memberRow(hit))
	}
	page.Pager = viewsupport.Pager{Page: res.Page, Pages: res.Pages, Total: res.Total}
	if q.By != ByPAN {
		link := func(p int) string {
			v := url.Values{"by": {q.By}, "q": {q.Q}, "page": {strconv.Itoa(p)}}
			if q.By == ByCard {
				v.Set("expiry", q.Expiry)
			}
			return "/search?" + v.Encode()
		}
		if res.Page > 1 {
			page.Pager.Prev = link(res.Page - 1)
		}
		if res.Page < res.Pages {
			page.Pager.Next = link(res.Page + 1)
		}
	}
	return s.renderSearch(c, http.StatusOK, page)
}

// memberRow is what the search results show of a hit.
func memberRow(hit MemberHit) viewsupport.MemberRow {
	m := hit.Member
	row := viewsupport.MemberRow{ID: m.ID, Number: MemberNumber(m.ID), LoginID: m.LoginID, Status: m.Status, LockedUntil: hit.LockedUntil, Failures: hit.Failures}
	for _, c := range hit.Cards {
		row.Cards = append(row.Cards, cardView(c))
	}
	return row
}

func (s *Console) renderSearch(c echo.Context, status int, page viewsupport.SearchPage) error {
	return views.Render(c, status, viewsupport.Search(me(c), page))
}
