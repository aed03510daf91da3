--[[
target_unused.lua - hold every guest's unused memory at one target, in
fixed steps.

Where it comes from: the "Linux VM Memory Scheduler" course coordinator
(seed 003).  Each period, a guest below the unused target gets
2 x step more memory, a guest above it gives back 1 x step: memory that is
needed has priority over memory that is merely idle.  The host comes
first: no guest grows when the host would be left with less than
2 x target free.  Nothing grows past its maximum.

Changes from the seed: the host check reads host.free (the original read
a different counter and was never tested, by its author's account); shrinks
are counted before grows, as the seed's README says it meant ("the check is
performed after memory would be returned to the host"); guests are served
neediest first, so when the host can feed only some of them, the ones with
the least unused memory are fed.

Parameters ([policy] in the INI; MiB, the defaults are the seed's KiB):
  target_unused_mib   unused memory to hold in every guest
                      (150000 / 1024 = 146.484375, 150000 KiB)
  step_mib            shrink step; a grow is grow_factor x this
                      (50000 / 1024 = 48.828125, 50000 KiB)
  grow_factor         grow steps are this many shrink steps         (2)
  host_min_factor     never leave the host with less free memory
                      than this many x target_unused_mib            (2)
  hysteresis_mib      shrink only when unused > target + this;
                      0 is the seed's behaviour                     (0)
target_unused_mib is the same key as balance_unused.lua's, with the same
meaning: a [policy] section that sets it (the shipped memcoord.ini does,
160) sets it for both.

Known weaknesses: fixed steps are blind to how fast a guest consumes, so a
guest that allocates faster than grow_factor x step per period runs out
before it is served (the core's pressure path narrows, not closes, that
gap); with hysteresis 0 a guest just above the target oscillates
(shrink 50000 KiB -> grow 100000 KiB -> shrink ...); one target for every guest,
whatever its size.
--]]

local MiB = mc.MiB
local p = {}

function init(ctx)
  p.target = mc.param(ctx, "target_unused_mib", 150000 / MiB) * MiB
  p.step = mc.param(ctx, "step_mib", 50000 / MiB) * MiB
  p.grow = p.step * mc.param(ctx, "grow_factor", 2)
  p.host_min = p.target * mc.param(ctx, "host_min_factor", 2)
  p.hysteresis = mc.param(ctx, "hysteresis_mib", 0) * MiB
end

function decide(domains, host, ctx)
  local targets, needy = {}, {}
  local free = host.free or 0
  -- Shrinks first: what they give back is free for the grows below.
  for _, d in ipairs(domains) do
    if d.unused then
      if d.unused < p.target and d.actual < d.max then
        needy[#needy + 1] = d
      elseif d.unused > p.target + p.hysteresis then
        targets[d.name] = d.actual - p.step
        free = free + p.step
      end
    end
  end
  table.sort(needy, function(a, b)
    if a.unused ~= b.unused then return a.unused < b.unused end
    return a.name < b.name
  end)
  for _, d in ipairs(needy) do
    local want = math.min(d.actual + p.grow, d.max)
    local grow = want - d.actual
    if free - grow >= p.host_min then   -- the host comes first
      targets[d.name] = want
      free = free - grow
    end
  end
  return targets
end
