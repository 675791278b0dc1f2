package testkit

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line and reads the answer, giving up after wait.
func roundTrip(c net.Conn, wait time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestTCPProxy(t *testing.T) {
	p := NewTCPProxy(t, echoServer(t))
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	before := dial()
	if got, err := roundTrip(before, 5*time.Second); got != "ping\n" {
		t.Fatalf("forwarding: %q %v", got, err)
	}

	p.Cut()
	if _, err := roundTrip(before, 5*time.Second); err == nil {
		t.Errorf("an established connection still works after Cut")
	}
	// A new connection is reset at once: during connect, or at the first read.
	if c, err := net.Dial("tcp", p.Addr); err == nil {
		if _, err := roundTrip(c, 5*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("a new connection after Cut: %v; want it reset at once", err)
		}
		c.Close()
	}

	p.Restore()
	open := dial()
	if got, err := roundTrip(open, 5*time.Second); got != "ping\n" {
		t.Fatalf("after Restore: %q %v", got, err)
	}

	p.Stall()
	if _, err := roundTrip(open, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("an established connection while stalled: %v; want silence", err)
	}
	if _, err := roundTrip(dial(), 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a new connection while stalled: %v; want silence", err)
	}
	p.Restore()
	if got, err := roundTrip(dial(), 5*time.Second); got != "ping\n" {
		t.Fatalf("after the stall: %q %v", got, err)
	}
	if p.Accepted() != 5 {
		t.Errorf("Accepted() = %d, want 5", p.Accepted())
	}
}

// A pause delays, it does not lose: what was sent during it arrives after Restore, on the same
// connection.
func TestTCPProxyPause(t *testing.T) {
	p := NewTCPProxy(t, echoServer(t))
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := c.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadString('\n'); got != "one\n" {
		t.Fatalf("forwarding: %q %v", got, err)
	}
	p.Pause()
	if _, err := c.Write([]byte("two\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if got, err := r.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("while paused: %q %v; want silence", got, err)
	}
	p.Restore()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := r.ReadString('\n'); got != "two\n" {
		t.Errorf("after the pause: %q %v; want the held line", got, err)
	}
}

// Delay makes every round trip at least twice the delay longer, and delivers everything.
func TestTCPProxyDelay(t *testing.T) {
	p := NewTCPProxy(t, echoServer(t))
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const d = 50 * time.Millisecond
	p.Delay(d)
	began := time.Now()
	if got, err := roundTrip(c, 5*time.Second); got != "ping\n" {
		t.Fatalf("forwarding with a delay: %q %v", got, err)
	}
	if took := time.Since(began); took < 2*d {
		t.Errorf("a round trip with a delay of %v each way took %v", d, took)
	}
	p.Delay(0)
	if got, err := roundTrip(c, 5*time.Second); got != "ping\n" {
		t.Fatalf("forwarding after the delay: %q %v", got, err)
	}
}
