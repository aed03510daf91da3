--[[
cpu_round_robin.lua - the naive vCPU scheduler of the course's blog.

Where it comes from: "A naive round robin CPU scheduler" (seeds 001, the
CS 6210 project 1 blog): vCPU i goes to pCPU i mod n, load not considered.
It balances equal loads (Tests 1-4) and, as the blog says, not Test 5's
unequal ones.  Kept as the baseline the default policy is measured
against.

Order: vCPUs by domain name, then index (the order memcoord passes them);
only allowed pCPUs count.  A vCPU already pinned to its pCPU is left out.
--]]

function place(vcpus, pcpus, ctx)
  local ids = {}
  for _, p in ipairs(pcpus) do
    if p.allowed then ids[#ids + 1] = p.id end
  end
  if #ids == 0 then return nil end
  local pins = {}
  for i, v in ipairs(vcpus) do
    local p = ids[(i - 1) % #ids + 1]
    if not (#v.affinity == 1 and v.affinity[1] == p) then
      pins[#pins + 1] = { domain = v.domain, vcpu = v.vcpu, pcpu = p }
    end
  end
  return pins
end
