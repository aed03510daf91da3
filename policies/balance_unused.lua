--[[
balance_unused.lua - memcoord's default policy.

Where it comes from: the course's memory coordinator (seeds: Test 1, 2, 3),
whose goal is to keep every guest's unused memory near one target, so that
memory flows from idle guests to busy ones.  Done with what the earlier
coordinators lacked: it looks ahead at how fast a guest is consuming, it
never takes memory from a guest that is consuming, and it tells a guest
that has clearly freed memory (give it back now) from one whose usage
merely fluctuates (give back slowly, with hysteresis, so it never
oscillates).

Parameters ([policy] in the INI, MiB, or periods of decide()):
  target_unused_mib   unused memory to keep in every guest        (160)
  high_water_pct      shrink only above target * (1 + pct/100)    (25)
  lookahead_periods   grow by what the guest will consume in this
                      many periods at its current rate              (2)
  release_jump_mib    a fall in used memory this large since the last
                      decision means the guest freed memory: give
                      back at once                                  (48)
  release_fraction    otherwise give back this share of the excess
                      each decision                                 (0.25)
  cooldown_periods    no slow give-back this long after a grow       (2)

It measures use as available - unused (MemTotal - MemFree, one guest
sample), not actual - unused: on libvirt the balloon size lags the guest's
stats while a balloon moves, and mixing the two made it read its own grow
as a release (seen on real guests).

KSM: it also returns oVirt MOM's KSM settings (mc.ksm_mom; its
parameters are MOM's, docs/policies.md), which the core applies only
where [host] ksm = on.

Known weaknesses: it sees only what the guest reports (unused = MemFree),
so page cache counts as used; a guest that allocates faster than
grow-per-period allows still gets close to its limit before it catches up
(the core's pressure path calls decide() early to narrow that gap).
--]]

local MiB = mc.MiB
-- A smoothed rate decays toward 0 but never reaches it: below this a guest
-- is neither consuming nor freeing.
local IDLE_RATE = 1 * MiB   -- KiB/s

local p = {}          -- parameters, in KiB and seconds
local hist = {}       -- per running domain: used, rate, last_grow (clock)
local clock = 0       -- seconds since the policy loaded

function init(ctx)
  p.target = mc.param(ctx, "target_unused_mib", 160) * MiB
  p.high = p.target * (1 + mc.param(ctx, "high_water_pct", 25) / 100)
  -- In periods, so the policy behaves alike whatever the period: the next
  -- decisions come that many periods later, whatever their length.
  p.lookahead_periods = mc.param(ctx, "lookahead_periods", 2)
  p.jump = mc.param(ctx, "release_jump_mib", 48) * MiB
  p.fraction = mc.param(ctx, "release_fraction", 0.25)
  p.cooldown_periods = mc.param(ctx, "cooldown_periods", 2)
end

-- Consumption rate in KiB/s (positive = the guest uses more), smoothed:
-- on real guests one sample's rate is noisy (stats arrive once a second,
-- not exactly on our clock), and growing ahead of a noisy rate overshoots.
-- Bursts faster than this follows are the pressure path's job.
local function consumption(h, used, dt)
  if not h or dt <= 0 then return 0 end
  local instant = (used - h.used) / dt
  return 0.5 * instant + 0.5 * (h.rate or instant)
end

local function grow_target(d, rate)
  local ahead = math.max(rate, 0) * p.lookahead
  return d.actual + (p.target - d.unused) + ahead
end

local function shrink_target(d, h, used)
  local excess = d.unused - p.target
  local freed = h and (h.used - used) >= p.jump
  if freed then
    return d.actual - excess                -- clearly freed: give it all back
  end
  if h and clock - (h.last_grow or -math.huge) < p.cooldown then
    return nil                              -- just grew: let it settle
  end
  return d.actual - math.max(excess * p.fraction, 16 * MiB)
end

function decide(domains, host, ctx)
  clock = clock + ctx.elapsed
  p.lookahead = p.lookahead_periods * ctx.period   -- the period may change
  p.cooldown = p.cooldown_periods * ctx.period     -- on SIGHUP
  local targets, seen = {}, {}
  for _, d in ipairs(domains) do
    seen[d.name] = hist[d.name]   -- kept while the domain runs
    if d.unused then
      -- What the guest uses, from its own report: available and unused
      -- come from one sample, while actual may lag a moving balloon.
      local used = d.available - d.unused
      local h = hist[d.name]
      local rate = consumption(h, used, ctx.elapsed)
      local want
      if d.unused < p.target or (rate > IDLE_RATE and d.unused - rate * p.lookahead < p.target) then
        want = grow_target(d, rate)
      elseif d.unused > p.high and rate <= IDLE_RATE then
        want = shrink_target(d, h, used)
      end
      local last_grow = h and h.last_grow
      if want and want > d.actual then last_grow = clock end
      seen[d.name] = { used = used, rate = rate, last_grow = last_grow }
      if want then targets[d.name] = math.floor(math.min(want, d.max)) end
    end
  end
  hist = seen                     -- domains that are gone are forgotten
  -- KSM as oVirt MOM runs it (mc.ksm_mom, docs/policies.md); the core
  -- writes it only where [host] ksm = on.
  return targets, mc.ksm_mom(domains, host, ctx)
end
