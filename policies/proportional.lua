--[[
proportional.lua - share the host's surplus among guests by weight.

Where it comes from: XenServer's squeezed (each VM between dynamic-min and
dynamic-max, the host's spare memory shared out in proportion) and
Proxmox VE's auto-ballooning (pvestatd: guests between their minimum and
their maximum memory, the memory the host can spare shared by each VM's
"shares").  Here:

  floor(d)  = the larger of d.min and used + floor_headroom_mib (used =
              actual - unused), never above d.max;
  pool      = host.free - host.reserve - host_keep_pct % of host.total
              + the sum of the guests' current sizes;
  surplus   = pool - the sum of the floors;
  target(d) = floor(d) + surplus x weight(d) / sum of weights,
              never above d.max; what a guest cannot take (it reached max)
              goes to the others, again by weight (water-filling).

weight(d) is d.params.weight ([domain "NAME"] weight = ..., or the VM's
metadata), 1 when unset; 0 means "floor only".  When the surplus is negative (the host is short),
every guest is asked for its floor and the core's clamps decide how far
each can really go.

Parameters ([policy] in the INI):
  floor_headroom_mib  free memory every guest keeps above what it
                      uses, MiB                                    (64)
  host_keep_pct       % of host.total kept free on top of the core's
                      host reserve; Proxmox's 80% target is 20     (0)

Known weaknesses: it hands out all the surplus all the time, so idle
guests sit on memory that a new guest will have to win back (slowly, the
core's step limits apply); the floor follows used memory, so a guest that
allocates fast has only floor_headroom_mib plus its share between itself
and swapping; weights are static.
--]]

local MiB = mc.MiB
local p = {}

function init(ctx)
  p.headroom = mc.param(ctx, "floor_headroom_mib", 64) * MiB
  p.keep = mc.param(ctx, "host_keep_pct", 0) / 100
end

local function weight_of(d)
  local w = d.params and d.params.weight
  if type(w) ~= "number" or w ~= w or w < 0 or w == math.huge then return 1 end
  return w
end

-- The guests that take part, each with floor, room above it and weight.
local function members(domains)
  local list, pool = {}, 0
  for _, d in ipairs(domains) do
    if d.unused then
      local used = d.actual - d.unused
      local floor = math.min(math.max(d.min or 0, used + p.headroom), d.max)
      list[#list + 1] = { d = d, floor = floor, room = d.max - floor,
                          w = weight_of(d) }
      pool = pool + d.actual - floor
    end
  end
  return list, pool
end

-- Water-filling: the guests that saturate first are served first.
local function share(list, surplus)
  local weights = 0
  for _, m in ipairs(list) do weights = weights + m.w end
  table.sort(list, function(a, b)
    local ra = a.w > 0 and a.room / a.w or math.huge
    local rb = b.w > 0 and b.room / b.w or math.huge
    if ra ~= rb then return ra < rb end
    return a.d.name < b.d.name
  end)
  for _, m in ipairs(list) do
    local give = 0
    if weights > 0 and surplus > 0 then
      give = math.min(surplus * m.w / weights, m.room)
    end
    m.target = m.floor + give
    surplus = surplus - give
    weights = weights - m.w
  end
end

function decide(domains, host, ctx)
  local list, pool = members(domains)
  local spare = (host.free or 0) - (host.reserve or 0) - p.keep * (host.total or 0)
  share(list, pool + spare)
  local targets = {}
  for _, m in ipairs(list) do
    targets[m.d.name] = math.floor(m.target)
  end
  return targets
end
