package acs

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeAReq decodes and validates a full browser AReq of about 1.5 KB, as the bench sends:
// allocations per AReq do not depend on the machine's load, nanoseconds do.
func BenchmarkDecodeAReq(b *testing.B) {
	m := validAReq()
	m["threeDSCompInd"], m["browserUserAgent"] = "Y", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	m["cardholderName"], m["email"], m["threeDSServerURL"] = "BENCH HOLDER", "bench@example.jp", "https://3ds.shop.example/results"
	body, _ := json.Marshal(m)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, e := decodeAReq(body); e != nil {
			b.Fatal(e)
		}
	}
}
