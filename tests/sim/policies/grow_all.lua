-- grow_all.lua - hostile: every guest to its max, every period.  Only the
-- core's clamps stand between it and the host reserve.
function decide(domains, host, ctx)
  local t = {}
  for _, d in ipairs(domains) do t[d.name] = d.max end
  return t
end
