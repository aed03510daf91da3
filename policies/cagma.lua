--[[
cagma.lua - critical amount guaranteed memory allocation.

Where it comes from: CAGMA (seed 002; Jun Wu and Shou-Liang Sun, "A
Dynamic Memory Allocation Approach for Virtualization Platforms", IEEE
BigDataSecurity/HPSC/IDS 2017), built for Xen.  Every guest has a critical
memory amount (CMA): what it needs so that it does not swap.  Memory is
adjusted toward the CMA periodically, and at once (the emergency
allocation) when a guest starts swapping or runs low; memcoord's core calls
decide() with ctx.reason == "pressure" for that.  The paper's own CMA
formula is not in the seed; this one is ours:

  CMA = used + swap_factor x (swap_in + swap_out since the last call, KiB)
             + fault_mib x (major faults since the last call)
             + max(headroom_pct % of used, headroom_min_mib)

where used = actual - unused.  Swap traffic means the guest had pushed out
memory it needed: it is added back.

Periodic call ("period"):
  CMA above the balloon: grow to the CMA at once (never past max).
  Balloon above the smoothed CMA for release_after calls in a row: give
    back release_fraction of the excess, never below the floor
    (the larger of d.min and floor_mib).  The smoothed CMA rises with the
    CMA at once and falls by only (1 - smoothing) of the gap per call, so
    a guest whose use dips for a moment keeps its memory, and repeated
    releases shrink by less and less as the guest nears its real need.
Emergency call ("pressure"): every guest that swapped, faulted or has less
  than pressure_unused_mib unused grows to max(CMA, actual) + emergency,
  where emergency = max(emergency_min_mib, 2 x its swap traffic); nothing is
  released in an emergency call.

Parameters ([policy] in the INI; MiB unless said):
  headroom_pct        free memory a guest keeps, % of used         (10)
  headroom_min_mib    at least this much headroom                  (64)
  swap_factor         memory of CMA per memory of swap traffic      (1)
  fault_mib           MiB of CMA per major fault      (1/256 = 4 KiB)
  pressure_unused_mib under pressure below this unused             (48)
  emergency_min_mib   an emergency grows by at least this          (64)
  release_after       calls above the CMA before a release          (2)
  release_fraction    share of the excess given back per release    (0.5)
  smoothing           weight of the old smoothed CMA, 0..1          (0.8)
  floor_mib           never release below this                    (256)

Known weaknesses: no notion of fairness between guests: when the host
cannot cover every CMA, the core's budget clamp scales the grows down in
proportion, not by need; swap and fault counters are only as good as the
guest's balloon driver reports them (zero when it does not); unused =
MemFree counts page cache as used, so the CMA of a guest with a big cache
is high and it is released slowly.
--]]

local MiB = mc.MiB
local p = {}
local hist = {}   -- per domain: counters at the last call, smoothed CMA, streak

function init(ctx)
  p.headroom_pct = mc.param(ctx, "headroom_pct", 10) / 100
  p.headroom_min = mc.param(ctx, "headroom_min_mib", 64) * MiB
  p.swap_factor = mc.param(ctx, "swap_factor", 1)
  p.fault_kib = mc.param(ctx, "fault_mib", 4 / MiB) * MiB
  p.pressure_unused = mc.param(ctx, "pressure_unused_mib", 48) * MiB
  p.emergency_min = mc.param(ctx, "emergency_min_mib", 64) * MiB
  p.release_after = mc.param(ctx, "release_after", 2)
  p.release_fraction = mc.param(ctx, "release_fraction", 0.5)
  p.smoothing = mc.param(ctx, "smoothing", 0.8)
  p.floor = mc.param(ctx, "floor_mib", 256) * MiB
end

-- Counter growth since the policy's last look (or d.prev the first time);
-- a counter that went backwards (guest rebooted) counts as 0.
local function delta(d, h, key)
  local old = h and h[key]
  if old == nil and d.prev then old = d.prev[key] end
  local now = d[key]
  if not now or not old or now < old then return 0 end
  return now - old
end

local function critical(d, h)
  local used = d.actual - d.unused
  local swap = delta(d, h, "swap_in") + delta(d, h, "swap_out")
  local faults = delta(d, h, "major_fault")
  local headroom = math.max(p.headroom_pct * used, p.headroom_min)
  local cma = used + p.swap_factor * swap + p.fault_kib * faults + headroom
  local pressed = swap > 0 or faults > 0 or d.unused < p.pressure_unused
  return cma, swap, pressed
end

local function periodic(d, cma, h)
  local smooth = math.max(cma, h and h.smooth or cma)
  local streak = 0
  local want
  if cma > d.actual then
    want = math.min(cma, d.max)
  elseif d.actual > smooth then
    streak = (h and h.streak or 0) + 1
    if streak >= p.release_after then
      local keep = math.max(smooth, p.floor, d.min or 0)
      if keep < d.actual then
        want = d.actual - p.release_fraction * (d.actual - keep)
      end
    end
  end
  -- The smoothed CMA falls slowly toward the CMA: repeated releases shrink.
  smooth = p.smoothing * smooth + (1 - p.smoothing) * cma
  return want, smooth, streak
end

local function emergency(d, cma, swap)
  local extra = math.max(p.emergency_min, 2 * swap)
  return math.min(math.max(cma, d.actual) + extra, d.max)
end

function decide(domains, host, ctx)
  local targets, seen = {}, {}
  local pressure = ctx.reason == "pressure"
  for _, d in ipairs(domains) do
    if d.unused then
      local h = hist[d.name]
      local cma, swap, pressed = critical(d, h)
      local want, smooth, streak
      if pressure then
        if pressed then want = emergency(d, cma, swap) end
        smooth, streak = math.max(cma, h and h.smooth or cma), 0
      else
        want, smooth, streak = periodic(d, cma, h)
      end
      if want and want ~= d.actual then targets[d.name] = math.floor(want) end
      seen[d.name] = { swap_in = d.swap_in, swap_out = d.swap_out,
                       major_fault = d.major_fault, smooth = smooth,
                       streak = streak }
    end
  end
  hist = seen
  return targets
end
