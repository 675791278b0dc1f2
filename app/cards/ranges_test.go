package cards

import (
	"reflect"
	"testing"

	"honnin/app/emv"
)

func TestRangesOf(t *testing.T) {
	const method = "https://acs.example/3ds/method"
	got := RangesOf([]BINLength{
		{"visa", "412345", 16},
		{"jcb", "354000", 16},
		{"jcb", "354002", 16}, // with 354001 below, 354000 to 354002 make one range
		{"jcb", "354001", 16},
		{"jcb", "356000", 19}, // another length: another range
		{"jcb", "356000", 16},
		{"visa", "41234", 3}, // shorter than its BIN: ignored
		{"visa", "", 16},     // no BIN: ignored
	}, method)
	rng := func(start, end string) emv.CardRangeData {
		return emv.CardRangeData{StartRange: start, EndRange: end, ACSStartProtocolVersion: "2.1.0", ACSEndProtocolVersion: "2.2.0",
			ThreeDSMethodURL: method, ACSInfoInd: []emv.ACSInfoInd{"01", "04"}}
	}
	want := []BrandRanges{
		{Brand: "jcb", CardRangeData: []emv.CardRangeData{
			rng("3540000000000000", "3540029999999999"),
			rng("3560000000000000", "3560009999999999"),
			rng("3560000000000000000", "3560009999999999999"),
		}},
		{Brand: "visa", CardRangeData: []emv.CardRangeData{rng("4123450000000000", "4123459999999999")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RangesOf:\n got %+v\nwant %+v", got, want)
	}
	for _, br := range got {
		for _, r := range br.CardRangeData {
			for _, ind := range r.ACSInfoInd {
				if _, ok := emv.ACSInfoInds[ind]; !ok {
					t.Errorf("acsInfoInd %q is not a code", ind)
				}
			}
		}
	}
	for pan, want := range map[string]string{"3540011234567890": "3540000000000000", "3560001234567890123": "3560000000000000000",
		"3550001234567890": "", "354001123456789": ""} {
		r, ok := RangeFor(got[0].CardRangeData, pan)
		if r.StartRange != want || ok != (want != "") {
			t.Errorf("RangeFor(%s) = %q, %v; want %q", pan, r.StartRange, ok, want)
		}
	}
}
