// Package demo is the demo shop (a 3DS Requestor with its 3DS Server) and a Directory Server
// simulator, so that anyone can try Honnin's 3DS Method, risk decisions and challenge end to end and the
// browser tests can drive it. It talks to the ACS over HTTP, as a real shop and Directory Server would;
// only the result page looks behind the scenes, at the decision the ACS stored. Demo mode only.
package demo

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/config"
	seed "honnin/app/demodata"
	"honnin/app/emv"
	"honnin/app/mail"
	"honnin/db"
)

// Deps are what the demo needs.
type Deps struct {
	DB     *gorm.DB
	Config config.Config
	Log    *slog.Logger
	// Notices is the outbox the demo mailbox shows.
	Notices *mail.Outbox
}

// Shop serves the demo shop and the Directory Server simulator.
type Shop struct {
	Deps
	client *http.Client

	rangesMu sync.Mutex
	ranges   []emv.CardRangeData // the Directory Server's card ranges, as of rangesAt
	rangesAt time.Time
}

// New returns the demo face.
func New(d Deps) *Shop {
	return &Shop{Deps: d, client: &http.Client{Timeout: 10 * time.Second}}
}

// Register adds the demo routes to the public listener.
func (s *Shop) Register(e *echo.Echo) {
	e.GET("/demo/shop", s.shop)
	e.POST("/demo/shop/checkout", s.checkout)
	e.POST("/demo/shop/method-notify", s.methodNotify)
	e.POST("/demo/shop/authenticate", s.authenticate)
	e.POST("/demo/shop/notify", s.notify)
	e.GET("/demo/shop/result/:tx", s.result)
	e.POST("/demo/ds/results", s.dsResults)
	e.GET("/demo/mail", s.mailbox)
	e.POST("/demo/ds/preq", s.dsPReq)
}

// DemoCard is a card the shop offers, with what the demo data makes of it.
type DemoCard struct {
	PAN      string
	LabelKey string
}

// Cards are the demo cards on the checkout page, in the order shown.
var Cards = []DemoCard{
	{seed.YamadaJCB, "demo.card.yamada_jcb"},
	{seed.YamadaVisa, "demo.card.yamada_visa"},
	{seed.TanakaJCB, "demo.card.tanaka_jcb"},
	{seed.TanakaVisa, "demo.card.tanaka_visa"},
	{seed.SuzukiJCB, "demo.card.suzuki_jcb"},
	{seed.SatoVisa, "demo.card.sato_visa"},
	{seed.UnregJCB, "demo.card.unreg_jcb"},
	{seed.StolenJCB, "demo.card.stolen_jcb"},
}

// demoExpiry is the demo data's expiry of a demo card: the shopper would type it from the card.
func demoExpiry(pan string) string {
	for _, r := range seed.Cards {
		if r.PAN.Digits() == pan {
			return r.Expiry
		}
	}
	return ""
}

// brandOf names a demo card's brand for its label.
func brandOf(pan string) string {
	if len(pan) > 0 && pan[0] == '4' {
		return db.BrandVisa
	}
	return db.BrandJCB
}
