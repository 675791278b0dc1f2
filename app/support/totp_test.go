package support

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestMatchTOTP(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	now := time.Unix(1_800_000_015, 0)
	step := now.Unix() / 30
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	fullWidth := func(s string) string {
		out := []rune{}
		for _, r := range s {
			out = append(out, r-'0'+'０')
		}
		return string(out)
	}
	tests := []struct {
		name     string
		code     string
		last     int64
		want     totpCheck
		wantStep int64
	}{
		{"current code", code(now), 0, totpOK, step},
		{"previous step (clock drift)", code(now.Add(-30 * time.Second)), 0, totpOK, step - 1},
		{"next step (clock drift)", code(now.Add(30 * time.Second)), 0, totpOK, step + 1},
		{"two steps old", code(now.Add(-60 * time.Second)), 0, totpWrong, 0},
		{"two steps ahead", code(now.Add(60 * time.Second)), 0, totpWrong, 0},
		{"reused step", code(now), step, totpReused, 0},
		{"older than the last used step", code(now.Add(-30 * time.Second)), step - 1, totpReused, 0},
		{"next step after a used one", code(now.Add(30 * time.Second)), step, totpOK, step + 1},
		{"spaces inside", code(now)[:3] + " " + code(now)[3:], 0, totpOK, step},
		{"full-width digits", fullWidth(code(now)), 0, totpOK, step},
		{"empty", "", 0, totpWrong, 0},
		{"letters", "abcdef", 0, totpWrong, 0},
		{"too long", code(now) + "1", 0, totpWrong, 0},
		{"SQL", "' OR 1=1 --", 0, totpWrong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, check := matchTOTP(secret, tt.code, now, tt.last)
			if check != tt.want || got != tt.wantStep {
				t.Errorf("matchTOTP(%q) = %d, %v; want %d, %v", tt.code, got, check, tt.wantStep, tt.want)
			}
		})
	}
}

func TestGroupSecret(t *testing.T) {
	tests := map[string]string{"": "", "ABCD": "ABCD", "ABCDE": "ABCD E", "JBSWY3DPEHPK3PXP": "JBSW Y3DP EHPK 3PXP"}
	for in, want := range tests {
		if got := groupSecret(in); got != want {
			t.Errorf("groupSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQRDataURL(t *testing.T) {
	key, err := totpKey("Test Honnin", "agent01", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if key.Secret() != "JBSWY3DPEHPK3PXP" || key.AccountName() != "agent01" || key.Issuer() != "Test Honnin" {
		t.Errorf("key = %s", key.URL())
	}
	u, err := qrDataURL(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(u) < 100 || u[:22] != "data:image/png;base64," {
		t.Errorf("data URL = %.40q", u)
	}
}
