--[[
cpu_balance.lua - memcoord's default vCPU placement.

Where it comes from: longest-processing-time-first scheduling (R. L.
Graham, "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math.
17(2), 1969: sort jobs by size, give each to the least loaded machine;
within 4/3 of the best makespan), applied to the course's vCPU scheduler
(CS 6210 project 1, seeds 001: balance pCPU utilization, stddev <= 5).
What it adds to plain LPT: the bins LPT fills are only then given pCPUs,
each bin the pCPU its vCPUs already sit on most (weighted by demand), so a
host that is already balanced, or nearly, keeps its pins: a vCPU moves only
when its bin landed elsewhere.

Load is a vCPU's demand = util + delay (run-queue wait, from schedstats),
so a vCPU squeezed onto a crowded pCPU counts for what it would use, not
for the slice it gets.

And it leaves a placement alone unless LPT's is clearly better: when the
busiest pCPU's demand now is within min_gain of LPT's busiest, nothing
moves.  Demand is measured, so it is noisy: on real guests two LPT runs
pair equal vCPUs differently from one period to the next, and without
this a balanced host would swap pairs whenever noise pushed it past the
deadband (seen on TCG guests, tests/e2e/cpu.sh).

Parameters ([policy]):
  min_gain   points of demand on the busiest pCPU a re-placement must
             save, at least                                          (10)

The core does the rest: no moves while the pCPUs are within [cpu]
deadband, none for a vCPU pinned less than [cpu] dwell ago, at most
[cpu] max_moves a period, and only allowed pCPUs.

Known weaknesses: host load outside guests (pcpus[i].other) is not
balanced, only avoided by [cpu] reserve_pcpus; one vCPU is one job, so a
vCPU heavier than a pCPU's share makes balance impossible and LPT just does
its best.
--]]

-- The pCPU a vCPU counts as "on": its pin when it has exactly one, else
-- where it last ran.
local function current(v)
  if #v.affinity == 1 then return v.affinity[1] end
  return v.pcpu
end

local function allowed_pcpus(pcpus)
  local ids = {}
  for _, p in ipairs(pcpus) do
    if p.allowed then ids[#ids + 1] = p.id end
  end
  return ids
end

local function by_demand(a, b)
  if a.demand ~= b.demand then return a.demand > b.demand end
  if a.domain ~= b.domain then return a.domain < b.domain end
  return a.vcpu < b.vcpu
end

-- LPT: each vCPU, heaviest first, into the lightest of n bins.
local function lpt(list, n)
  local load, bin = {}, {}
  for b = 1, n do load[b] = 0 end
  for _, v in ipairs(list) do
    local best = 1
    for b = 2, n do
      if load[b] < load[best] then best = b end
    end
    load[best] = load[best] + v.demand
    bin[v] = best
  end
  return bin
end

-- Bins to pCPUs, greedily by the demand each bin already has on each
-- pCPU (ties: lower bin, lower pCPU, so the answer is repeatable).
local function relabel(list, bin, ids)
  local overlap, pairs_ = {}, {}
  for _, v in ipairs(list) do
    local key = bin[v] .. ":" .. tostring(current(v))
    overlap[key] = (overlap[key] or 0) + v.demand + 1e-3
  end
  for b = 1, #ids do
    for i, p in ipairs(ids) do
      pairs_[#pairs_ + 1] = { b = b, i = i, p = p, w = overlap[b .. ":" .. p] or 0 }
    end
  end
  table.sort(pairs_, function(x, y)
    if x.w ~= y.w then return x.w > y.w end
    if x.b ~= y.b then return x.b < y.b end
    return x.i < y.i
  end)
  local pcpu_of, taken = {}, {}
  for _, e in ipairs(pairs_) do
    if not pcpu_of[e.b] and not taken[e.p] then
      pcpu_of[e.b] = e.p
      taken[e.p] = true
    end
  end
  return pcpu_of
end

-- The busiest allowed pCPU's demand as the vCPUs sit now; infinite when
-- one sits outside the allowed pCPUs or nobody knows where.
local function busiest_now(list, ids)
  local load = {}
  for _, p in ipairs(ids) do load[p] = 0 end
  for _, v in ipairs(list) do
    local p = current(v)
    if p == nil or load[p] == nil then return math.huge end
    load[p] = load[p] + v.demand
  end
  local most = 0
  for _, l in pairs(load) do most = math.max(most, l) end
  return most
end

local function busiest_bin(list, bin)
  local load, most = {}, 0
  for _, v in ipairs(list) do
    load[bin[v]] = (load[bin[v]] or 0) + v.demand
    most = math.max(most, load[bin[v]])
  end
  return most
end

function place(vcpus, pcpus, ctx)
  local min_gain = tonumber(ctx.params.min_gain) or 10
  local ids = allowed_pcpus(pcpus)
  local list = {}
  for _, v in ipairs(vcpus) do
    if v.demand and not v.excluded then list[#list + 1] = v end
  end
  if #ids == 0 or #list == 0 then return nil end
  table.sort(list, by_demand)
  local bin = lpt(list, #ids)
  if busiest_now(list, ids) - busiest_bin(list, bin) < min_gain then return nil end
  local pcpu_of = relabel(list, bin, ids)
  local pins = {}
  for _, v in ipairs(list) do
    local p = pcpu_of[bin[v]]
    if not (#v.affinity == 1 and v.affinity[1] == p) then
      pins[#pins + 1] = { domain = v.domain, vcpu = v.vcpu, pcpu = p }
    end
  end
  return pins
end
