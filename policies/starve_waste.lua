--[[
starve_waste.lua - serve starving guests from wasteful ones, else from the
host; wasteful guests give back to the host.

Where it comes from: the "Memory coordinator" course project (seed 004).
Every guest is classified each period:
  starving  unused < starve_pct of its memory and consuming (rate >
            consuming_mib_s),
  wasting   unused > waste_pct of its memory and not consuming,
  balanced  otherwise.
Then:
  starving and wasting guests: the most wasteful gives the most starved
    move_factor x (what the starved one consumes per period);
  starving only: the host gives that amount, but never below its floor
    (host_floor_pct of host.total, checked against host.free);
  wasting only: every wasting guest gives back release_fraction of its
    unused memory to the host;
  neither: nothing.
No guest goes below min_domain_mib, none above its max.

Fixed from the seed: the consumption rate is a signed number (the original
kept it unsigned, so a guest that freed memory looked like it consumed
4 EiB/s); the host floor is checked against host.free (the original
compared a different counter); a host or donor that can give only part of
the amount gives that part instead of nothing.  The rate is KiB per
second of used memory (actual - unused, so a balloon change is not
mistaken for consumption), from this policy's own history over
ctx.elapsed; on the first call it falls back to d.prev timed by the
guest's last_update stamps, and without those the rate is 0.

Parameters ([policy] in the INI):
  starve_pct        starving below this % unused                  (15)
  waste_pct         wasting above this % unused                   (50)
  consuming_mib_s   consuming above this rate, MiB/s (1/1024 = 1 KiB/s)
  move_factor       move this many periods' consumption           (2)
  host_floor_pct    keep this % of host.total free                (5)
  min_domain_mib    no guest below this, MiB                      (50)
  release_fraction  share of unused a wasting guest gives back    (0.5)

Known weaknesses: serves one starving guest per period, so when several
starve at once the rest wait; the move is proportional to the rate, so a
guest that is starving but consuming slowly is served slowly; percentages
of a small guest are small amounts (15% of 512 MiB is 77 MiB, little
headroom for a fast allocator).
--]]

local MiB = mc.MiB
local p = {}
local hist = {}      -- per domain: used (KiB) and clock (s) at the last call
local clock = 0      -- seconds of ctx.elapsed since load

function init(ctx)
  p.starve = mc.param(ctx, "starve_pct", 15) / 100
  p.waste = mc.param(ctx, "waste_pct", 50) / 100
  p.consuming = mc.param(ctx, "consuming_mib_s", 1 / MiB) * MiB
  p.move = mc.param(ctx, "move_factor", 2)
  p.host_floor = mc.param(ctx, "host_floor_pct", 5) / 100
  p.min_domain = mc.param(ctx, "min_domain_mib", 50) * MiB
  p.release = mc.param(ctx, "release_fraction", 0.5)
end

-- KiB/s of used memory; positive = consuming.  Signed on purpose.
local function rate_of(d, used, h)
  if h and clock > h.clock then
    return (used - h.used) / (clock - h.clock)
  end
  local pv = d.prev
  if pv and pv.unused and d.last_update and pv.last_update
     and d.last_update > pv.last_update then
    return (used - (pv.actual - pv.unused)) / (d.last_update - pv.last_update)
  end
  return 0
end

-- Rebuilds the history from the domains present, so vanished ones go.
local function classify(domains)
  local starved, wasteful, wasting = nil, nil, {}
  local seen = {}
  for _, d in ipairs(domains) do
    if d.unused and d.actual > 0 then
      local used = d.actual - d.unused
      local rate = rate_of(d, used, hist[d.name])
      local share = d.unused / d.actual
      seen[d.name] = { used = used, clock = clock }
      if share < p.starve and rate > p.consuming then
        if not starved or share < starved.share then
          starved = { d = d, share = share, rate = rate }
        end
      elseif share > p.waste and rate < p.consuming then
        wasting[#wasting + 1] = d
        if not wasteful or share > wasteful.share then
          wasteful = { d = d, share = share }
        end
      end
    end
  end
  hist = seen
  return starved, wasteful, wasting
end

-- How much the starved guest should get and can take.
local function wanted(s, ctx)
  local amount = p.move * s.rate * (ctx.period or 1)
  return math.min(amount, s.d.max - s.d.actual)
end

function decide(domains, host, ctx)
  clock = clock + (ctx.elapsed or 0)
  local targets = {}
  local starved, wasteful, wasting = classify(domains)
  if starved then
    local amount = wanted(starved, ctx)
    if wasteful then
      local donor = wasteful.d
      amount = math.min(amount, donor.actual - p.min_domain)
      if amount > 0 then targets[donor.name] = donor.actual - amount end
    else
      amount = math.min(amount, (host.free or 0) - p.host_floor * (host.total or 0))
    end
    if amount > 0 then targets[starved.d.name] = starved.d.actual + amount end
  else
    for _, d in ipairs(wasting) do
      local give = math.min(d.unused * p.release, d.actual - p.min_domain)
      if give > 0 then targets[d.name] = d.actual - give end
    end
  end
  return targets
end
