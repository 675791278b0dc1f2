package db

import "testing"

func TestHolderNameKey(t *testing.T) {
	tests := []struct{ name, want string }{
		{"ヤマダ タロウ", "ヤマダタロウ"},
		{"ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"},
		{"やまだ　たろう", "ヤマダタロウ"},
		{"山田　太郎", "山田太郎"},
		{" 山田 太郎 ", "山田太郎"},
		{"ｽｽﾞｷ･ﾊﾅｺ", "スズキハナコ"},
		{"yamada taro", "YAMADATARO"},
		{"ＹＡＭＡＤＡ　ＴＡＲＯ", "YAMADATARO"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := HolderNameKey(tt.name); got != tt.want {
			t.Errorf("HolderNameKey(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCardHolderNameKeyStep: cards imported before the step get their key from it, and a card written
// afterwards gets it from the model.
func TestCardHolderNameKeyStep(t *testing.T) {
	gdb, err := Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	if err := migrateTo(gdb, "2026112611_challenge_checking_and_shown_to"); err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec(`INSERT INTO cards (pan_hash, pan_sealed, key_version, bin, last4, pan_length, brand, expiry,
		birth_date_hash, phone_hash, holder_name, status, three_ds, created_at, updated_at)
		VALUES ('h1', x'00', 1, '354000', '0019', 16, 'jcb', '2912', 'b', 'p', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'active', 'none', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`).Error; err != nil {
		t.Fatal(err)
	}
	if err := Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	var c Card
	if err := gdb.Where("holder_name_key = ?", "ヤマダタロウ").Take(&c).Error; err != nil {
		t.Fatalf("the card imported before the step has no key: %v", err)
	}
	c.ID, c.PANHash, c.HolderName = 0, "h2", "すずき はなこ"
	if err := gdb.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	var key string
	gdb.Model(&Card{}).Where("pan_hash = ?", "h2").Select("holder_name_key").Scan(&key)
	if key != "スズキハナコ" {
		t.Errorf("a card written after the step has key %q", key)
	}
}
