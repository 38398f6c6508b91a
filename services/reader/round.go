package reader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// round is one delta round of one object type within a cycle: a full
// import (no link, or resumed from a full import's NextLink) or a delta
// read from the committed DeltaLink.
type round struct {
	typ redisx.ObjectType
	// wm is the last watermark this cycle committed (or claimed): its Rev is
	// the expected revision of the next Commit and the number of the next
	// page read.
	wm   redisx.Watermark
	link string
	// full marks a full import: members@delta then lists every member.
	full bool
	// deltaLink is the link the round ended with, committed at cycle end.
	deltaLink string
	// ended: an earlier run of this cycle read the round to its end
	// (Watermark.EndLink); this run reads nothing of it.
	ended bool
	// carried is what earlier runs of the cycle published in this round's
	// committed pages; count what this run's committed pages added.
	carried, count int64
	// sel is the round's $select (selectKey), recorded with every link it
	// commits (Watermark.Select).
	sel string
}

// pageResult is one delta page converted to changes.
type pageResult struct {
	changes          []*eventsv1.SourceChange
	objects, removed int
	nextLink, delta  string
}

// fetchFunc reads the page of req and converts it.
type fetchFunc func(ctx context.Context, req graph.DeltaRequest, full bool) (pageResult, error)

// prepare loads the watermark of typ and claims it for this cycle with a
// compare-and-set write, so that every run of a cycle reads its pages
// under fresh revisions (page numbers, hence message ids, never repeat
// across runs: a re-read page may hold newer data that JetStream's
// de-duplication must not drop) and a concurrent reader of the same
// configuration loses its next commit. Links made with another $select
// than sel (the configuration's mappings or user_select changed) are not
// followed: the round is a full read (selectChanged).
func (c *cycle) prepare(ctx context.Context, typ redisx.ObjectType, sel []string) (*round, error) {
	store, cfgID := c.r.deps.Watermarks, c.start.GetConfigurationId()
	wm, err := store.Get(ctx, cfgID, typ)
	if err != nil && !errors.Is(err, redisx.ErrNotFound) {
		return nil, fmt.Errorf("get %s watermark: %w", typ, err)
	}
	sameCycle := wm.CycleID == c.start.GetCycleId()
	resuming := sameCycle && (wm.EndLink != "" || wm.FullImport && wm.NextLink != "")
	if !sameCycle {
		// A stopped cycle's round end: this cycle reads from the base link.
		wm.EndLink, wm.Published = "", 0
	}
	if c.start.GetMode() == eventsv1.CycleMode_CYCLE_MODE_FULL && !resuming {
		// Restart: forget the links; the Rev bump makes any other holder lose.
		wm, err = store.Reset(ctx, cfgID, typ)
		if err != nil {
			return nil, fmt.Errorf("reset %s watermark: %w", typ, err)
		}
		return &round{typ: typ, wm: wm, full: true, sel: selectKey(sel)}, nil
	}
	r := &round{typ: typ, wm: wm, carried: wm.Published, sel: selectKey(sel)}
	c.carried += wm.Published
	switch {
	case wm.EndLink != "" && sameCycle:
		r.deltaLink, r.full, r.ended = wm.EndLink, wm.FullImport, true
		if wm.Select != "" {
			r.sel = wm.Select // what the ended round was read with
		}
	case selectChanged(wm, r.sel):
		// Graph answers a link with the properties of the request that
		// started it: a property added now would never be read.
		c.log.Info("$select changed, reading everything again", keyObjectType, string(typ),
			"was", wm.Select, "now", r.sel)
		r.full = true
	case wm.NextLink != "":
		r.link, r.full = wm.NextLink, wm.FullImport
	case wm.DeltaLink != "":
		r.link = wm.DeltaLink
	default:
		r.full = true
	}
	claim := wm
	claim.CycleID, claim.UpdatedAt = c.start.GetCycleId(), time.Now()
	if r.wm, err = c.commit(ctx, r, claim); err != nil {
		return nil, err
	}
	return r, nil
}

// selectChanged reports links (a delta link or an unfinished full
// import's next page) recorded with another $select than sel. A watermark
// without one (written before the reader recorded it) counts as the same.
func selectChanged(wm redisx.Watermark, sel string) bool {
	return wm.Select != "" && wm.Select != sel && (wm.DeltaLink != "" || wm.NextLink != "")
}

// commit is a compare-and-set on the round's watermark; losing it means
// another reader owns the configuration now.
func (c *cycle) commit(ctx context.Context, r *round, next redisx.Watermark) (redisx.Watermark, error) {
	wm, err := c.r.deps.Watermarks.Commit(ctx, c.start.GetConfigurationId(), r.typ, r.wm.Rev, next)
	if errors.Is(err, redisx.ErrConflict) {
		return wm, fmt.Errorf("%w: %s watermark: %w", ErrLostRace, r.typ, err)
	}
	if err != nil {
		return wm, fmt.Errorf("commit %s watermark: %w", r.typ, err)
	}
	return wm, nil
}

