-- nothing.lua - the do-nothing policy: never resizes anything.  The
-- simulator tests run the course scenarios with it to prove they can fail
-- (without a coordinator the consuming guests are OOM-killed).
function decide(domains, host, ctx)
  return {}
end
