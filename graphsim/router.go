package graphsim

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody caps request bodies (Graph rejects large JSON bodies too).
const maxBody = 4 << 20

// reqCtx is one Graph request, direct or inside $batch.
type reqCtx struct {
	ctx         context.Context
	s           *Server
	t           *Tenant
	app         string
	method      string
	path        string   // path below /v1.0, e.g. "/users/abc"
	segs        []string // unescaped segments of path
	query       url.Values
	header      http.Header
	body        []byte
	now         time.Time
	reqID       string
	clientReqID string
	// batched marks an inner request of a $batch: its latency is the
	// envelope's. admitted is set once it passed throttling.
	batched, admitted bool
}

// newRequestID returns a random GUID-shaped id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ServeHTTP dispatches OAuth, admin and Graph requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer drain(r.Body)
	defer func() {
		// A handler bug must not kill the connection without a Graph
		// answer; fuzzing hunts these, this is the backstop.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v) // an injected connection reset (ResetRate)
			}
			s.log.Error("graphsim handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			rc := &reqCtx{now: s.now(), reqID: newRequestID()}
			rc.clientReqID = rc.reqID
			s.write(w, rc, errResponse(&gerror{status: http.StatusInternalServerError, code: codeInternalError,
				message: "An internal server error occurred."}))
		}
	}()
	p := r.URL.Path
	switch {
	case p == "/v1.0" || strings.HasPrefix(p, "/v1.0/"):
		s.serveGraph(w, r)
	case strings.HasPrefix(p, "/_sim/") || p == "/_sim":
		s.serveAdmin(w, r)
	default:
		s.serveAuth(w, r)
	}
}

// serveGraph authenticates, then runs one request or a $batch.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	rc := &reqCtx{
		ctx: r.Context(), s: s, method: r.Method, header: r.Header, now: s.now(),
		reqID: newRequestID(), clientReqID: r.Header.Get("client-request-id"),
	}
	if rc.clientReqID == "" {
		rc.clientReqID = rc.reqID
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.write(w, rc, errResponse(errBadRequestPlain("Unable to read the request body.")))
		return
	}
	if len(body) > maxBody {
		s.write(w, rc, errResponse(&gerror{status: http.StatusRequestEntityTooLarge, code: codeBadRequestPlain, message: "The request body is too large."}))
		return
	}
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") && len(body) > 0 {
		// kiota's compression handler gzips every request body.
		if body, err = gunzip(body); err != nil {
			s.write(w, rc, errResponse(errBadRequestPlain("Unable to decompress the gzip request body.")))
			return
		}
	}
	rc.body = body
	if e := s.authenticate(rc, r.Header.Get("Authorization")); e != nil {
		resp := errResponse(e)
		resp.header = http.Header{"Www-Authenticate": {`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`}}
		s.write(w, rc, resp)
		return
	}
	rc.setPath(strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0"), r.URL.RawQuery)
	fault, slow := rc.t.connFault()
	if fault == connResetBefore {
		panic(http.ErrAbortHandler) // the server closes the connection unanswered
	}
	var resp *response
	if rc.method == http.MethodPost && len(rc.segs) == 1 && rc.segs[0] == "$batch" {
		resp = s.handleBatch(rc)
	} else {
		resp = s.admitAndRoute(rc)
	}
	switch fault {
	case connResetAfter:
		panic(http.ErrAbortHandler) // done, but the answer is lost
	case connSlowBody:
		s.writeSlow(w, rc, resp, slow)
		return
	}
	s.write(w, rc, resp)
}

// writeSlow answers with the status line at once and the body in small
// pieces over d, as a congested path does.
func (s *Server) writeSlow(w http.ResponseWriter, rc *reqCtx, resp *response, d time.Duration) {
	resp.finalize(rc.now, rc.reqID, rc.clientReqID)
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	const pieces = 8
	rest := resp.body
	fl, _ := w.(http.Flusher)
	for i := 0; i < pieces && len(rest) > 0; i++ {
		n := len(rest) / (pieces - i)
		if i == pieces-1 || n == 0 {
			n = len(rest)
		}
		if _, err := w.Write(rest[:n]); err != nil {
			return
		}
		rest = rest[n:]
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-time.After(d / pieces):
		case <-rc.ctx.Done():
			return
		}
	}
}

// gunzip inflates a gzip body, capped at maxBody.
func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("open gzip body: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("inflate gzip body: %w", err)
	}
	if len(out) > maxBody {
		return nil, errors.New("gzip body too large")
	}
	return out, nil
}

// setPath parses an escaped path and raw query into rc.
func (rc *reqCtx) setPath(escPath, rawQuery string) {
	rc.path = escPath
	rc.segs = rc.segs[:0]
	for _, seg := range strings.Split(strings.Trim(escPath, "/"), "/") {
		if seg == "" {
			continue
		}
		if u, err := url.PathUnescape(seg); err == nil {
			seg = u
		}
		rc.segs = append(rc.segs, seg)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		q = url.Values{}
	}
	rc.query = q
}

// admitAndRoute applies throttling, latency and faults, then routes.
func (s *Server) admitAndRoute(rc *reqCtx) *response {
	if e := rc.t.admit(rc); e != nil {
		return errResponse(e)
	}
	return s.route(rc)
}

// write finalizes and sends a response.
func (s *Server) write(w http.ResponseWriter, rc *reqCtx, resp *response) {
	resp.finalize(rc.now, rc.reqID, rc.clientReqID)
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		_, _ = w.Write(resp.body)
	}
	s.log.Debug("graph request", "method", rc.method, "path", rc.path, "status", resp.status)
}

// route dispatches a Graph request by its first segment.
func (s *Server) route(rc *reqCtx) *response {
	if len(rc.segs) == 0 {
		return errResponse(errNoRoute(rc.method, "v1.0"))
	}
	rc.t.purgeExpired(rc.now)
	switch rc.segs[0] {
	case "users":
		return rc.t.routeUsers(rc)
	case "groups":
		return rc.t.routeGroups(rc)
	case "invitations":
		return rc.t.routeInvitations(rc)
	case "directory":
		return rc.t.routeDirectory(rc)
	case "directoryObjects":
		return rc.t.routeDirectoryObjects(rc)
	case "policies":
		return rc.t.routePolicies(rc)
	case "organization":
		return rc.t.routeOrganization(rc)
	}
	return errResponse(errNoRoute(rc.method, rc.segs[0]))
}

// graphBase is the absolute Graph root used in links.
func (rc *reqCtx) graphBase() string { return rc.s.GraphURL() }

// context builds an @odata.context URL.
func (rc *reqCtx) context(fragment string) string {
	return rc.graphBase() + "/$metadata#" + fragment
}
