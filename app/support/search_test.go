package support

import (
	"context"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/db"
)

func TestSearchMembers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	var satoCard db.Card // the card file names this holder in half-width kana
	f.DB.Where("member_id = ?", f.member(t, "sato03").ID).Take(&satoCard)
	satoCard.HolderName = "ｻﾄｳ ｼﾞﾛｳ"
	if err := f.DB.Save(&satoCard).Error; err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		q         SearchQuery
		want      []string // login IDs in order
		problem   string
		auditHas  string
		auditNots []string
	}{
		{"login prefix", SearchQuery{By: ByLogin, Q: "tanaka"}, []string{"tanaka04a", "tanaka04b"}, "", "tanaka", nil},
		{"login prefix upper-case full-width", SearchQuery{By: ByLogin, Q: "ＹＡＭＡ"}, []string{"yamada01"}, "", "yama", nil},
		{"login whole", SearchQuery{By: ByLogin, Q: "sato03"}, []string{"sato03"}, "", "", nil},
		{"login wildcard is literal", SearchQuery{By: ByLogin, Q: "%"}, nil, "", "", nil},
		{"login underscore is literal", SearchQuery{By: ByLogin, Q: "_"}, nil, "", "", nil},
		{"login SQL", SearchQuery{By: ByLogin, Q: "' OR '1'='1"}, nil, "", "", nil},
		{"login HTML", SearchQuery{By: ByLogin, Q: "<script>"}, nil, "", "", nil},
		{"login empty", SearchQuery{By: ByLogin, Q: "  "}, nil, "support.search.empty", "", nil},
		{"login too long", SearchQuery{By: ByLogin, Q: strings.Repeat("a", 21)}, nil, "support.search.login_too_long", "", nil},
		{"card last4 + YYMM", SearchQuery{By: ByCard, Q: "0019", Expiry: "2912"}, []string{"yamada01"}, "", "0019", nil},
		{"card last4 + MM/YY", SearchQuery{By: ByCard, Q: "0019", Expiry: "12/29"}, []string{"yamada01"}, "", "", nil},
		{"card full-width", SearchQuery{By: ByCard, Q: "００１９", Expiry: "２９１２"}, []string{"yamada01"}, "", "", nil},
		{"card wrong expiry", SearchQuery{By: ByCard, Q: "0019", Expiry: "2812"}, nil, "", "", nil},
		{"card unregistered", SearchQuery{By: ByCard, Q: "0035", Expiry: "3006"}, nil, "", "", nil},
		{"card bad last4", SearchQuery{By: ByCard, Q: "019", Expiry: "2912"}, nil, "support.search.last4_invalid", "", nil},
		{"card bad expiry", SearchQuery{By: ByCard, Q: "0019", Expiry: "1329"}, nil, "support.search.expiry_invalid", "", nil},
		{"card empty", SearchQuery{By: ByCard}, nil, "support.search.empty", "", nil},
		{"pan", SearchQuery{By: ByPAN, Q: demodata.YamadaVisa}, []string{"yamada01"}, "", "not recorded", []string{demodata.YamadaVisa}},
		{"pan grouped full-width", SearchQuery{By: ByPAN, Q: "３５４０ ００００ ００００ ００１９"}, []string{"yamada01"}, "", "", []string{demodata.YamadaJCB}},
		{"pan unknown", SearchQuery{By: ByPAN, Q: "4111111111111111"}, nil, "", "", []string{"4111111111111111"}},
		{"pan letters", SearchQuery{By: ByPAN, Q: "4111-xxxx"}, nil, "support.search.pan_invalid", "", nil},
		{"pan empty", SearchQuery{By: ByPAN}, nil, "support.search.empty", "", nil},
		{"phone", SearchQuery{By: ByPhone, Q: "054-555-6666"}, []string{"tanaka04a", "tanaka04b"}, "", "6666", []string{"0545556666"}},
		{"phone bad", SearchQuery{By: ByPhone, Q: "12345"}, nil, "support.search.phone_invalid", "", nil},
		{"member number", SearchQuery{By: ByMember, Q: "M0000001"}, []string{"yamada01"}, "", "M0000001", nil},
		{"member number short", SearchQuery{By: ByMember, Q: "m2"}, []string{"suzuki02"}, "", "", nil},
		{"member number full-width", SearchQuery{By: ByMember, Q: "Ｍ３"}, []string{"sato03"}, "", "", nil},
		{"member number unknown", SearchQuery{By: ByMember, Q: "M9999999"}, nil, "", "", nil},
		{"member number bad", SearchQuery{By: ByMember, Q: "M-1; DROP TABLE members"}, nil, "support.search.member_invalid", "", nil},
		{"holder full-width kana finds half-width", SearchQuery{By: ByHolder, Q: "サトウ ジロウ"}, []string{"sato03"}, "", "サトウジロウ", nil},
		{"holder hiragana, ideographic space", SearchQuery{By: ByHolder, Q: "さとう　じろう"}, []string{"sato03"}, "", "", nil},
		{"holder Latin, lower-case", SearchQuery{By: ByHolder, Q: "tanaka miki"}, []string{"tanaka04a", "tanaka04b"}, "", "TANAKAMIKI", nil},
		{"holder family name only", SearchQuery{By: ByHolder, Q: "サトウ"}, nil, "", "", nil},
		{"holder wildcard is literal", SearchQuery{By: ByHolder, Q: "%"}, nil, "", "", nil},
		{"holder empty", SearchQuery{By: ByHolder, Q: "　"}, nil, "support.search.empty", "", nil},
		{"holder too long", SearchQuery{By: ByHolder, Q: strings.Repeat("ア", 101)}, nil, "support.search.holder_too_long", "", nil},
		{"unknown kind", SearchQuery{By: "nope", Q: "x"}, nil, "support.search.empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, problem, err := SearchMembers(ctx, f.DB, f.Sealer, tt.q, now)
			if err != nil {
				t.Fatal(err)
			}
			if problem != tt.problem {
				t.Fatalf("problem = %q, want %q", problem, tt.problem)
			}
			var got []string
			for _, hit := range res.Members {
				got = append(got, hit.Member.LoginID)
				for _, c := range memberRow(hit).Cards {
					if len(c.Masked) < 10 || strings.Count(c.Masked, "*") < 4 {
						t.Errorf("card shown as %q", c.Masked)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("members = %v, want %v", got, tt.want)
			}
			if int(res.Total) != len(tt.want) {
				t.Errorf("total = %d, want %d", res.Total, len(tt.want))
			}
			if !strings.Contains(res.Audit, tt.auditHas) {
				t.Errorf("audit %q lacks %q", res.Audit, tt.auditHas)
			}
			for _, no := range tt.auditNots {
				if strings.Contains(res.Audit, no) {
					t.Errorf("audit %q contains %q", res.Audit, no)
				}
			}
		})
	}
}

