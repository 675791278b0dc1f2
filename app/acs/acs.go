// Package acs is Honnin's embedded Access Control Server for EMV 3-D Secure 2.1.0 and 2.2.0 (browser
// channel): the AReq decision, the challenge page, the CRes, the RReq outbox, expiry, and the check of
// authentication values for the issuer's authorisation system. One file per action.
package acs

import (
	"context"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/app/credentials"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
)

// Deps are what the ACS needs.
type Deps struct {
	DB       *gorm.DB
	Config   config.Config
	Log      *slog.Logger
	Sealer   *security.Sealer
	Hasher   *security.Hasher
	AVKey    AVKeyring
	Registry *prometheus.Registry
	// DSAuth authenticates the AReq endpoint's callers; nil lets every caller in as OpenDS.
	DSAuth DSAuthenticator
	// Checker is the one credential check and lockout, shared with the portal.
	Checker *credentials.Checker
	// Risk gives the risk rules in force; nil means the default rules.
	Risk risk.Source
	// Notices writes the member's mails about the ACS's own events (a new trusted device or shop, a
	// frictionless purchase above the member's amount); nil sends none (unit tests).
	Notices *mail.Outbox
}

// ACS serves the protocol endpoints and the challenge pages.
type ACS struct {
	Deps
	kick chan struct{} // wakes the outbox deliverer after a result was written
	// handOff delivers the RReqs of this node's endings.
	handOff handOff
	m       metrics
	client  httpDoer
	writes  *areqWrites
	// policies is the issuer's code policy as this node knows it: the AReq path reads it from memory.
	policies *credentials.PolicyCache
	gate     *areqGate
	// failureLog keeps a stalled database's failed AReqs, and an overload's refusals, to a line a
	// second per kind.
	failureLog db.LogLimit
}

// New returns the ACS.
func New(d Deps) *ACS {
	if d.Risk == nil {
		d.Risk = risk.Static(risk.DefaultRules())
	}
	a := &ACS{
		Deps:   d,
		kick:   make(chan struct{}, 1),
		m:      newMetrics(),
		client: newDSClient(),
		writes: newAReqWrites(d.DB, d.Config.AReqLimitWindow),
		// The handle's cache: the server's worker reloads it, the console's change marks it.
		policies: credentials.Policies(d.DB, d.Log),
	}
	a.failureLog.Every = time.Second
	a.gate = newAReqGate(areqInFlight(d.DB), readSlots(d.DB), d.Config.AReqTimeout)
	if d.Registry != nil {
		d.Registry.MustRegister(a.m.collectors()...)
		d.Registry.MustRegister(newOutboxCollector(a))
	}
	return a
}

// readSlots is how many AReqs may read their card at once: half the pool, so that the group commits'
// flushers and the other requests always find a connection.
func readSlots(gdb *gorm.DB) int {
	if gdb == nil {
		return 1
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return 1
	}
	return max(1, sqlDB.Stats().MaxOpenConnections/2)
}

// Register adds the ACS routes: the protocol, 3DS Method and challenge endpoints on the public
// listener, the authentication-value check and the card ranges on the internal one.
func (a *ACS) Register(public, internal *echo.Echo) {
	public.POST("/3ds/areq", a.areq)
	public.POST("/3ds/method", a.method)
	public.POST("/3ds/method/data", a.methodData)
	public.POST("/3ds/challenge", a.challenge)
	public.POST("/3ds/challenge/submit", a.challengeSubmit)
	internal.POST("/internal/av/verify", a.avVerify)
	internal.GET("/internal/cards/ranges", a.cardRanges)
}

// Workers are the ACS's background loops: the expiry sweeper and the RReq deliverer.
func (a *ACS) Workers() []func(context.Context) {
	return []func(context.Context){a.runSweeper, a.runOutbox}
}

// signal wakes the outbox deliverer without blocking.
func (a *ACS) signal() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}
