--[[
cpu_kernel.lua - leave vCPU placement to the host kernel.

Where it comes from: what a host does with no vCPU scheduler at all: the
Linux scheduler balances runnable threads over the CPUs their affinity
allows (kernel/sched/fair.c load balancing), and pins someone else set
stay.  The course's Tests 1 and 2 start with every vCPU pinned, so this
policy fails them, as it must: it is the do-nothing baseline.

Parameters ([policy]):
  unpin   yes: give every vCPU all allowed pCPUs (undo earlier pins, and
          let the kernel balance from then on)                    (no)
--]]

function place(vcpus, pcpus, ctx)
  local unpin = ctx.params.unpin
  if not (unpin == 1 or unpin == "yes" or unpin == "true") then return nil end
  local all = {}
  for _, p in ipairs(pcpus) do
    if p.allowed then all[#all + 1] = p.id end
  end
  local pins = {}
  for _, v in ipairs(vcpus) do
    if #v.affinity ~= #all then
      pins[#pins + 1] = { domain = v.domain, vcpu = v.vcpu, pcpus = all }
    end
  end
  return pins
end
