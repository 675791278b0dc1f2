package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"honnin/app/support"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestPortalAndSupportTrustLists: the member sees the devices that passed 3-D Secure and the shops
// they trust, per card, and removes them (never another member's); support sees them on the account
// and resets a card's lists with a reason, audited.
func TestPortalAndSupportTrustLists(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		_, jcb := cardField(t, app, "0019") // yamada01's JCB
		var suzukiCard db.Card
		if err := app.DB.Joins("JOIN members ON members.id = cards.member_id").Where("members.login_id = ?", "suzuki02").Take(&suzukiCard).Error; err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		phone := db.KnownDevice{CardID: jcb.ID, DeviceHash: strings.Repeat("a", 64), Label: "Chrome on Android", ExpiresAt: now.Add(90 * 24 * time.Hour), LastUsedAt: now}
		tablet := db.KnownDevice{CardID: jcb.ID, DeviceHash: strings.Repeat("b", 64), Label: "Safari on iPad", ExpiresAt: now.Add(30 * 24 * time.Hour), LastUsedAt: now.Add(-time.Hour)}
		expired := db.KnownDevice{CardID: jcb.ID, DeviceHash: strings.Repeat("c", 64), Label: "Firefox on Windows", ExpiresAt: now.Add(-time.Minute), LastUsedAt: now.Add(-91 * 24 * time.Hour)}
		shop := db.TrustedMerchant{CardID: jcb.ID, MerchantKey: "123456:tea", MerchantName: "静岡茶園オンライン"}
		others := db.KnownDevice{CardID: suzukiCard.ID, DeviceHash: strings.Repeat("d", 64), Label: "Edge on Windows", ExpiresAt: now.Add(time.Hour), LastUsedAt: now}
		for _, row := range []any{&phone, &tablet, &expired, &shop, &others} {
			if err := app.DB.Create(row).Error; err != nil {
				t.Fatal(err)
			}
		}

		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Get("/my/threeds")
		if !strings.Contains(u.Last, `href="/my/trust"`) {
			t.Error("the 3-D Secure page has no link to the devices and shops")
		}
		u.Get("/my/trust")
		sees(t, u, ja("trust.title"), ja("trust.devices"), "Chrome on Android", "Safari on iPad", ja("trust.shops"), "静岡茶園オンライン",
			"JCB **** 0019", "Visa **** 0010", ja("trust.shops.none"))
		doesNotSee(t, u, "Firefox on Windows", "Edge on Windows")

		// Removing the phone: it is gone, the tablet stays, and support will see that the member did it.
		u.Submit("/my/trust/remove", url.Values{"kind": {"device"}, "id": {itoa(phone.ID)}})
		at(t, u, "/my/trust")
		sees(t, u, ja("trust.removed.device"), "Safari on iPad")
		doesNotSee(t, u, "Chrome on Android")

		// Another member's device cannot be removed by naming its number.
		u.Submit("/my/trust/remove", url.Values{"kind": {"device"}, "id": {itoa(others.ID)}})
		sees(t, u, ja("trust.removed.gone"))
		var n int64
		app.DB.Model(&db.KnownDevice{}).Where("id = ?", others.ID).Count(&n)
		if n != 1 {
			t.Fatal("another member's device was removed")
		}
		// Without the CSRF token nothing happens.
		u.Post("/my/trust/remove", url.Values{"kind": {"shop"}, "id": {itoa(shop.ID)}})
		if u.Status != http.StatusForbidden {
			t.Errorf("a forged removal got %d", u.Status)
		}

		// Support sees the lists on the account and resets the card.
		var yamada db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&yamada)
		agent := signInStaff(t, app, "agent01")
		agent.Get("/members/" + itoa(yamada.ID))
		sees(t, agent, en("trust.support.heading"), "Safari on iPad", "静岡茶園オンライン", "1 devices · 1 trusted shops",
			en("support.event.trust_change"), en("support.detail.trust_device_removed"))
		doesNotSee(t, agent, "Chrome on Android", "Edge on Windows")
		reset := "/members/" + itoa(yamada.ID) + "/trust-reset?card=" + itoa(jcb.ID)
		agent.Get(reset)
		sees(t, agent, en("support.action.trust_reset.lead"))
		agent.Submit(reset, url.Values{"reason": {""}})
		if agent.Status != http.StatusUnprocessableEntity {
			t.Fatalf("reset without a reason: %d", agent.Status)
		}
		agent.Submit(reset, url.Values{"reason": {"member lost the tablet"}})
		sees(t, agent, en("support.action.trust_reset.done"), en("trust.support.none_card"))
		var devices, shops int64
		app.DB.Model(&db.KnownDevice{}).Where("card_id = ? AND expires_at > ?", jcb.ID, now).Count(&devices)
		app.DB.Model(&db.TrustedMerchant{}).Where("card_id = ?", jcb.ID).Count(&shops)
		if devices+shops != 0 {
			t.Fatalf("%d devices and %d shops left after the reset", devices, shops)
		}
		evs := auditRows(t, app, support.ActionResetTrust)
		if len(evs) != 1 || evs[0].Reason != "member lost the tablet" || evs[0].StaffLogin != "agent01" ||
			!strings.HasSuffix(evs[0].Detail, ": 2 devices, 1 shops removed") {
			t.Fatalf("audit %+v", evs)
		}

		u.Get("/my/trust")
		sees(t, u, ja("trust.shops.none"))
		doesNotSee(t, u, "Safari on iPad", "静岡茶園オンライン")
	})
}
