--[[
cpu_busiest_to_freest.lua - one move a period, from the busiest pCPU to
the freest.

Where it comes from: the approach most public CS 6210 project 1 vCPU
schedulers take (each period: find the most and the least utilized pCPU,
move one vCPU between them if that narrows the gap).  Simple and stable,
but it needs as many periods as there are moves: Test 1's eight vCPUs on
one pCPU take six.

Which vCPU: of those on the busiest pCPU (pinned there, or last run there),
the one whose demand best halves the gap; none when every move would widen
it.  "Busy" is the guests' load on a pCPU (vcpu_util), as the course's
harness measures it: host load no re-pin can move is left out.
--]]

local function on(v, id)
  if #v.affinity == 1 then return v.affinity[1] == id end
  return v.pcpu == id
end

function place(vcpus, pcpus, ctx)
  local busy, free
  for _, p in ipairs(pcpus) do
    if p.allowed and p.vcpu_util then
      if not busy or p.vcpu_util > busy.vcpu_util then busy = p end
      if not free or p.vcpu_util < free.vcpu_util then free = p end
    end
  end
  if not busy or busy == free then return nil end
  local gap = busy.vcpu_util - free.vcpu_util
  local best, best_after = nil, gap
  for _, v in ipairs(vcpus) do
    if v.demand and not v.excluded and on(v, busy.id) then
      -- the busiest loses the vCPU's share, the freest gains what it wants
      local after = math.abs((busy.vcpu_util - v.util) - (free.vcpu_util + v.demand))
      if after < best_after then best, best_after = v, after end
    end
  end
  if not best then return nil end
  return { { domain = best.domain, vcpu = best.vcpu, pcpu = free.id } }
end
