-- A CPU policy that always moves every vCPU one pCPU on: a balanced host
-- must still see no re-pin (the core's deadband), and a host it keeps
-- moving shows up as flaps.  For tests/sim/run.sh only.
function place(vcpus, pcpus, ctx)
  local pins = {}
  for _, v in ipairs(vcpus) do
    local now = #v.affinity == 1 and v.affinity[1] or v.pcpu
    pins[#pins + 1] = { domain = v.domain, vcpu = v.vcpu, pcpu = (now + 1) % #pcpus }
  end
  return pins
end
