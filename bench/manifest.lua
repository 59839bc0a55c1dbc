-- wrk script: GET or HEAD of a manifest; every answer is checked (status 200, the
-- Docker-Content-Digest header, and for GET the body length). Configured by env:
-- BENCH_METHOD, BENCH_ACCEPT, BENCH_AUTH, BENCH_LEN, BENCH_DIGEST.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["Accept"] = os.getenv("BENCH_ACCEPT")
local auth = os.getenv("BENCH_AUTH")
if auth then wrk.headers["Authorization"] = auth end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  bad = 0
  ok = 0
  expect_len = tonumber(os.getenv("BENCH_LEN"))
  expect_digest = os.getenv("BENCH_DIGEST")
  is_get = (wrk.method == "GET")
end

function response(status, headers, body)
  local d = headers["Docker-Content-Digest"] or headers["docker-content-digest"]
  if status ~= 200 or d ~= expect_digest then
    bad = bad + 1
  elseif is_get and (body == nil or #body ~= expect_len) then
    bad = bad + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local b, o = 0, 0
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    o = o + t:get("ok")
  end
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bad":%d,"ok":%d,"p50_us":%d,"p99_us":%d,"errors":%d}\n',
    summary.requests, summary.duration, b, o, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
