package acs_test

import (
	"log/slog"
	"testing"
	"time"

	"honnin/app/acs"
	"honnin/db"
	"honnin/tests/testkit"
)

// While a node's outbox worker runs, an ending writes its RReq claimed by the node (first attempt
// counted, hidden from the other nodes for the lease) and the node sends it at once: each is sent
// once, and neither the worker's rounds nor another node send it again. An ending whose node stops
// before sending leaves its RReq to the other nodes after the lease; one on a node whose worker has
// stopped writes its RReq due at once, for any node.
func TestEndingsHandTheirRReqToTheirNode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		got := acs.EndingsAroundTheOutboxWorker(t, testkit.OpenDBWithLog(t, b, slog.New(slog.DiscardHandler)))
		now := db.Now()
		const lease = 2 * time.Minute // the outbox's
		for i, name := range []string{"the right answer", "the cancel"} {
			if m := got[i]; m.Sent != 1 || m.Row.DeliveredAt == nil || m.Row.Attempts != 1 || m.Row.LastError != "" {
				t.Errorf("%s: sent %d times, stored %+v; want sent once, delivered at its first attempt", name, m.Sent, m.Row)
			}
			// Delivered on the lease its ending wrote: no claim came after the commit.
			if m := got[i]; !m.Row.NextAttemptAt.Equal(m.Ended.Add(lease)) {
				t.Errorf("%s: the RReq's lease ends at %v, want its ending's time %v plus the lease", name, m.Row.NextAttemptAt, m.Ended)
			}
		}
		if m := got[2]; m.Sent != 0 || m.Row.DeliveredAt != nil || m.Row.Attempts != 1 || !m.Row.NextAttemptAt.Equal(m.Ended.Add(lease)) {
			t.Errorf("the ending of a node that stopped before sending: sent %d times, stored %+v; want unsent, claimed for the lease", m.Sent, m.Row)
		}
		if m := got[3]; m.Sent != 0 || m.Row.DeliveredAt != nil || m.Row.Attempts != 0 || m.Row.NextAttemptAt.After(now) {
			t.Errorf("the ending after the worker stopped: sent %d times, stored %+v; want unsent and due at once", m.Sent, m.Row)
		}
	})
}

// An ending whose caller did not learn whether it committed (a cancelled request) makes its RReq, if
// stored, due at once for any node instead of leaving it for the lease; the RReq of another node's
// ending of the same challenge (its own lease) is left as it is.
func TestEndingCutShortMakesItsRReqDue(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		before := db.Now()
		other, own := acs.EndingCutShort(t, testkit.OpenDBWithLog(t, b, slog.New(slog.DiscardHandler)))
		if other.NextAttemptAt.Before(before.Add(time.Minute)) {
			t.Errorf("another ending's RReq was made due: next attempt %v", other.NextAttemptAt)
		}
		if own.NextAttemptAt.After(db.Now()) || own.DeliveredAt != nil || own.Attempts != 1 {
			t.Errorf("the ending's own RReq: %+v, want due at once", own)
		}
	})
}

// A node sends at most a batch of the RReqs its endings hand it at once (beside its worker's own
// batch): against a Directory Server that hangs, the endings past that give their RReqs back to the
// worker rather than each holding a goroutine and a connection for the server's timeout. Once the
// server answers, every RReq is delivered, each once.
func TestHandOffSendsAtMostABatch(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		n := acs.OutboxBatch*2 + 5
		held, sent := acs.HandOffPastItsBound(t, testkit.OpenDBWithLog(t, b, slog.New(slog.DiscardHandler)), n)
		if held > 2*acs.OutboxBatch {
			t.Errorf("the Directory Server held %d RReqs at once, want at most %d (the hand-off's batch and the worker's)", held, 2*acs.OutboxBatch)
		}
		for i, k := range sent {
			if k != 1 {
				t.Errorf("ending %d: its RReq was sent %d times, want once", i, k)
			}
		}
	})
}
