package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// temporaryError has the Temporary method that net errors have.
type temporaryError struct{ temp bool }

func (e temporaryError) Error() string   { return fmt.Sprintf("temporary=%v", e.temp) }
func (e temporaryError) Temporary() bool { return e.temp }

// registryAnswer carries an HTTP status the way another package's error
// type would, without HTTPStatusError.
type registryAnswer struct{ code int }

func (e *registryAnswer) Error() string   { return fmt.Sprintf("registry answered %d", e.code) }
func (e *registryAnswer) HTTPStatus() int { return e.code }

// outerStatus is a gRPC status error (code Unknown) that wraps another
// error, as an adapter's wrapper of a daemon's answer may.
type outerStatus struct{ err error }

func (e outerStatus) Error() string              { return "solve: " + e.err.Error() }
func (e outerStatus) Unwrap() error              { return e.err }
func (e outerStatus) GRPCStatus() *status.Status { return status.New(codes.Unknown, e.Error()) }

// multiError wraps several errors without errors.Join, and may hold nil.
type multiError []error

func (m multiError) Error() string   { return "several errors" }
func (m multiError) Unwrap() []error { return m }

func TestIsTransient(t *testing.T) {
	plain := errors.New("pull access denied")
	step := &StepError{Step: "RUN make", Err: errors.New("exit code: 2")}
	refused := dialClosedPort(t)
	reset := readResetConnection(t)
	unavailable := invokeClosedGRPCPort(t)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "plain", err: plain, want: false},
		{name: "marked", err: Transient(plain), want: true},
		{name: "marked then wrapped", err: fmt.Errorf("push: %w", Transient(plain)), want: true},
		{name: "in a join", err: errors.Join(plain, Transient(io.ErrUnexpectedEOF)), want: true},
		{name: "second of a join", err: errors.Join(plain, fmt.Errorf("dial: %w", syscall.ECONNREFUSED)), want: true},
		{name: "join of permanent errors", err: errors.Join(plain, io.ErrUnexpectedEOF), want: false},
		{name: "nil inside a multi-error", err: multiError{nil, plain}, want: false},
		{name: "transient inside a multi-error", err: multiError{nil, Transient(plain)}, want: true},

		// A failed build step is never retried, whatever it wraps.
		{name: "step error", err: step, want: false},
		{name: "step error marked transient", err: Transient(step), want: false},
		{name: "transient inside a step error", err: &StepError{Err: Transient(plain)}, want: false},
		{name: "unavailable inside a step error", err: &StepError{Err: unavailable}, want: false},
		{name: "step error joined with a reset", err: errors.Join(reset, step), want: false},

		// Connection-level system errors, real ones where the test can
		// make them.
		{name: "dial to a closed port (ECONNREFUSED)", err: refused, want: true},
		{name: "read from a reset connection (ECONNRESET)", err: reset, want: true},
		{name: "write to a closed pipe (EPIPE)", err: writeClosedPipe(t), want: true},
		{name: "read past its deadline", err: readPastDeadline(t), want: true},
		{name: "connection reset in an OpError", err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, want: true},
		{name: "connection refused", err: fmt.Errorf("dial builder: %w", syscall.ECONNREFUSED), want: true},
		{name: "connection aborted", err: os.NewSyscallError("accept", syscall.ECONNABORTED), want: true},
		{name: "broken pipe", err: syscall.EPIPE, want: true},
		{name: "timed out", err: os.NewSyscallError("connect", syscall.ETIMEDOUT), want: true},
		{name: "no such file", err: syscall.ENOENT, want: false},
		{name: "permission denied", err: &os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, want: false},

		// EOF counts only inside a network operation.
		{name: "HTTP request cut before the answer (EOF)", err: httpGetClosedConnection(t), want: true},
		{name: "unexpected EOF in a network read", err: &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}, want: true},
		{name: "EOF in a network read, wrapped", err: fmt.Errorf("fetch manifest: %w", &net.OpError{Op: "read", Net: "tcp", Err: io.EOF}), want: true},
		{name: "network operation without EOF", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route")}, want: false},
		{name: "truncated archive (bare unexpected EOF)", err: readTruncatedGzip(t), want: false},
		{name: "bare EOF", err: fmt.Errorf("read config: %w", io.EOF), want: false},

		// Errors that say so themselves.
		{name: "temporary", err: fmt.Errorf("registry: %w", temporaryError{temp: true}), want: true},
		{name: "not temporary", err: temporaryError{temp: false}, want: false},
		{name: "context canceled", err: context.Canceled, want: false},
		{name: "deadline of the attempt", err: fmt.Errorf("dial: %w", context.DeadlineExceeded), want: true},

		// gRPC codes.
		{name: "gRPC call to a closed port (Unavailable)", err: unavailable, want: true},
		{name: "gRPC Unavailable, wrapped", err: fmt.Errorf("solve: %w", status.Error(codes.Unavailable, "transport is closing")), want: true},
		{name: "gRPC Unavailable under an Unknown status", err: outerStatus{err: status.Error(codes.Unavailable, "connection error")}, want: true},
		{name: "gRPC Unknown alone", err: outerStatus{err: plain}, want: false},
		{name: "gRPC InvalidArgument", err: status.Error(codes.InvalidArgument, "bad attr"), want: false},
		{name: "gRPC Canceled", err: status.Error(codes.Canceled, "context canceled"), want: false},
		{name: "gRPC ResourceExhausted", err: status.Error(codes.ResourceExhausted, "quota"), want: false},

		// HTTP status codes, by HTTPStatusError or any HTTPStatus method.
		{name: "HTTP 503", err: HTTPStatusError{Status: 503}, want: true},
		{name: "HTTP 503, pointer, wrapped", err: fmt.Errorf("push: %w", &HTTPStatusError{Status: 503, Err: plain}), want: true},
		{name: "HTTP 429 from another type", err: fmt.Errorf("push: %w", &registryAnswer{code: 429}), want: true},
		{name: "HTTP 404 from another type", err: &registryAnswer{code: 404}, want: false},
		{name: "HTTP 401", err: HTTPStatusError{Status: http.StatusUnauthorized, Err: plain}, want: false},
		{name: "HTTP 407", err: HTTPStatusError{Status: 407}, want: false},
		{name: "HTTP 408", err: HTTPStatusError{Status: 408}, want: true},
		{name: "HTTP 409", err: HTTPStatusError{Status: 409}, want: false},
		{name: "HTTP 428", err: HTTPStatusError{Status: 428}, want: false},
		{name: "HTTP 430", err: HTTPStatusError{Status: 430}, want: false},
		{name: "HTTP 499", err: HTTPStatusError{Status: 499}, want: false},
		{name: "HTTP 500", err: HTTPStatusError{Status: 500}, want: true},
		{name: "HTTP 501", err: HTTPStatusError{Status: 501}, want: false},
		{name: "HTTP 502", err: HTTPStatusError{Status: 502}, want: true},
		{name: "HTTP 504", err: HTTPStatusError{Status: 504}, want: true},
		{name: "HTTP 505", err: HTTPStatusError{Status: 505}, want: false},
		{name: "HTTP 599", err: HTTPStatusError{Status: 599}, want: true},
		{name: "HTTP 600", err: HTTPStatusError{Status: 600}, want: false},
		{name: "HTTP 200", err: HTTPStatusError{Status: 200}, want: false},
		{name: "HTTP 503 of a failed step", err: &StepError{Err: HTTPStatusError{Status: 503}}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTransient(tc.err); got != tc.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	if Transient(nil) != nil {
		t.Error("Transient(nil) != nil")
	}
	if got, want := Transient(plain).Error(), plain.Error(); got != want {
		t.Errorf("Transient keeps the message: got %q, want %q", got, want)
	}
	if !errors.Is(Transient(plain), plain) {
		t.Error("Transient(err) does not wrap err")
	}
}

func TestHTTPStatusError(t *testing.T) {
	cause := errors.New("PUT https://registry/v2/app/manifests/1: 503 Service Unavailable")
	for _, tc := range []struct {
		err  HTTPStatusError
		want string
	}{
		{err: HTTPStatusError{Status: 503, Err: cause}, want: cause.Error()},
		{err: HTTPStatusError{Status: 429}, want: "HTTP 429 Too Many Requests"},
		{err: HTTPStatusError{Status: 599}, want: "HTTP 599 "},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if got := tc.err.HTTPStatus(); got != tc.err.Status {
			t.Errorf("HTTPStatus() = %d, want %d", got, tc.err.Status)
		}
	}
	wrapped := fmt.Errorf("tag app:1: %w", &HTTPStatusError{Status: 502, Err: cause})
	var he *HTTPStatusError
	if !errors.As(wrapped, &he) || he.Status != 502 || !errors.Is(wrapped, cause) {
		t.Errorf("errors.As/Is through %v: got %+v", wrapped, he)
	}
}

// dialClosedPort returns the error of a TCP dial to a loopback port that
// was just closed: ECONNREFUSED inside a *net.OpError.
func dialClosedPort(t *testing.T) error {
	t.Helper()
	addr := closedPort(t)
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded", addr)
	}
	return mustBe(t, "dial "+addr, err, syscall.ECONNREFUSED)
}

