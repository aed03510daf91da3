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
