-- wrk script for bench/load.py: sends the requests of a file in turn and counts statuses.
--
--   wrk -t1 -c16 -d10s -s bench/lua/rotate.lua -H 'Authorization: Bearer T' URL -- FILE
--
-- FILE has one request a line, tab-separated: METHOD, PATH and, for a POST, a JSON body.
-- Every request is formatted once in init(), so request() only picks the next string (the
-- generator stays cheap). done() prints one JSON line: requests, duration, p50 and p99
-- latency (microseconds), the counts of 5xx and of non-2xx answers, of socket errors, and of
-- each status.

local requests, count, next_index = {}, 0, 0
status_5xx, non_2xx, statuses = 0, 0, {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in file:lines() do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      local headers = {}  -- wrk.format takes these instead of wrk.headers (-H): copy those
      for name, value in pairs(wrk.headers) do
        headers[name] = value
      end
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      count = count + 1
      requests[count] = wrk.format(method, path, headers, body)
    end
  end
  file:close()
  assert(count > 0, "no requests in " .. args[1])
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 500 then
    status_5xx = status_5xx + 1
  end
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, _)
  local fives, others, by_status = 0, 0, {}
  for _, thread in ipairs(threads) do
    fives = fives + thread:get("status_5xx")
    others = others + thread:get("non_2xx")
    for status, n in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local counts = {}
  for status, n in pairs(by_status) do
    table.insert(counts, string.format('"%d": %d', status, n))
  end
  table.sort(counts)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"status_5xx": %d, "non_2xx": %d, "socket_errors": %d, "timeouts": %d, '
      .. '"statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, fives, others, e.connect + e.read + e.write, e.timeout,
    table.concat(counts, ", ")))
end
