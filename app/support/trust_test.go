package support

import (
	"context"
	"errors"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
)

func TestResetCardTrust(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var card, other db.Card
	f.DB.Where("pan_hash = ?", f.Sealer.PANHash(security.PAN(demodata.YamadaJCB))).Take(&card)
	f.DB.Where("pan_hash = ?", f.Sealer.PANHash(security.PAN(demodata.SuzukiJCB))).Take(&other)
	now := db.Now()
	for _, r := range []any{
		&db.KnownDevice{CardID: card.ID, DeviceHash: "a", ExpiresAt: now.Add(time.Hour), LastUsedAt: now},
		&db.KnownDevice{CardID: card.ID, DeviceHash: "b", ExpiresAt: now.Add(time.Hour), LastUsedAt: now},
		&db.TrustedMerchant{CardID: card.ID, MerchantKey: "1:2", MerchantName: "静岡茶園"},
		&db.KnownDevice{CardID: other.ID, DeviceHash: "c", ExpiresAt: now.Add(time.Hour), LastUsedAt: now},
	} {
		if err := f.DB.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	member := *card.MemberID

	shown, err := CardTrust(ctx, f.DB, []db.Card{card, other}, now)
	if err != nil || len(shown) != 2 || len(shown[0].Devices) != 2 || len(shown[0].Shops) != 1 || len(shown[1].Devices) != 1 {
		t.Fatalf("trust shown %+v, %v", shown, err)
	}

	if err := ResetCardTrust(ctx, f.DB, actor(db.RoleAgent), member, card.ID, ""); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("reset without a reason: %v", err)
	}
	if err := ResetCardTrust(ctx, f.DB, actor(db.RoleAgent), member, other.ID, "lost phone"); !errors.Is(err, ErrNoCard) {
		t.Fatalf("reset of another member's card: %v", err)
	}
	if err := ResetCardTrust(ctx, f.DB, actor(db.RoleAgent), member, card.ID, "lost phone"); err != nil {
		t.Fatal(err)
	}
	var devices, shops int64
	f.DB.Model(&db.KnownDevice{}).Where("card_id = ?", card.ID).Count(&devices)
	f.DB.Model(&db.TrustedMerchant{}).Where("card_id = ?", card.ID).Count(&shops)
	if devices+shops != 0 {
		t.Fatalf("%d devices and %d shops left", devices, shops)
	}
	f.DB.Model(&db.KnownDevice{}).Where("card_id = ?", other.ID).Count(&devices)
	if devices != 1 {
		t.Fatal("another card's device was removed")
	}
	var ev db.AuditEvent
	if err := f.DB.Where("action = ?", ActionResetTrust).Take(&ev).Error; err != nil {
		t.Fatal(err)
	}
	if ev.Reason != "lost phone" || ev.TargetCardID == nil || *ev.TargetCardID != card.ID || *ev.TargetMemberID != member {
		t.Fatalf("audit %+v", ev)
	}
	if got := AuditDetailText(i18n.JA, ev.Action, ev.Detail); got != "JCB "+security.MaskBINLast4(card.BIN, card.Last4, card.PANLength)+": 端末2台、お店1件を削除" {
		t.Fatalf("audit detail reads %q (stored %q)", got, ev.Detail)
	}
}
