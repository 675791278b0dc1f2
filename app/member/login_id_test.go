package member

import "testing"

func TestCheckNewLoginID(t *testing.T) {
	tests := []struct{ in, want, problem string }{
		{"ito.sakura", "ito.sakura", ""},
		{"ITO_Sakura-1", "ito_sakura-1", ""},
		{"ｉｔｏ．ｓａｋｕｒａ", "ito.sakura", ""},
		{"  padded01  ", "padded01", ""},
		{"abcdef", "abcdef", ""},
		{"abcdefghijklmnopqrst", "abcdefghijklmnopqrst", ""},
		{"", "", "loginid.required"},
		{"abcde", "", "loginid.length"},
		{"abcdefghijklmnopqrstu", "", "loginid.length"},
		{"ito sakura", "", "loginid.chars"},
		{"伊藤さくら123", "", "loginid.chars"},
		{"<script>", "", "loginid.chars"},
		{"ito@example", "", "loginid.chars"},
	}
	for _, tt := range tests {
		got, problem := CheckNewLoginID(tt.in)
		if got != tt.want || problem != tt.problem {
			t.Errorf("CheckNewLoginID(%q) = %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

func TestCheckNewPassword(t *testing.T) {
	tests := []struct{ pw, confirm, id, field, key string }{
		{"ito-sakura-2026", "ito-sakura-2026", "ito.sakura", "", ""},
		{"ito-sakura-2026", "ｉｔｏ-ｓａｋｕｒａ-２０２６", "ito.sakura", "", ""},
		{"パスワードは日本語", "パスワードは日本語", "ito.sakura", "", ""},
		{"", "", "ito.sakura", "password", "register.password_required"},
		{"short", "short", "ito.sakura", "password", "password.too_short"},
		{"12345678", "12345678", "ito.sakura", "password", "password.common"},
		{"ito.sakura", "ito.sakura", "ito.sakura", "password", "password.is_login_id"},
		{"ito-sakura-2026", "ito-sakura-2027", "ito.sakura", "password_confirm", "register.password_mismatch"},
	}
	for _, tt := range tests {
		field, key := CheckNewPassword(tt.pw, tt.confirm, tt.id)
		if field != tt.field || key != tt.key {
			t.Errorf("CheckNewPassword(%q, %q) = %q, %q; want %q, %q", tt.pw, tt.confirm, field, key, tt.field, tt.key)
		}
	}
}
