package testkit

import (
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// TCPProxy forwards loopback TCP connections to a target, so that a test can take the target away
// from ONE Honnin (its database, say) without touching the shared server behind it.
//
//   - Cut: existing connections are reset and new ones are accepted and reset at once, as when the
//     server is down or restarting.
//   - Stall: nothing is forwarded any more and nothing is answered, as in a network partition: the
//     peer sees neither data nor an error.
//   - Pause: nothing is forwarded for a while, but nothing is lost either, as when the database's disk
//     stalls: on Restore whatever waited is delivered and the connections go on.
//   - Restore: new connections are forwarded again (connections from a Stall are reset, as a
//     partitioned connection would be dead by then).
//   - Delay: everything is forwarded, late, as to a database far away: each round trip takes longer
//     by the same time whatever the load, so that a test can bound what the database sustains.
type TCPProxy struct {
	// Addr is the proxy's host:port on loopback.
	Addr   string
	target string
	ln     net.Listener

	mu       sync.Mutex
	mode     proxyMode
	delay    time.Duration // added to every forwarded chunk, in either direction
	restored chan struct{} // closed on Restore; what stalled copies wait for
	conns    map[net.Conn]struct{}
	accepted int
	wg       sync.WaitGroup
}

type proxyMode int

const (
	proxyOpen proxyMode = iota
	proxyCut
	proxyStalled
	proxyPaused
)

// NewTCPProxy listens on a loopback port and forwards to target (host:port). It stops when the test ends.
func NewTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	p, err := StartTCPProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartTCPProxy is NewTCPProxy outside a test (the bench's stall drill): the caller closes it.
func StartTCPProxy(target string) (*TCPProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &TCPProxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}, restored: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// ProxyDatabase returns a proxy in front of a PostgreSQL URL's host and the same URL pointed at the proxy.
func ProxyDatabase(t testing.TB, databaseURL string) (*TCPProxy, string) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil || u.Host == "" {
		t.Fatalf("not a database URL with a host: %v", redact(databaseURL))
	}
	p := NewTCPProxy(t, u.Host)
	u.Host = p.Addr
	return p, u.String()
}

// Cut resets every connection and refuses (resets) new ones until Restore.
func (p *TCPProxy) Cut() {
	p.mu.Lock()
	p.mode = proxyCut
	conns := p.takeConns()
	p.mu.Unlock()
	for _, c := range conns {
		reset(c)
	}
}

// Stall stops forwarding: established and new connections stay open but nothing passes either way.
func (p *TCPProxy) Stall() {
	p.mu.Lock()
	p.mode = proxyStalled
	p.mu.Unlock()
}

// Pause holds everything back, in both directions and on new connections, until Restore delivers it.
func (p *TCPProxy) Pause() {
	p.mu.Lock()
	p.mode = proxyPaused
	p.mu.Unlock()
}

// Delay forwards what each side sends d after it was read (0: at once again), on every connection.
func (p *TCPProxy) Delay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Restore forwards new connections again.
func (p *TCPProxy) Restore() {
	p.mu.Lock()
	var conns []net.Conn
	if p.mode == proxyStalled {
		conns = p.takeConns()
	}
	p.mode = proxyOpen
	close(p.restored)
	p.restored = make(chan struct{})
	p.mu.Unlock()
	for _, c := range conns {
		reset(c)
	}
}

// Accepted is how many connections the proxy has accepted so far, refused and stalled ones included.
func (p *TCPProxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *TCPProxy) takeConns() []net.Conn {
	var out []net.Conn
	for c := range p.conns {
		out = append(out, c)
	}
	clear(p.conns)
	return out
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST rather than FIN: the peer learns at once
	}
	_ = c.Close()
}

func (p *TCPProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode, restored := p.mode, p.restored
		p.accepted++
		p.mu.Unlock()
		switch mode {
		case proxyCut:
			reset(client)
			continue
		case proxyStalled:
			p.track(client)
			go func() { <-restored; reset(client) }()
			continue
		case proxyPaused:
			<-restored
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			reset(client)
			continue
		}
		p.track(client, server)
		p.wg.Add(2)
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

func (p *TCPProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

// pipe copies from src to dst until either ends, each chunk the proxy's delay after it was read; while
// the proxy is stalled, whatever arrives is held back (never delivered) until the connection is reset;
// while it is paused, until Restore.
func (p *TCPProxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
		reset(src)
		reset(dst)
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			read := time.Now()
			p.mu.Lock()
			mode, restored, delay := p.mode, p.restored, p.delay
			p.mu.Unlock()
			time.Sleep(time.Until(read.Add(delay)))
			switch mode {
			case proxyStalled:
				<-restored
				return
			case proxyPaused:
				<-restored
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF or a reset: the other side goes too
			return
		}
	}
}

// Close stops the proxy and resets every connection.
func (p *TCPProxy) Close() {
	_ = p.ln.Close()
	p.Restore()
	p.Cut()
	p.wg.Wait()
}
