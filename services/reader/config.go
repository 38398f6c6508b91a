package reader

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// Config tunes the reader service. The zero value is not usable: start from
// DefaultConfig (or RegisterFlags, which sets the defaults).
type Config struct {
	// Shards is the number of change shards; it must equal the topology's
	// ChangeShards or changes land on subjects no transformer consumes.
	Shards int `yaml:"shards"`
	// PageSize asks Graph for at most this many objects per delta page
	// (Prefer: odata.maxpagesize). One page is one unit of progress.
	PageSize int `yaml:"page_size"`
	// UserSelect and GroupSelect are the $select of the delta queries: every
	// source attribute a mapping, scoping filter or matching rule may read.
	// "members" is added to groups by the reader itself.
	UserSelect  []string `yaml:"user_select"`
	GroupSelect []string `yaml:"group_select"`
	// Manager (default on) synchronizes users' manager: "manager" in
	// user_select is selected for every configuration whose user mappings
	// write it (UserSelectFor). Off drops it from every $select.
	Manager bool `yaml:"manager"`
	// PublishWindow bounds unacknowledged publishes per cycle.
	PublishWindow int `yaml:"publish_window"`
	// MaxBatchBytes splits one (page, shard) batch into parts so a message
	// stays under the stream's MaxMsgSize.
	MaxBatchBytes int `yaml:"max_batch_bytes"`
	// MaxCycles is how many configurations this process reads at once.
	MaxCycles int `yaml:"max_cycles"`
	// MemberConcurrency bounds parallel ListUserMemberIDs calls for the changed
	// groups of one delta page.
	MemberConcurrency int `yaml:"member_concurrency"`
	// GroupsBarrier makes a cycle wait, after publishing its groups, until
	// the transformers consumed every change of the configuration before it
	// reads users: a user's assignment scope ("direct member of an assigned
	// group") is known from its groups' changes, and shards run in parallel.
	GroupsBarrier bool `yaml:"groups_barrier"`
	// EndBarrier makes a cycle (on-demand excepted) wait, before its
	// CycleEnd, until the transformers consumed every change of the
	// configuration: the transformer decides the cycle's accidental-deletion
	// threshold on CycleEnd and must have counted every deprovision by then.
	// Turn off only without a deletion threshold.
	EndBarrier bool `yaml:"end_barrier"`
	// BarrierPoll is how often the barriers ask JetStream for the backlog.
	BarrierPoll time.Duration `yaml:"barrier_poll"`
	// InProgress is how often a running cycle extends its CycleStart's ack
	// deadline; it must be shorter than the cycles consumer's AckWait.
	InProgress time.Duration `yaml:"in_progress"`
	// DrainTimeout bounds the wait for cycles to wind down at shutdown.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
}

// DefaultConfig is the embedded, single-process default.
func DefaultConfig() Config {
	return Config{
		Shards:            natsx.DefaultTopologyConfig().ChangeShards,
		PageSize:          500,
		UserSelect:        DefaultUserSelect(),
		GroupSelect:       DefaultGroupSelect(),
		Manager:           true,
		PublishWindow:     natsx.DefaultPublishWindow,
		MaxBatchBytes:     768 << 10,
		MaxCycles:         4,
		MemberConcurrency: 8,
		GroupsBarrier:     true,
		EndBarrier:        true,
		BarrierPoll:       250 * time.Millisecond,
		InProgress:        10 * time.Second,
		DrainTimeout:      30 * time.Second,
	}
}

// DefaultUserSelect is every Graph property behind schema.SourceUser, so
// that any mapping an admin can configure finds its source attribute, and
// manager (read as manager@delta; selected per configuration, only where
// its user mappings write manager: UserSelectFor).
func DefaultUserSelect() []string { return append(graphProps(schema.SourceUser), "manager") }

// DefaultGroupSelect is DefaultUserSelect for groups (members excluded: the
// reader asks for them itself).
func DefaultGroupSelect() []string { return graphProps(schema.SourceGroup) }

// notSelectable are schema attributes that are navigation properties, not
// plain properties of the $select: members (the reader adds it to groups
// as members@delta) and manager (DefaultUserSelect adds it; the users
// delta reports it as manager@delta, a read by id expands it).
var notSelectable = map[string]bool{"manager": true, "members": true}

