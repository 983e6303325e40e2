-- wrk script: each write carries N requests (wrk ... -- N); default 16.
local batch

init = function(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format(nil, wrk.path)
  batch = string.rep(one, depth)
end

request = function()
  return batch
end
