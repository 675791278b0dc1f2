package security

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/width"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, password, loginID, want string
	}{
		{"empty", "", "taro", PasswordTooShort},
		{"7 ASCII", "kx7!mq2", "taro", PasswordTooShort},
		{"exactly 8 ASCII", "kx7!mq2z", "taro", ""},
		{"exactly 64 ASCII", strings.Repeat("kx7!mq2z", 8), "taro", ""},
		{"65 ASCII", strings.Repeat("kx7!mq2z", 8) + "a", "taro", PasswordTooLong},
		{"no composition rules: lowercase only", "correcthorsebattery", "taro", ""},
		{"spaces allowed", "correct horse battery", "taro", ""},

		// Counted in characters (runes), not bytes.
		{"7 kanji (21 bytes)", strings.Repeat("認", 7), "taro", PasswordTooShort},
		{"8 kanji (24 bytes)", "本人認証本人認証", "taro", ""},
		{"64 kanji (192 bytes)", strings.Repeat("本人認証", 16), "taro", ""},
		{"65 kanji", strings.Repeat("本人認証", 16) + "字", "taro", PasswordTooLong},
		{"Japanese ok", "にほんごのパスワード", "taro", ""},
		{"mixed Japanese and ASCII", "山田taro2024", "yamada", ""},

		// Counted after NFKC.
		{"8 half-width voiced kana (16 runes before NFKC)", strings.Repeat("ｶﾞ", 8), "taro", ""},
		{"33 half-width voiced kana (66 runes before NFKC)", strings.Repeat("ｶﾞ", 33), "taro", ""},
		{"65 half-width voiced kana", strings.Repeat("ｶﾞ", 65), "taro", PasswordTooLong},
		{"2 squared 株式会社 (8 after NFKC)", "㍿㍿", "taro", ""},
		{"7 after NFKC", "㍿ｶﾞｷﾞｸﾞ", "taro", PasswordTooShort},

		// Common passwords, in any case and width.
		{"common", "password", "taro", PasswordCommon},
		{"common upper", "PASSWORD", "taro", PasswordCommon},
		{"common mixed case", "PassWord123", "taro", PasswordCommon},
		{"common digits", "12345678", "taro", PasswordCommon},
		{"common full-width", "ｐａｓｓｗｏｒｄ", "taro", PasswordCommon},
		{"common full-width upper", "ＰＡＳＳＷＯＲＤ", "taro", PasswordCommon},
		{"common with symbol", "P@ssw0rd", "taro", PasswordCommon},
		{"common, no login ID", "iloveyou", "", PasswordCommon},
		{"not common: common plus characters", "password1234-fuji", "taro", ""},

		// The login ID.
		{"equal to ID", "yamada.taro", "yamada.taro", PasswordIsID},
		{"ID other case", "Yamada.Taro", "yamada.taro", PasswordIsID},
		{"ID upper", "YAMADA.TARO", "yamada.taro", PasswordIsID},
		{"ID full-width", "ｙａｍａｄａ．ｔａｒｏ", "yamada.taro", PasswordIsID},
		{"ID given full-width", "yamada.taro", "ＹＡＭＡＤＡ．ＴＡＲＯ", PasswordIsID},
		{"ID plus a character", "yamada.taro1", "yamada.taro", ""},
		{"empty ID not compared", "kx7!mq2z", "", ""},

		// Control characters.
		{"tab", "kx7!\tmq2z", "taro", PasswordControl},
		{"newline at end", "kx7!mq2z\n", "taro", PasswordControl},
		{"carriage return", "kx7!mq2z\r", "taro", PasswordControl},
		{"NUL", "kx7!\x00mq2z", "taro", PasswordControl},
		{"DEL", "kx7!\x7fmq2z", "taro", PasswordControl},
		{"C1 NEL", "kx7!\u0085mq2z", "taro", PasswordControl},
		{"escape", "kx7!\x1b[0mq2z", "taro", PasswordControl},
		{"ideographic space is fine", "本人　認証します", "taro", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPassword(tt.password, tt.loginID); got != tt.want {
				t.Errorf("CheckPassword(%q, %q) = %q, want %q (%d runes after NFKC)", tt.password, tt.loginID, got, tt.want,
					utf8.RuneCountInString(NormalizePassword(tt.password)))
			}
		})
	}
}

func TestCommonPasswordList(t *testing.T) {
	list := commonPasswords()
	if len(list) < 30000 {
		t.Fatalf("only %d common passwords loaded", len(list))
	}
	for _, pw := range list {
		if strings.HasPrefix(pw, "#") {
			t.Errorf("comment line loaded as a password: %q", pw)
		}
		if pw != strings.ToLower(NormalizePassword(pw)) {
			t.Errorf("list entry %q is not lower-case NFKC, so it can never match", pw)
		}
		if n := utf8.RuneCountInString(pw); n < PasswordMinLen {
			t.Errorf("list entry %q is shorter than the minimum, so it is dead", pw)
		}
	}
	// Entries of every source are refused, in any case and width, and not for another reason first.
	for _, pw := range []string{"godzilla", "blink182", "4815162342", "liverpool", "elizabeth", "beautiful", "tokyo2020", "3dsecure"} {
		for _, typed := range []string{pw, strings.ToUpper(pw), width.Widen.String(pw)} {
			if got := CheckPassword(typed, "someone-else"); got != PasswordCommon {
				t.Errorf("CheckPassword(%q) = %q, want %q", typed, got, PasswordCommon)
			}
		}
	}
}
