// Package promtest starts real Prometheus servers holding known series, for
// tests of code that talks to the Prometheus HTTP API.
//
// A server is filled by backfilling OpenMetrics text with promtool and then
// running the prometheus binary on the resulting data directory. Both
// binaries come from the Debian/Ubuntu package "prometheus"; when they are
// missing, Start skips the test, or fails it when the environment variable
// AUTOREPLAY_REQUIRE_PROMETHEUS is non-empty.
package promtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Username and Password are the only credentials a Server with basic auth
// accepts: the web config needs a bcrypt hash of the password, and the
// package holds one for Password only.
const (
	Username = "capture"
	Password = "capture-test-password"
)

// passwordHash is the bcrypt hash (cost 4) of Password.
const passwordHash = "$2a$04$aY/PQ.22uxkUVWC7OOLi6OmPHMR1eKKwSEFbBWA9kjVp6.dc02lTi"

// requireEnv is the environment variable that turns a skip for missing
// binaries into a test failure.
const requireEnv = "AUTOREPLAY_REQUIRE_PROMETHEUS"

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 5 * time.Second
	portAttempts = 3
	tailLines    = 50
)

const installHint = "prometheus and promtool are not on PATH; " +
	"install them with \"apt-get install prometheus\" on Debian/Ubuntu"

// Available reports whether prometheus and promtool are on PATH.
func Available() bool {
	for _, name := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(name); err != nil {
			return false
		}
	}
	return true
}

// requireBinaries skips t, or fails it when requireEnv is set, unless both
// binaries are on PATH.
func requireBinaries(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	if os.Getenv(requireEnv) != "" {
		t.Fatal(installHint + " (" + requireEnv + " is set, so this is a failure, not a skip)")
	}
	t.Skip(installHint)
}

// Options describe a server.
type Options struct {
	// OpenMetrics is the data to backfill, in OpenMetrics text format (must
	// end with "# EOF\n"). Timestamps are in seconds. When empty, the server
	// starts with no data.
	OpenMetrics string
	// Username and Password, when Username is set, make the server require
	// HTTP basic auth through its own --web.config.file (basic_auth_users
	// with a bcrypt hash). Password must be the package constant Password.
	Username, Password string
	// TLS makes the server serve HTTPS with a fresh self-signed certificate
	// for 127.0.0.1 (ECDSA P-256, valid 1 day) through --web.config.file
	// tls_server_config.
	TLS bool
}

// Server is a prometheus process started for one test.
type Server struct {
	URL    string // e.g. http://127.0.0.1:PORT or https://127.0.0.1:PORT, no trailing slash
	CAFile string // PEM file of the certificate (TLS only), for clients to trust
}

