--[[
mom_balloon.lua - oVirt MOM's shipped auto-balloon rule, in Lua.

Where it comes from: the Memory Overcommitment Manager (MOM) of oVirt.  The
rule followed here is the one vdsm ships, static/etc/vdsm/mom.d/
02-balloon.policy (oVirt/vdsm); MOM's older doc/balloon.rules (oVirt/mom)
is the same rule with two bugs that vdsm fixed: it took the *smaller* of
the guaranteed minimum and the wanted size (min instead of max), and
grow_guest read guest_free_percent without setting it.  Host figures as
MOM's HostMemory collector reads them (mom/Collectors/HostMemory.py):
mem_available = MemTotal (our host.total), mem_free = MemFree + Buffers +
Cached (our host.free).

  host_free = average host.free / host.total
  guest_free_pct = host_free - 0.05                   if host_free <= critical
                 = min_guest_free x host_free / threshold   otherwise
  used     = average actual - average unused  (MOM's StatAvg, a moving
             average over the last avg_samples calls)
  wanted   = max(d.min, used + guest_free_pct x actual)
  host_free < threshold (pressure): shrink every guest to
             max(actual x (1 - max_change), wanted), if that is a shrink;
  otherwise: grow every guest below its max to
             min(max(actual x (1 + max_change), wanted), d.max);
  a change no bigger than min_change x actual is not made;
  a guest below d.min is raised to d.min (vdsm's guest_qos rule).

So under pressure a guest shrinks by at most 5% per call, and never below
what it uses plus its share of free memory (which falls with the host's:
20% when the host has 20% free, 10% at 10%); with no pressure every balloon
slowly deflates (guests grow 5% per call) up to max, and a guest with less
than guest_free_pct free grows to used + guest_free_pct at once.  At
critical pressure MOM asks for less than the guest uses, to force it to
swap; memcoord's core refuses that (shrink floor: used + guest_reserve_mib).

Parameters ([policy] in the INI), MOM's names and defaults:
  pressure_threshold          host pressure below this free share   (0.20)
  pressure_critical           critical pressure below this          (0.05)
  min_guest_free_percent      free share an unconstrained guest
                              keeps                                 (0.20)
  max_balloon_change_percent  most a shrink moves per call, and the
                              step of a grow                        (0.05)
  min_balloon_change_percent  dead-band                           (0.0025)
  avg_samples                 calls averaged (MOM's
                              sample-history-length)                (10)

KSM: like vdsm, which ships 03-ksm.policy beside 02-balloon.policy, it
also returns MOM's KSM settings (mc.ksm_mom, with MOM's parameters; see
docs/policies.md), which the core applies only where [host] ksm = on.

Known weaknesses (MOM's own): with no host pressure it grows every guest,
idle or not, toward its max, so memory goes to whoever asked first rather
than to who needs it; it balances host pressure, not guests against each
other; averaging makes it slow to see a guest that allocates fast (the
core's shrink floor uses the current figures, which protects the guest).
--]]

local p = {}
local hist = {}      -- per domain: ring of {actual, unused}
local host_hist = {} -- ring of host.free

function init(ctx)
  p.threshold = mc.param(ctx, "pressure_threshold", 0.20)
  p.critical = mc.param(ctx, "pressure_critical", 0.05)
  p.min_free = mc.param(ctx, "min_guest_free_percent", 0.20)
  p.max_change = mc.param(ctx, "max_balloon_change_percent", 0.05)
  p.min_change = mc.param(ctx, "min_balloon_change_percent", 0.0025)
  p.window = math.max(1, math.floor(mc.param(ctx, "avg_samples", 10)))
end

-- Adds v to ring r (at most p.window long) and returns the ring's mean.
local function push_avg(r, v)
  r[#r + 1] = v
  if #r > p.window then table.remove(r, 1) end
  local sum = 0
  for _, x in ipairs(r) do sum = sum + x end
  return sum / #r
end

local function guest_free_pct(host_free)
  if host_free <= p.critical then return host_free - 0.05 end
  return p.min_free * host_free / p.threshold
end

local function big_enough(d, size)
  return math.abs(size - d.actual) > p.min_change * d.actual
end

local function shrink(d, wanted)
  local size = math.max(d.actual * (1 - p.max_change), wanted)
  if size <= d.actual and big_enough(d, size) then return size end
end

local function grow(d, wanted)
  if d.actual >= d.max then return nil end
  local size = math.min(math.max(d.actual * (1 + p.max_change), wanted), d.max)
  if big_enough(d, size) then return size end
end

function decide(domains, host, ctx)
  local targets, seen = {}, {}
  if not host.total or host.total <= 0 then return targets end
  local host_free = push_avg(host_hist, host.free or 0) / host.total
  local pressure = host_free < p.threshold
  local gfp = guest_free_pct(host_free)
  for _, d in ipairs(domains) do
    if d.unused then
      local h = hist[d.name] or { actual = {}, unused = {} }
      local used = push_avg(h.actual, d.actual) - push_avg(h.unused, d.unused)
      local wanted = math.max(d.min or 0, used + gfp * d.actual)
      local size
      if pressure then size = shrink(d, wanted) else size = grow(d, wanted) end
      if d.min and d.actual < d.min then size = d.min end
      if size then targets[d.name] = math.floor(size) end
      seen[d.name] = h
    end
  end
  hist = seen
  return targets, mc.ksm_mom(domains, host, ctx)   -- 03-ksm.policy
end
