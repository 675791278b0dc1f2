package member

import "testing"

func TestParseBirthDateInput(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1985-02-14", "1985-02-14", true},
		{"1985/2/14", "1985-02-14", true},
		{"1985.2.14", "1985-02-14", true},
		{"1985年2月14日", "1985-02-14", true},
		{"1985年02月14日", "1985-02-14", true},
		{"19850214", "1985-02-14", true},
		{"１９８５／２／１４", "1985-02-14", true},
		{"１９８５年２月１４日", "1985-02-14", true},
		{" 1985 年 2 月 14 日 ", "1985-02-14", true},
		{"昭和60年2月14日", "1985-02-14", true},
		{"昭和６０年２月１４日", "1985-02-14", true},
		{"㍼60年2月14日", "1985-02-14", true},
		{"S60.2.14", "1985-02-14", true},
		{"s60/2/14", "1985-02-14", true},
		{"平成元年1月8日", "1989-01-08", true},
		{"平成1年1月8日", "1989-01-08", true},
		{"昭和64年1月7日", "1989-01-07", true},
		{"大正15年12月24日", "1926-12-24", true},
		{"令和元年5月1日", "2019-05-01", true},
		{"平成元年1月7日", "", false},  // still 昭和 that day
		{"昭和64年1月8日", "", false}, // already 平成
		{"令和元年4月30日", "", false}, // still 平成
		{"昭和0年1月1日", "", false},
		{"明治1年1月1日", "", false}, // 明治 began on 25 January 1868
		{"1985/2/30", "", false},
		{"1985/13/1", "", false},
		{"1985年2月", "", false},
		{"2/14/1985", "", false},
		{"1899/12/31", "", false},
		{"2999/1/1", "", false},
		{"", "", false},
		{"きのう", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseBirthDateInput(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseBirthDateInput(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