func TestSearchPaging(t *testing.T) {
	f := newFixture(t)
	for i := range 45 {
		m := db.Member{LoginID: "page" + string(rune('a'+i/26)) + string(rune('a'+i%26)), PasswordHash: "x", Status: db.MemberActive, SessionVersion: 1}
		if err := f.DB.Create(&m).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ page, wantPage, wantLen int }{{0, 1, 20}, {1, 1, 20}, {2, 2, 20}, {3, 3, 5}, {99, 3, 5}} {
		res, _, err := SearchMembers(context.Background(), f.DB, f.Sealer, SearchQuery{By: ByLogin, Q: "page", Page: tt.page}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 45 || res.Pages != 3 || res.Page != tt.wantPage || len(res.Members) != tt.wantLen {
			t.Errorf("page %d: total %d pages %d page %d len %d", tt.page, res.Total, res.Pages, res.Page, len(res.Members))
		}
	}
}

func TestParseMemberNumber(t *testing.T) {
	tests := map[string]uint{"M0000001": 1, "m12": 12, "12": 12, "Ｍ０１２": 12, " M5 ": 5}
	for in, want := range tests {
		if got, ok := ParseMemberNumber(in); !ok || got != want {
			t.Errorf("ParseMemberNumber(%q) = %d, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "M", "M0", "0", "MM1", "M-1", "M1.5", "M99999999999", "１e3"} {
		if _, ok := ParseMemberNumber(bad); ok {
			t.Errorf("ParseMemberNumber(%q) accepted", bad)
		}
	}
	if MemberNumber(12) != "M0000012" {
		t.Errorf("MemberNumber(12) = %s", MemberNumber(12))
	}
}