// Start backfills opt.OpenMetrics with
// `promtool tsdb create-blocks-from openmetrics FILE DATADIR` into a
// t.TempDir() data dir, writes a minimal prometheus.yml (no scrape configs),
// starts `prometheus --config.file=... --storage.tsdb.path=DATADIR
// --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:PORT
// [--web.config.file=...]` on a free loopback port, waits (max 30 s) until
// GET /-/ready answers 200 (using the credentials and CA when set), and stops
// it (SIGTERM, then kill after 5 s, and wait) in t.Cleanup.
//
// When the binaries are missing it calls t.Skip with a message saying how to
// install them, unless the environment variable AUTOREPLAY_REQUIRE_PROMETHEUS
// is non-empty, in which case it calls t.Fatal with that message.
//
// On any failure it calls t.Fatal with the last lines of the command's
// combined output. If prometheus fails because its port was taken, Start
// tries another port, up to 3 times in all.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	if opt.Username != "" && opt.Password != Password {
		t.Fatalf("promtest: promtest only has a bcrypt hash for promtest.Password (%q); got password %q", Password, opt.Password)
	}
	if opt.Username == "" && opt.Password != "" {
		t.Fatal("promtest: Options.Password is set but Options.Username is empty")
	}
	requireBinaries(t)

	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	if opt.OpenMetrics != "" {
		input := filepath.Join(dir, "input.om")
		writeFile(t, input, opt.OpenMetrics)
		cmd := exec.Command("promtool", "tsdb", "create-blocks-from", "openmetrics", input, dataDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtest: %s: %v\n%s", strings.Join(cmd.Args, " "), err, tail(out))
		}
	}

	configFile := filepath.Join(dir, "prometheus.yml")
	writeFile(t, configFile, "# Written by promtest: no scrape configs, data comes from backfilled blocks.\nglobal:\n  scrape_interval: 15s\n")

	srv := &Server{}
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	scheme := "http"
	var webConfig strings.Builder
	if opt.TLS {
		scheme = "https"
		certPEM, keyPEM, err := selfSignedCert()
		if err != nil {
			t.Fatalf("promtest: generating certificate: %v", err)
		}
		certFile := filepath.Join(dir, "cert.pem")
		keyFile := filepath.Join(dir, "key.pem")
		writeFile(t, certFile, string(certPEM))
		writeFile(t, keyFile, string(keyPEM))
		srv.CAFile = certFile
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(certPEM)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		fmt.Fprintf(&webConfig, "tls_server_config:\n  cert_file: %q\n  key_file: %q\n", certFile, keyFile)
	}
	if opt.Username != "" {
		fmt.Fprintf(&webConfig, "basic_auth_users:\n  %q: %q\n", opt.Username, passwordHash)
	}

	args := []string{
		"--config.file=" + configFile,
		"--storage.tsdb.path=" + dataDir,
		"--storage.tsdb.retention.time=100y",
	}
	if webConfig.Len() > 0 {
		webConfigFile := filepath.Join(dir, "web.yml")
		writeFile(t, webConfigFile, webConfig.String())
		args = append(args, "--web.config.file="+webConfigFile)
	}

	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("promtest: finding a free port: %v", err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		srv.URL = scheme + "://" + addr
		p, err := startProcess(append(args, "--web.listen-address="+addr))
		if err != nil {
			t.Fatalf("promtest: starting prometheus: %v", err)
		}
		err = p.waitReady(client, srv.URL+"/-/ready", opt.Username, opt.Password)
		if err == nil {
			t.Cleanup(func() { p.stop(t) })
			return srv
		}
		p.stop(nil)
		out := p.out.Bytes()
		if errors.Is(err, errExited) && bytes.Contains(out, []byte("address already in use")) && attempt < portAttempts {
			continue
		}
		t.Fatalf("promtest: prometheus %s: %v\n%s", strings.Join(p.cmd.Args[1:], " "), err, tail(out))
	}
}

// errExited is returned by waitReady when prometheus exits before it is ready.
var errExited = errors.New("prometheus exited before becoming ready")

// process is a running prometheus.
type process struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{} // closed when cmd.Wait returns
	waitErr error         // set before done is closed
	stopped sync.Once
}

// startProcess starts prometheus with args, collecting its output.
func startProcess(args []string) (*process, error) {
	p := &process{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command("prometheus", args...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls url until it answers 200, the process exits, or
// readyTimeout passes.
func (p *process) waitReady(client *http.Client, url, user, pass string) error {
	deadline := time.Now().Add(readyTimeout)
	var last string
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%w: %v", errExited, p.waitErr)
		default:
		}
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
			if resp.StatusCode == http.StatusUnauthorized {
				// The web config is loaded before the listener starts, so
				// this will not change.
				return errors.New(last)
			}
		} else {
			var certErr *tls.CertificateVerificationError
			if errors.As(err, &certErr) {
				return err
			}
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v (last attempt: %s)", readyTimeout, last)
		}
		select {
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM, kills the process if it has not exited after
// stopTimeout, and waits for it. When t is not nil and the process had
// already exited on its own, its output is logged.
func (p *process) stop(t testing.TB) {
	p.stopped.Do(func() {
		select {
		case <-p.done:
			if t != nil {
				t.Logf("promtest: prometheus exited before the end of the test (%v):\n%s", p.waitErr, tail(p.out.Bytes()))
			}
			return
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			if t != nil {
				t.Logf("promtest: prometheus did not stop within %v of SIGTERM and was killed:\n%s", stopTimeout, tail(p.out.Bytes()))
			}
		}
	})
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends b to the buffer.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of the buffer's contents.
func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// tail returns the last tailLines lines of out.
func tail(out []byte) string {
	s := strings.TrimRight(string(out), "\n")
	if s == "" {
		return "(no output)"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > tailLines {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines omitted)", len(lines)-tailLines)}, lines[len(lines)-tailLines:]...)
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeFile writes content to path or fails t.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("promtest: %v", err)
	}
}

// selfSignedCert returns a PEM certificate and PEM private key for
// 127.0.0.1 (and localhost), ECDSA P-256, valid for one day.
func selfSignedCert() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "127.0.0.1", Organization: []string{"promtest"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