// read pages through the round. After each page is durably queued it
// commits the page's NextLink, so a crash resumes on the next page; the
// final DeltaLink is kept in r.deltaLink for the cycle's last commit.
func (c *cycle) read(ctx context.Context, r *round, sel []string, fetch fetchFunc) error {
	if r.ended {
		return nil // published by an earlier run of the cycle, to its end
	}
	fellBack := false
	seen := linkGuard{}
	seen.add(r.link)
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		req := graph.DeltaRequest{Link: r.link, PageSize: c.r.cfg.PageSize}
		if r.link == "" {
			req.Select = sel
		}
		before := c.pp.published
		res, err := c.page(ctx, r, req, fetch)
		r.count += c.pp.published - before
		if errors.Is(err, graph.ErrDeltaExpired) && r.link != "" && !fellBack {
			// Graph forgot the link (older than its retention): read
			// everything again; the transformer's hashes skip what it has.
			c.log.Warn("delta link expired, falling back to a full import", keyObjectType, string(r.typ), "err", err)
			c.r.m.deltaExpired.Add(ctx, 1, typeAttr(string(r.typ)))
			r.link, r.full, fellBack = "", true, true
			continue
		}
		if err != nil {
			return err
		}
		if res.delta != "" {
			// The round is read: a rerun of the cycle must not publish its
			// last page again (one change per object and cycle).
			end := r.wm
			// A full round's base link (expired, or made with another
			// $select) is of no use to a later cycle should this one stop.
			end.EndLink, end.FullImport, end.Published, end.Select = res.delta, r.full, r.carried+r.count, r.sel
			if r.full {
				end.DeltaLink = ""
			}
			end.CycleID, end.UpdatedAt = c.start.GetCycleId(), time.Now()
			if r.wm, err = c.commit(ctx, r, end); err != nil {
				return err
			}
			r.deltaLink = res.delta
			return nil
		}
		if res.nextLink == "" {
			return fmt.Errorf("%s delta page has neither nextLink nor deltaLink", r.typ)
		}
		if err := seen.add(res.nextLink); err != nil {
			return fmt.Errorf("%s delta round: %w", r.typ, err)
		}
		next := redisx.Watermark{NextLink: res.nextLink, FullImport: r.full, Published: r.carried + r.count,
			Select: r.sel, CycleID: c.start.GetCycleId(), UpdatedAt: time.Now()}
		if !r.full {
			next.DeltaLink = r.wm.DeltaLink // a delta round keeps its base link
		}
		if r.wm, err = c.commit(ctx, r, next); err != nil {
			return err
		}
		r.link = res.nextLink
	}
}

// linkGuard ends a round whose @odata.nextLink repeats: a Graph (or proxy)
// answering the same page again would otherwise page forever.
type linkGuard map[string]bool

// add records link; a link seen before in the round is graph.ErrLinkLoop.
func (g linkGuard) add(link string) error {
	if link == "" {
		return nil
	}
	if g[link] {
		return graph.ErrLinkLoop
	}
	g[link] = true
	return nil
}

// page reads, publishes and waits for one page, in its own span.
func (c *cycle) page(ctx context.Context, r *round, req graph.DeltaRequest, fetch fetchFunc) (pageResult, error) {
	num := int64(r.wm.Rev)
	ctx, span := c.r.tracer.Start(ctx, "reader.page", trace.WithAttributes(
		attribute.String(spanConfigurationID, c.start.GetConfigurationId()),
		attribute.String(spanCycleID, c.start.GetCycleId()),
		attribute.String(keyObjectType, string(r.typ)),
		attribute.Int64(keyPage, num),
		attribute.Bool("full_import", r.full)))
	defer span.End()
	c.f.observed = timestamppb.Now() // what the page says was true then
	res, err := fetch(ctx, req, r.full)
	if err == nil {
		err = c.pp.publishByContent(ctx, string(r.typ), req.Link, res.changes)
	}
	if err == nil {
		err = c.pp.waitAll(ctx)
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return res, err
	}
	span.SetAttributes(attribute.Int(keyObjects, res.objects), attribute.Int(keyRemoved, res.removed))
	c.r.m.pages.Add(ctx, 1, typeAttr(string(r.typ)))
	c.countObjects(ctx, string(r.typ), res.changes)
	c.log.Debug("page queued", keyObjectType, string(r.typ), keyPage, num,
		keyObjects, res.objects, keyRemoved, res.removed, "full_import", r.full)
	return res, nil
}

func (c *cycle) countObjects(ctx context.Context, typ string, changes []*eventsv1.SourceChange) {
	counts := map[eventsv1.ChangeKind]int64{}
	for _, ch := range changes {
		counts[ch.GetKind()]++
	}
	for k, n := range counts {
		c.r.m.objects.Add(ctx, n, metricAttrs(typ, k))
	}
}