func graphProps(o *schema.Object) []string {
	seen := map[string]bool{"id": true}
	out := []string{"id"}
	for _, a := range o.Attributes() {
		p, _, _ := strings.Cut(a.Graph, "/") // employeeOrgData/division -> employeeOrgData
		if p == "" || seen[p] || notSelectable[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// RegisterFlags registers the reader flags under prefix (e.g. "reader.")
// with DefaultConfig values.
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	d := DefaultConfig()
	f.IntVar(&c.Shards, prefix+"shards", d.Shards, "Change shards; must equal the NATS topology's change_shards.")
	f.IntVar(&c.PageSize, prefix+"page-size", d.PageSize, "Objects per Graph delta page.")
	c.UserSelect, c.GroupSelect = d.UserSelect, d.GroupSelect
	f.Func(prefix+"user-select", "Comma-separated $select of /users/delta (default: every source schema property).", listFlag(&c.UserSelect))
	f.BoolVar(&c.Manager, prefix+"manager", d.Manager, "Synchronize users' manager (where a configuration's user mappings write it); false leaves it out of every $select.")
	f.Func(prefix+"group-select", "Comma-separated $select of /groups/delta (default: every source schema property).", listFlag(&c.GroupSelect))
	f.IntVar(&c.PublishWindow, prefix+"publish-window", d.PublishWindow, "Unacknowledged JetStream publishes per cycle.")
	f.IntVar(&c.MaxBatchBytes, prefix+"max-batch-bytes", d.MaxBatchBytes, "Largest SourceChangeBatch payload; bigger batches are split.")
	f.IntVar(&c.MaxCycles, prefix+"max-cycles", d.MaxCycles, "Configurations read at once by this process.")
	f.IntVar(&c.MemberConcurrency, prefix+"member-concurrency", d.MemberConcurrency, "Parallel group member listings per page.")
	f.BoolVar(&c.GroupsBarrier, prefix+"groups-barrier", d.GroupsBarrier, "Wait for the transformers to consume a cycle's groups before reading its users.")
	f.BoolVar(&c.EndBarrier, prefix+"end-barrier", d.EndBarrier, "Wait for the transformers to consume a cycle's changes before its CycleEnd (the deletion threshold needs it).")
	f.DurationVar(&c.BarrierPoll, prefix+"barrier-poll", d.BarrierPoll, "How often the barriers check the changes backlog.")
	f.DurationVar(&c.InProgress, prefix+"in-progress", d.InProgress, "How often a running cycle extends its start command's ack deadline.")
	f.DurationVar(&c.DrainTimeout, prefix+"drain-timeout", d.DrainTimeout, "Wait for running cycles at shutdown.")
}

func listFlag(dst *[]string) func(string) error {
	return func(s string) error {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		*dst = out
		return nil
	}
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("reader: "+format, a...)) }
	if c.Shards < 1 {
		bad("shards must be >= 1, got %d", c.Shards)
	}
	if c.PageSize < 1 || c.PageSize > 999 {
		bad("page_size must be 1..999, got %d", c.PageSize)
	}
	for name, sel := range map[string][]string{"user_select": c.UserSelect, "group_select": c.GroupSelect} {
		if len(sel) == 0 {
			bad("%s is empty", name)
		}
		for _, p := range sel {
			if p == "" || strings.ContainsAny(p, ", /") {
				bad("%s: invalid property %q", name, p)
			}
		}
	}
	if c.PublishWindow < 1 {
		bad("publish_window must be >= 1, got %d", c.PublishWindow)
	}
	if c.MaxBatchBytes < 4<<10 {
		bad("max_batch_bytes must be >= 4096, got %d", c.MaxBatchBytes)
	}
	if c.MaxCycles < 1 {
		bad("max_cycles must be >= 1, got %d", c.MaxCycles)
	}
	if c.MemberConcurrency < 1 {
		bad("member_concurrency must be >= 1, got %d", c.MemberConcurrency)
	}
	if c.BarrierPoll <= 0 {
		bad("barrier_poll must be > 0")
	}
	if c.InProgress <= 0 {
		bad("in_progress must be > 0")
	}
	if c.DrainTimeout <= 0 {
		bad("drain_timeout must be > 0")
	}
	return errors.Join(errs...)
}
