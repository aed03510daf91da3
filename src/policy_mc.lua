--[[
policy_mc.lua - the helper module every policy gets as the global `mc`.

Embedded into memcoord at build time (src/policy_mc.c) and run in each
policy's sandbox before the policy's own code, so a policy needs no
require (there is none) and the daemon reads nothing from disk for it.
Documented in docs/policies.md ("The mc module"); a unit test compares
its keys with that document.
--]]

local mc = {}

-- KiB per MiB.  All memory in the contract is KiB; policy parameters are
-- MiB, so a policy reads them as mc.param(ctx, "x_mib", 64) * mc.MiB.
mc.MiB = 1024

-- ctx.params[key] when the INI gave a number there, else default.  INI
-- values that are not numbers arrive as strings: those fall back too.
function mc.param(ctx, key, default)
  local v = ctx.params and ctx.params[key]
  if type(v) ~= "number" then return default end
  return v
end

-- oVirt MOM's KSM rules, as vdsm ships them (static/etc/vdsm/mom.d/
-- 03-ksm.policy in oVirt/vdsm; the same as doc/ksm.rules in oVirt/mom
-- plus a 10 ms floor on the sleep).  Read, not copied; MOM's figures map
-- to ours as its HostMemory and HostKSM collectors read them: mem_available
-- = MemTotal (host.total), mem_free = MemFree + Buffers + Cached
-- (host.free), ksm_shareable = the QEMU processes' virtual size, about the
-- guests' maximum memory (sum of d.max here).
--
--   threshold = total x ksm_free_percent (0.20)
--   free      = host.free averaged over the last 10 calls (MOM's StatAvg)
--   threshold + committed < total and free > threshold: run = 0 (stop)
--   otherwise run = 1, sleep_millisecs = max(10, 10 ms x 16 GiB / total),
--     pages_to_scan += 300 when free < threshold, else -= 50,
--     within [64, 1250]
--
-- Not followed: MOM's run = 2 (unmerge) when merge_across_nodes must
-- change; memcoord never sets merge_across_nodes and refuses run = 2.
-- Returns the host settings to give as decide()'s second value, or nil
-- on a host without KSM.  Parameters ([policy], MOM's names):
-- ksm_free_percent, ksm_pages_boost, ksm_pages_decay, ksm_npages_min,
-- ksm_npages_max, ksm_sleep_ms_baseline.
local free_history = {}

local function average_free(host)
  table.insert(free_history, host.free)
  if #free_history > 10 then table.remove(free_history, 1) end
  local sum = 0
  for _, v in ipairs(free_history) do sum = sum + v end
  return sum / #free_history
end

function mc.ksm_mom(domains, host, ctx)
  local ksm = host.ksm
  if not ksm or host.total <= 0 then return nil end
  local threshold = host.total * mc.param(ctx, "ksm_free_percent", 0.20)
  local committed = 0
  for _, d in ipairs(domains) do committed = committed + d.max end
  local free = average_free(host)
  if threshold + committed < host.total and free > threshold then
    return { ksm = { run = 0 } }
  end
  local delta = free < threshold and mc.param(ctx, "ksm_pages_boost", 300)
                or mc.param(ctx, "ksm_pages_decay", -50)
  local pages = math.min(math.max(ksm.pages_to_scan + delta,
                                  mc.param(ctx, "ksm_npages_min", 64)),
                         mc.param(ctx, "ksm_npages_max", 1250))
  local sleep = mc.param(ctx, "ksm_sleep_ms_baseline", 10) * 16 * 1024 * mc.MiB
                // host.total
  return { ksm = { run = 1, pages_to_scan = pages,
                   sleep_millisecs = math.max(10, sleep) } }
end

-- Read-only, so that one policy's typo (mc.MiB = ...) cannot change what
-- its own later calls compute; pairs(mc) still lists the helpers.
return setmetatable({}, {
  __index = mc,
  __newindex = function(_, k)
    error("mc is read-only (mc." .. tostring(k) .. ")", 2)
  end,
  __pairs = function() return next, mc, nil end,
  __metatable = false,
})
