package member

import (
	"context"
	"testing"
	"time"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/db"
)

// trustFixture gives yamada01's JCB a known device, an expired device and a trusted shop, and
// suzuki02's card a device of its own.
func trustFixture(t *testing.T, f *fixture) (known, expired, shop, othersDevice uint) {
	t.Helper()
	now := db.Now()
	yamada, suzuki := f.card(t, demodata.YamadaJCB), f.card(t, demodata.SuzukiJCB)
	rows := []any{
		&db.KnownDevice{CardID: yamada.ID, DeviceHash: "a", Label: "Chrome on Android", ExpiresAt: now.Add(24 * time.Hour), LastUsedAt: now},
		&db.KnownDevice{CardID: yamada.ID, DeviceHash: "b", Label: "Old phone", ExpiresAt: now.Add(-time.Hour), LastUsedAt: now.Add(-100 * 24 * time.Hour)},
		&db.TrustedMerchant{CardID: yamada.ID, MerchantKey: "123456:shop", MerchantName: "静岡茶園"},
		&db.KnownDevice{CardID: suzuki.ID, DeviceHash: "c", Label: "Safari on iPhone", ExpiresAt: now.Add(24 * time.Hour), LastUsedAt: now},
	}
	for _, r := range rows {
		if err := f.DB.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	return rows[0].(*db.KnownDevice).ID, rows[1].(*db.KnownDevice).ID, rows[2].(*db.TrustedMerchant).ID, rows[3].(*db.KnownDevice).ID
}

func TestMemberTrust(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	known, _, shop, _ := trustFixture(t, f)
	m := f.member(t, "yamada01")
	cards, err := MemberTrust(ctx, f.DB, m.ID, db.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 {
		t.Fatalf("%d cards, want yamada01's 2", len(cards))
	}
	jcb := cards[0]
	if len(jcb.Devices) != 1 || jcb.Devices[0].ID != known || jcb.Devices[0].Label != "Chrome on Android" {
		t.Errorf("devices %+v: want the known one only (the expired one no longer counts)", jcb.Devices)
	}
	if len(jcb.Shops) != 1 || jcb.Shops[0].ID != shop || jcb.Shops[0].Name != "静岡茶園" {
		t.Errorf("shops %+v", jcb.Shops)
	}
	if len(cards[1].Devices)+len(cards[1].Shops) != 0 {
		t.Errorf("the Visa card shows %+v", cards[1])
	}
}

func TestRemoveTrust(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	known, _, shop, othersDevice := trustFixture(t, f)
	m := f.member(t, "yamada01")
	from := credentials.Origin{IP: "192.0.2.9", UserAgent: "test"}
	tests := []struct {
		name    string
		kind    string
		id      uint
		removed bool
	}{
		{"another member's device", TrustDevice, othersDevice, false},
		{"unknown kind", "card", known, false},
		{"own device", TrustDevice, known, true},
		{"own device again", TrustDevice, known, false},
		{"own shop", TrustShop, shop, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			removed, err := RemoveTrust(ctx, f.DB, m.ID, tt.kind, tt.id, from)
			if err != nil || removed != tt.removed {
				t.Fatalf("removed %v, %v; want %v", removed, err, tt.removed)
			}
		})
	}
	var left int64
	f.DB.Model(&db.KnownDevice{}).Where("id = ?", othersDevice).Count(&left)
	if left != 1 {
		t.Error("another member's device was removed")
	}
	var evs []db.AuthEvent
	f.DB.Where("member_id = ? AND kind = ?", m.ID, db.EventTrustChange).Order("id").Find(&evs)
	if len(evs) != 2 || evs[0].Detail != "device removed" || evs[1].Detail != "shop removed" || evs[0].CardID == nil || evs[0].IP != from.IP {
		t.Fatalf("history events %+v", evs)
	}
}
