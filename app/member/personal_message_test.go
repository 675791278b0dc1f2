package member

import (
	"context"
	"strings"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
	viewmember "honnin/views/member"
)

func TestNormalizeMessage(t *testing.T) {
	legacy := "いつもご利用ありがとうございます。"
	tests := []struct {
		name, in, want, problem string
	}{
		{"japanese", "富士山と緑茶", "富士山と緑茶", ""},
		{"trimmed", "  茶畑  ", "茶畑", ""},
		{"full-width letters become ASCII", "ＡＢＣ１２３", "ABC123", ""},
		{"half-width katakana become full-width", "ｶﾀｶﾅ", "カタカナ", ""},
		{"one character", "海", "海", ""},
		{"forty characters", strings.Repeat("あ", 40), strings.Repeat("あ", 40), ""},
		{"html is just text", "<b>x</b>", "<b>x</b>", ""},
		{"emoji", "🗻と🍵", "🗻と🍵", ""},
		{"empty", "", "", "message.required"},
		{"ideographic spaces only", "　　", "", "message.required"},
		{"forty-one characters", strings.Repeat("あ", 41), "", "message.too_long"},
		{"newline", "a\nb", "", "message.bad_chars"},
		{"tab", "a\tb", "", "message.bad_chars"},
		{"nul", "a\x00b", "", "message.bad_chars"},
		{"right-to-left override", "a\u202eb", "", "message.bad_chars"},
		{"invalid utf-8", "a\xffb", "", "message.bad_chars"},
		{"legacy default", legacy, "", "message.is_default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := NormalizeMessage(tt.in, legacy)
			if got != tt.want || problem != tt.problem {
				t.Errorf("NormalizeMessage(%q) = %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.problem)
			}
		})
	}
}

func TestSetMessageClearsTheFlagsAndRecordsTheChange(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		loginID     string
		wantChanged bool
		wantDetail  string
	}{
		{"suzuki02", false, "set"},    // the legacy default is not a message of the member's own
		{"yamada01", true, "changed"}, // replaces 富士山と緑茶
	}
	for _, tt := range tests {
		t.Run(tt.loginID, func(t *testing.T) {
			m := f.member(t, tt.loginID)
			f.DB.Exec("UPDATE members SET personal_message_required = ? WHERE id = ?", true, m.ID)
			changed, err := SetMessage(context.Background(), f.DB, m.ID, "浜名湖", credentials.Origin{IP: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			m = f.member(t, tt.loginID)
			if m.PersonalMessage != "浜名湖" || m.PersonalMessageIsDefault || m.PersonalMessageRequired {
				t.Errorf("after SetMessage: %q default=%v required=%v", m.PersonalMessage, m.PersonalMessageIsDefault, m.PersonalMessageRequired)
			}
			var ev db.AuthEvent
			if err := f.DB.Where("member_id = ? AND kind = ?", m.ID, db.EventMessageChange).Take(&ev).Error; err != nil {
				t.Fatalf("no history event: %v", err)
			}
			if ev.Detail != tt.wantDetail || ev.IP != "203.0.113.7" {
				t.Errorf("event %+v, want detail %q", ev, tt.wantDetail)
			}
			if strings.Contains(ev.Detail+string(ev.Result), "浜名湖") {
				t.Errorf("the message itself reached the event")
			}
		})
	}
}

func TestPreviewCards(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		member string
		want   string
	}{
		{"yamada01", "jcb 0019,visa 0010"}, // one card per brand, each previewed with its own last 4 digits
		{"sato03", "visa 0028"},
	}
	show := func(cards []viewmember.PreviewCard) string {
		var out []string
		for _, c := range cards {
			out = append(out, c.Brand+" "+c.Last4)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range tests {
		cards, err := previewCards(ctx, f.DB, f.member(t, tt.member).ID)
		if err != nil || show(cards) != tt.want {
			t.Errorf("%s: %v %v, want %s", tt.member, show(cards), err, tt.want)
		}
	}
	if cards, err := previewCards(ctx, f.DB, 999999); err != nil || show(cards) != "jcb " {
		t.Errorf("no cards: %q %v, want the JCB screen without digits", show(cards), err)
	}
}
