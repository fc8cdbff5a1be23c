-- wrk script: POSTs a client_credentials request and counts only correct
-- token responses (200 with an access_token), so errors never pass as speed.
--
-- BENCH_AUTH        the Authorization header of the one client, or
-- BENCH_AUTH_FILE   a file with one Authorization header value per line:
--                   each request picks one of them at random.
-- BENCH_BODY        the form body (default: grant_type=client_credentials).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials"

local threads = {}
local auth_file = os.getenv("BENCH_AUTH_FILE")
local auths = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  if auth_file then
    for line in io.lines(auth_file) do
      if line ~= "" then table.insert(auths, line) end
    end
    math.randomseed(os.time() + #threads)
  end
end

if auth_file then
  -- Defined only with a file, so the one-client case keeps wrk's static request.
  function request()
    wrk.headers["Authorization"] = auths[math.random(#auths)]
    return wrk.format()
  end
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"access_token"', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local good, wrong = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    wrong = wrong + t:get("bad")
  end
  io.write(string.format(
    'BENCH {"ok":%d,"bad":%d,"seconds":%.3f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d}\n',
    good, wrong, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
