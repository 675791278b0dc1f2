package acs

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestAuthenticationValue(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	in := avInput{PAN: "3540000000000019", Amount: "5000", Currency: "392", PurchaseDate: "20261125010203",
		TransStatus: "Y", ECI: "05", ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340"}
	av, err := authenticationValue(key, in)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(av)
	if len(av) != 28 || err != nil || len(raw) != 20 || raw[0] != avLayoutVersion {
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
	if ok, _ := checkAuthenticationValue(bytes.Repeat([]byte{8}, 32), av, in); ok {
		t.Errorf("value accepted under another key")
	}
	if _, err := checkAuthenticationValue(key, "short", in); err != errAVFormat {
		t.Errorf("malformed value: %v", err)
	}
	// Known answer, computed independently from the documented layout (UN = 01 02 03 04).
	if got := encodeAV(key, in, []byte{1, 2, 3, 4}); got != "AQECAwQnq8zQfSEPFDbtE+rIwxk=" {
		t.Errorf("layout changed: %s", got)
	}
}
