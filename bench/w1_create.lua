-- wrk script for W1: POST /api/v1/tickets, each request with its own Idempotency-Key and a
-- valid body (category with its required elements, a valid mainland mobile number).
-- Data (token, body templates, existing customers' numbers) come from the file that
-- bench/w1_create.py writes and names in W1_DATA; W1_RUN makes the keys unique per run.

local data = dofile(os.getenv("W1_DATA"))
local run = os.getenv("W1_RUN") or tostring(os.time())
local threads = {}
local counter = 0
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept-Language"] = "zh-hans",
  ["Authorization"] = "Bearer " .. data.token,
}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  math.randomseed(os.time() * 1000 + tid)
end

local function phone()
  -- about a third are customers who called before (found by number), the rest are new
  if math.random() < 0.3 then
    return data.known[math.random(#data.known)]
  end
  return data.prefixes[math.random(#data.prefixes)] .. string.format("%08d", math.random(0, 99999999))
end

function request()
  counter = counter + 1
  local template = data.bodies[(counter % #data.bodies) + 1]
  local body = template:gsub("{{PHONE}}", phone())
  headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", data.path, headers, body)
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'W1JSON {"duration_us": %d, "requests": %d, "statuses": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.duration, summary.requests, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
