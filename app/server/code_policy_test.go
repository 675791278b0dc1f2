package server

import (
	"context"
	"errors"
	"testing"

	"honnin/app/config"
	"honnin/app/credentials"
	"honnin/db"
)

// Outside demo mode a code policy without a mail server stops the start; the password policy, demo
// mode or a mail server let it go on.
func TestRefuseCodesWithoutMail(t *testing.T) {
	gdb, err := db.Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	production, demo, withMail := config.Config{}, config.Config{Demo: true}, config.Config{SMTP: config.SMTP{Host: "mail.example.jp"}}
	if err := refuseCodesWithoutMail(ctx, production, gdb); err != nil {
		t.Errorf("the password policy: %v", err)
	}
	if _, err := credentials.StoreCodePolicy(gdb.WithContext(ctx), credentials.PolicyPasswordCode); err != nil {
		t.Fatal(err)
	}
	var cfgErr *config.Error
	if err := refuseCodesWithoutMail(ctx, production, gdb); !errors.As(err, &cfgErr) || cfgErr.Var != "HONNIN_SMTP_URL" {
		t.Errorf("codes without a mail server: %v", err)
	}
	for _, c := range []config.Config{demo, withMail} {
		if err := refuseCodesWithoutMail(ctx, c, gdb); err != nil {
			t.Errorf("%+v: %v", c.SMTP, err)
		}
	}
}
