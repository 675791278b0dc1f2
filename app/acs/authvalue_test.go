package acs

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestAuthenticationValue(t *testing.T) {
	raw7 := bytes.Repeat([]byte{7}, 32)
	key := AVKeyring{Version: 3, Keys: map[int][]byte{3: raw7}}
	in := avInput{PAN: "3540000000000019", Amount: "5000", Currency: "392", PurchaseDate: "20261125010203",
		TransStatus: "Y", ECI: "05", ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340"}
	av, err := authenticationValue(key, in)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(av)
	if len(av) != 28 || err != nil || len(raw) != 20 || raw[0] != avLayoutVersion || raw[1] != 3 {
		t.Fatalf("value %q: %d bytes, %v", av, len(raw), err)
	}
	if ok, err := checkAuthenticationValue(key, av, in); !ok || err != nil {
		t.Fatalf("own value refused: %v", err)
	}
	// Leading zeros of the amount do not matter; every other field does.
	zeros := in
	zeros.Amount = "0005000"
	if ok, _ := checkAuthenticationValue(key, av, zeros); !ok {
		t.Errorf("amount with leading zeros refused")
	}
	changes := map[string]func(*avInput){
		"PAN": func(i *avInput) { i.PAN = "3540000000000027" }, "amount": func(i *avInput) { i.Amount = "5001" },
		"currency": func(i *avInput) { i.Currency = "840" }, "date": func(i *avInput) { i.PurchaseDate = "20261125010204" },
		"status": func(i *avInput) { i.TransStatus = "A" }, "ECI": func(i *avInput) { i.ECI = "06" },
		"acsTransID": func(i *avInput) { i.ACSTransID = "e7c1ee99-9478-44a6-b1f2-391e29c6b340" },
	}
	for name, change := range changes {
		other := in
		change(&other)
		if ok, _ := checkAuthenticationValue(key, av, other); ok {
			t.Errorf("value accepted with another %s", name)
		}
	}
	if ok, _ := checkAuthenticationValue(AVKeyring{Version: 3, Keys: map[int][]byte{3: bytes.Repeat([]byte{8}, 32)}}, av, in); ok {
		t.Errorf("value accepted under another key")
	}
	// After a rotation the value names its key version: it verifies while that key is listed as old,
	// and is unknown once it is removed.
	rotated := AVKeyring{Version: 4, Keys: map[int][]byte{4: bytes.Repeat([]byte{9}, 32), 3: raw7}}
	if ok, err := checkAuthenticationValue(rotated, av, in); !ok || err != nil {
		t.Errorf("value under an old key refused: %v", err)
	}
	if _, err := checkAuthenticationValue(AVKeyring{Version: 4, Keys: map[int][]byte{4: raw7}}, av, in); err != ErrAVKeyVersion {
		t.Errorf("value under a removed key version: %v, want ErrAVKeyVersion", err)
	}
	if _, err := checkAuthenticationValue(key, "short", in); err != errAVFormat {
		t.Errorf("malformed value: %v", err)
	}
	// Known answers, computed independently from the documented layouts (UN = 01 02 03 04).
	if got := encodeAV(raw7, 3, in, []byte{1, 2, 3, 4}); got != "AgMBAgMEsrv31DWRvW9DBsozsak=" {
		t.Errorf("layout 2 changed: %s", got)
	}
	// Layout 1 values (made before key versions) still verify under key version 1.
	v1 := "AQECAwQnq8zQfSEPFDbtE+rIwxk="
	if ok, err := checkAuthenticationValue(AVKeyring{Version: 2, Keys: map[int][]byte{1: raw7, 2: bytes.Repeat([]byte{9}, 32)}}, v1, in); !ok || err != nil {
		t.Errorf("layout 1 value refused: %v", err)
	}
}
