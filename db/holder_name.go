package db

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// HolderNameKey is how a holder name is looked up: NFKC (half-width kana and full-width letters become
// their usual forms, so ﾔﾏﾀﾞ is ヤマダ), hiragana as katakana, Latin letters upper-case, and no spaces
// or middle dots, so that 「やまだ　たろう」, 「ヤマダ タロウ」 and 「ﾔﾏﾀﾞ ﾀﾛｳ」 are one key.
func HolderNameKey(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(name) {
		switch {
		case unicode.IsSpace(r), r == '・':
			continue
		case r >= 'ぁ' && r <= 'ゖ':
			r += 'ァ' - 'ぁ'
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// BeforeSave keeps the look-up key in step with the holder name when a card is created (the card-file
// import) or saved whole.
func (c *Card) BeforeSave(*gorm.DB) error {
	c.HolderNameKey = HolderNameKey(c.HolderName)
	return nil
}
