package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
)

// defaultAddr is the server's default listen address (pkg/grpcx Config).
const defaultAddr = "127.0.0.1:9095"

// Output formats of -o.
const (
	outTable = "table"
	outJSON  = "json"
)

// globalOpts are the persistent flags: where the API is and how to reach it.
type globalOpts struct {
	addr, token, tokenFile, output string
	timeout                        time.Duration
	// TLS, as grpcx.ClientConfig takes it; any of these turns TLS on.
	tls                                   bool
	caFile, certFile, keyFile, serverName string
}

func (g *globalOpts) register(root *cobra.Command, getenv func(string) string) {
	f := root.PersistentFlags()
	addr := getenv("XTSYNC_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	f.StringVar(&g.addr, "addr", addr, "gRPC address host:port of xtsync (env XTSYNC_ADDR)")
	f.StringVar(&g.token, "token", getenv("XTSYNC_TOKEN"), "bearer token (env XTSYNC_TOKEN)")
	f.StringVar(&g.tokenFile, "token-file", "", "file holding the bearer token (e.g. <data-dir>/admin.token)")
	f.StringVarP(&g.output, "output", "o", outTable, "output format: table or json (protojson, one object per line)")
	f.DurationVar(&g.timeout, "timeout", 30*time.Second, "deadline of each API call")
	f.BoolVar(&g.tls, "tls", false, "use TLS (system roots unless --tls-ca-file)")
	f.StringVar(&g.caFile, "tls-ca-file", "", "CA bundle (PEM) to verify the server")
	f.StringVar(&g.certFile, "tls-cert-file", "", "client certificate (PEM)")
	f.StringVar(&g.keyFile, "tls-key-file", "", "client key (PEM)")
	f.StringVar(&g.serverName, "tls-server-name", "", "server name to verify instead of the host of --addr")
}

// check validates the flags every command shares.
func (g *globalOpts) check() error {
	if g.output != outTable && g.output != outJSON {
		return fmt.Errorf("--output: %q: want table or json", g.output)
	}
	if g.timeout <= 0 {
		return fmt.Errorf("--timeout: %s: must be positive", g.timeout)
	}
	if (g.certFile == "") != (g.keyFile == "") {
		return errors.New("--tls-cert-file and --tls-key-file go together")
	}
	return nil
}

func (g *globalOpts) json() bool { return g.output == outJSON }

// clientConfig resolves the token and TLS flags into a grpcx.ClientConfig.
func (g *globalOpts) clientConfig() (grpcx.ClientConfig, error) {
	cc := grpcx.ClientConfig{Target: g.addr, Token: g.token}
	if g.tokenFile != "" {
		if g.token != "" {
			return cc, errors.New("--token and --token-file exclude each other")
		}
		b, err := os.ReadFile(g.tokenFile)
		if err != nil {
			return cc, fmt.Errorf("--token-file: %w", err)
		}
		cc.Token = strings.TrimSpace(string(b))
	}
	if !g.tls && g.caFile == "" && g.certFile == "" && g.serverName == "" {
		return cc, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: g.serverName}
	if g.caFile != "" {
		pem, err := os.ReadFile(g.caFile)
		if err != nil {
			return cc, fmt.Errorf("--tls-ca-file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return cc, fmt.Errorf("--tls-ca-file: %s: no PEM certificate", g.caFile)
		}
	}
	if g.certFile != "" {
		cert, err := tls.LoadX509KeyPair(g.certFile, g.keyFile)
		if err != nil {
			return cc, fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	cc.TLS = tc
	return cc, nil
}

// clients is one connection to the API with both services' clients.
type clients struct {
	conn  *grpc.ClientConn
	sched schedulerv1.SchedulerServiceClient
	logs  synclogv1.SynclogServiceClient
}

func (g *globalOpts) dial() (*clients, error) {
	cc, err := g.clientConfig()
	if err != nil {
		return nil, err
	}
	conn, err := grpcx.Dial(cc)
	if err != nil {
		return nil, err
	}
	return &clients{conn: conn, sched: schedulerv1.NewSchedulerServiceClient(conn), logs: synclogv1.NewSynclogServiceClient(conn)}, nil
}

// withClients dials, runs fn and closes the connection.
func (g *globalOpts) withClients(fn func(*clients) error) error {
	c, err := g.dial()
	if err != nil {
		return err
	}
	defer func() { _ = c.conn.Close() }()
	return fn(c)
}

// call bounds one unary call by --timeout.
func (g *globalOpts) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.timeout)
}

// apiError is a failed call as the user needs it: the RPC, the gRPC code,
// the message and every field violation the server named.
type apiError struct {
	op string
	st *status.Status
}

func (e *apiError) Error() string {
	var b strings.Builder
	vs := grpcx.FieldViolations(e.st.Err())
	if len(vs) == 0 {
		fmt.Fprintf(&b, "%s: %s: %s", e.op, e.st.Code(), e.st.Message())
		return b.String()
	}
	// The message repeats the violations on one line; print them one per line.
	fmt.Fprintf(&b, "%s: %s: %d invalid field(s)", e.op, e.st.Code(), len(vs))
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s: %s", v.GetField(), v.GetDescription())
	}
	return b.String()
}

// GRPCStatus lets status.Code see the code through the wrapper.
func (e *apiError) GRPCStatus() *status.Status { return e.st }

func rpcErr(op string, err error) error {
	if st, ok := status.FromError(err); ok {
		return &apiError{op: op, st: st}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// emit prints m as one protojson line (-o json) or through table.
func (g *globalOpts) emit(w io.Writer, m proto.Message, table func(tw *tabwriter.Writer)) error {
	if g.json() {
		return printJSON(w, m)
	}
	tw := newTab(w)
	table(tw)
	return tw.Flush()
}

func printJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func newTab(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// row writes tab-separated cells; empty cells show as "-" so columns stay
// readable by awk.
func row(tw io.Writer, cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
}
