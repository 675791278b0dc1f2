package cards

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"honnin/app/emv"
	"honnin/db"
)

// BrandRanges are the card ranges an ACS operator registers with one brand's Directory Server.
type BrandRanges struct {
	Brand         string              `json:"brand"`
	CardRangeData []emv.CardRangeData `json:"cardRangeData"`
}

// BINLength is one BIN of the card file with one card-number length used under it.
type BINLength struct {
	Brand     string
	BIN       string
	PANLength int
}

// Ranges lists, per brand, the card ranges Honnin answers for: every BIN in the card file, as wide
// as the card numbers under it, adjacent ranges joined. methodURL is the threeDSMethodURL Directory
// Servers give the 3DS Servers for these cards.
func Ranges(ctx context.Context, gdb *gorm.DB, methodURL string) ([]BrandRanges, error) {
	var bins []BINLength
	err := gdb.WithContext(ctx).Model(&db.Card{}).Distinct("brand", "bin", "pan_length").
		Order("brand").Order("pan_length").Order("bin").Find(&bins).Error
	if err != nil {
		return nil, err
	}
	return RangesOf(bins, methodURL), nil
}

// RangesOf builds the card ranges from the BINs and card-number lengths of a card file: a BIN with
// numbers of length n covers BIN000…0 to BIN999…9 (n digits), and ranges of one brand and length
// that touch become one. Brands and ranges come in ascending order.
func RangesOf(bins []BINLength, methodURL string) []BrandRanges {
	type span struct {
		length     int
		start, end uint64
	}
	spans := map[string][]span{}
	for _, b := range bins {
		pad := b.PANLength - len(b.BIN)
		if pad < 0 || b.PANLength > 19 || b.BIN == "" {
			continue
		}
		start, err1 := strconv.ParseUint(b.BIN+strings.Repeat("0", pad), 10, 64)
		end, err2 := strconv.ParseUint(b.BIN+strings.Repeat("9", pad), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		spans[b.Brand] = append(spans[b.Brand], span{b.PANLength, start, end})
	}
	brands := make([]string, 0, len(spans))
	for brand := range spans {
		brands = append(brands, brand)
	}
	slices.Sort(brands)
	out := make([]BrandRanges, 0, len(brands))
	for _, brand := range brands {
		list := spans[brand]
		slices.SortFunc(list, func(a, b span) int {
			if a.length != b.length {
				return cmp.Compare(a.length, b.length)
			}
			return cmp.Compare(a.start, b.start)
		})
		var merged []span
		for _, s := range list {
			if n := len(merged); n > 0 && merged[n-1].length == s.length && s.start <= merged[n-1].end+1 {
				merged[n-1].end = max(merged[n-1].end, s.end)
				continue
			}
			merged = append(merged, s)
		}
		br := BrandRanges{Brand: brand}
		for _, s := range merged {
			br.CardRangeData = append(br.CardRangeData, emv.CardRangeData{
				StartRange:              digitsOf(s.start, s.length),
				EndRange:                digitsOf(s.end, s.length),
				ACSStartProtocolVersion: emv.V210,
				ACSEndProtocolVersion:   emv.V220,
				ThreeDSMethodURL:        methodURL,
				ACSInfoInd:              []emv.ACSInfoInd{emv.ACSInfoAuthentication, emv.ACSInfoWhitelisting},
			})
		}
		out = append(out, br)
	}
	return out
}

// digitsOf writes v with exactly n digits.
func digitsOf(v uint64, n int) string {
	s := strconv.FormatUint(v, 10)
	return strings.Repeat("0", max(0, n-len(s))) + s
}

// RangeFor finds the card range that holds a card number, as a 3DS Server does before its AReq.
func RangeFor(ranges []emv.CardRangeData, pan string) (emv.CardRangeData, bool) {
	for _, r := range ranges {
		if len(pan) == len(r.StartRange) && pan >= r.StartRange && pan <= r.EndRange {
			return r, true
		}
	}
	return emv.CardRangeData{}, false
}
