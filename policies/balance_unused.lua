--[[
balance_unused.lua - memcoord's default policy.

Where it comes from: the course's memory coordinator (seeds: Test 1, 2, 3),
whose goal is to keep every guest's unused memory near one target, so that
memory flows from idle guests to busy ones.  Done with what the earlier
coordinators lacked, each kept because real guests measured better with it
(docs/e2e-scorecard.md):
  - it plans for bursts: a guest that consumes keeps free memory for what
    it would consume, at the fastest rate it has shown lately (decaying),
    until the next decision can help: the period plus the guest's stats
    delay.  A guest allocating as fast as it can takes 100-300 MiB/s under
    TCG; a fixed step or a smoothed rate falls behind at once;
  - it never takes memory from a guest that is consuming, nor from one it
    has not yet seen quiet for quiet_s (a guest that starts a burst right
    after memcoord starts is not squeezed first);
  - a guest that is quiet gives back all its excess at once, and one that
    has freed memory at the next decision; it stays in that state until the
    excess is gone (the core lets a shrink into memory the guest has free go
    at balloon speed, so 1.5 GiB freed comes back in seconds, not in
    max_shrink_mib steps).  The high-water hysteresis keeps ordinary
    fluctuation from oscillating.

Parameters ([policy] in the INI; MiB or seconds):
  target_unused_mib   free memory every guest keeps                (160)
  high_water_pct      shrink only above the goal * (1 + pct/100)   (25)
  quiet_s             no consumption this long before a shrink     (3)
  stats_delay_s       how late a guest's stats arrive, at most     (2)
  burst_half_life_s   how fast the remembered peak rate decays     (6)
  release_jump_mib    a fall in used memory this large since the last
                      fresh sample means the guest freed memory      (48)

It measures use as available - unused (MemTotal - MemFree, one guest
sample), not actual - unused: on libvirt the balloon size lags the guest's
stats while a balloon moves, and mixing the two made it read its own grow
as a release (seen on real guests).  Rates come from the guest's own
timestamps (last_update): a sample that has not moved (the guest's stats
wait while its balloon moves) teaches nothing.

KSM: it also returns oVirt MOM's KSM settings (mc.ksm_mom; its
parameters are MOM's, docs/policies.md), which the core applies only
where [host] ksm = on.

Known weaknesses: it sees only what the guest reports (unused = MemFree),
so page cache counts as used; a guest that allocates as fast as it can
from a standing start eats the free memory it has before any coordinator
that polls once a second can see it (the core's pressure path asks early
when a sample shows fast consumption, which narrows that second).
--]]

local MiB = mc.MiB
-- A rate below this is noise: neither consuming nor freeing (KiB/s).
local IDLE_RATE = 1 * MiB

local p = {}          -- parameters, in KiB and seconds
local hist = {}       -- per running domain, see observe()
local clock = 0       -- seconds since the policy loaded

function init(ctx)
  p.target = mc.param(ctx, "target_unused_mib", 160) * MiB
  p.high = 1 + mc.param(ctx, "high_water_pct", 25) / 100
  p.quiet = mc.param(ctx, "quiet_s", 3)
  p.delay = mc.param(ctx, "stats_delay_s", 2)
  p.half_life = mc.param(ctx, "burst_half_life_s", 6)
  p.jump = mc.param(ctx, "release_jump_mib", 48) * MiB
end

-- Learns from a fresh sample: the consumption rate, the peak rate (which
-- decays), when the guest last consumed, and whether it freed memory.
local function observe(h, used, stamp)
  local dt = stamp - h.stamp
  if dt <= 0 then return end                  -- the guest has not reported
  local rate = (used - h.used) / dt
  h.peak = math.max(rate, h.peak * 0.5 ^ (dt / p.half_life))
  if rate > IDLE_RATE then h.busy_at = clock end
  if h.used - used >= p.jump then h.freed = true end
  h.used, h.stamp = used, stamp
end

-- The free memory this guest should keep now.
local function goal(h, horizon)
  return p.target + math.max(h.peak, 0) * horizon
end

local function target_of(d, h, stamp, horizon)
  local want = goal(h, horizon)
  if d.unused < want then
    h.freed = false
    -- Grown on this very sample already: the balloon has moved since, the
    -- guest's report has not, and asking again would count the gap twice.
    if h.grew_stamp == stamp then return nil end
    h.grew_stamp = stamp
    return d.actual + (want - d.unused)
  end
  if d.unused <= want * p.high then
    h.freed = false                           -- the excess is gone
    return nil
  end
  if h.freed or clock - h.busy_at >= p.quiet then
    return d.actual - (d.unused - want)       -- freed, or quiet: all of it
  end
  return nil                                  -- consuming, or not seen quiet
end

function decide(domains, host, ctx)
  clock = clock + ctx.elapsed
  local horizon = ctx.period + p.delay        -- the period may change on SIGHUP
  local targets, seen = {}, {}
  for _, d in ipairs(domains) do
    local h = hist[d.name]
    if d.unused then
      local used = d.available - d.unused
      local stamp = d.last_update             -- 0: a backend without stamps
      if not stamp or stamp <= 0 then stamp = clock end
      if not h then
        h = { used = used, stamp = stamp, peak = 0, busy_at = clock }
      else
        observe(h, used, stamp)
      end
      local want = target_of(d, h, stamp, horizon)
      if want then targets[d.name] = math.floor(math.min(want, d.max)) end
    end
    seen[d.name] = h              -- kept while the domain runs
  end
  hist = seen                     -- domains that are gone are forgotten
  -- KSM as oVirt MOM runs it (mc.ksm_mom, docs/policies.md); the core
  -- writes it only where [host] ksm = on.
  return targets, mc.ksm_mom(domains, host, ctx)
end