// mustBe returns err after checking that it is the real error of target's
// kind that the helper promises; otherwise the table would test nothing.
func mustBe(t *testing.T, what string, err, target error) error {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: %v, want %v", what, err, target)
	}
	return err
}

func closedPort(t *testing.T) string {
	t.Helper()
	l := listenLoopback(t)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// listenLoopback listens on a free loopback port until the test ends.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// dialLoopback connects to l; the connection closes when the test ends.
func dialLoopback(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readResetConnection returns the error of a read from a TCP connection
// that the peer aborted (SO_LINGER 0 sends a reset).
func readResetConnection(t *testing.T) error {
	t.Helper()
	l := listenLoopback(t)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		// Wait for the client's byte, so that its dial has completed.
		c.Read(make([]byte, 1))
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}()
	c := dialLoopback(t, l)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 1))
	return mustBe(t, "read from an aborted connection", err, syscall.ECONNRESET)
}

// writeClosedPipe returns the error of a write to a pipe whose reader is gone.
func writeClosedPipe(t *testing.T) error {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	_, err = w.Write([]byte("x"))
	return mustBe(t, "write to a closed pipe", err, syscall.EPIPE)
}

// readPastDeadline returns the "i/o timeout" of a TCP read whose deadline
// passed.
func readPastDeadline(t *testing.T) error {
	t.Helper()
	c := dialLoopback(t, listenLoopback(t))
	c.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := c.Read(make([]byte, 1))
	return mustBe(t, "read past deadline", err, os.ErrDeadlineExceeded)
}

// httpGetClosedConnection returns the error of an HTTP GET whose server
// closes the connection without answering: io.EOF inside a *url.Error.
func httpGetClosedConnection(t *testing.T) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("GET from a server that hangs up succeeded")
	}
	return mustBe(t, "GET from a server that hangs up", err, io.EOF)
}

// readTruncatedGzip returns the error of reading a cut-off gzip stream
// from memory: a bare io.ErrUnexpectedEOF, no network involved.
func readTruncatedGzip(t *testing.T) error {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("layer data "), 100))
	zw.Close()
	zr, err := gzip.NewReader(bytes.NewReader(buf.Bytes()[:buf.Len()/2]))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(zr)
	return mustBe(t, "read truncated gzip", err, io.ErrUnexpectedEOF)
}

// invokeClosedGRPCPort returns the error of a gRPC call to a loopback port
// nobody listens on, as a client of a stopped builder sees it.
func invokeClosedGRPCPort(t *testing.T) error {
	t.Helper()
	conn, err := grpc.NewClient(closedPort(t), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = conn.Invoke(ctx, "/orch.test.Builder/Ping", &emptypb.Empty{}, &emptypb.Empty{})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("gRPC call to a closed port: %v, want code Unavailable", err)
	}
	return err
}
