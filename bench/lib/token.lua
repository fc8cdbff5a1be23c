-- wrk script: POSTs a client_credentials request and counts only correct
-- token responses (200 with an access_token), so errors never pass as speed.
--
-- BENCH_AUTH        the Authorization header of the one client, or
-- BENCH_AUTH_FILE   a file with one Authorization header value per line:
--                   each request picks one of them at random.
-- BENCH_BODY        the form body (default: grant_type=client_credentials), or
-- BENCH_BODY_FILE   a file with one form body per line: each request picks
--                   one of them at random (a client assertion per client).
-- BENCH_EXPECT      what a correct 200 answer contains (default: "access_token").
-- BENCH_DPOP_FILE   a file with one DPoP proof per line (RFC 9449): each
--                   request sends the next one, as a proof is single use, and
--                   only a DPoP-bound token counts as a correct answer.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
-- An empty BENCH_AUTH sends no Authorization header (a client authenticating in the body).
local bench_auth = os.getenv("BENCH_AUTH")
if bench_auth and bench_auth ~= "" then wrk.headers["Authorization"] = bench_auth end
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials"

local threads = {}
local auth_file = os.getenv("BENCH_AUTH_FILE")
local auths = {}
local body_file = os.getenv("BENCH_BODY_FILE")
local bodies = {}
local dpop_file = os.getenv("BENCH_DPOP_FILE")
local proofs = {}
local next_proof = 1
local want = os.getenv("BENCH_EXPECT") or '"access_token"'
if dpop_file then want = '"token_type":"DPoP"' end

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
  end
  if body_file then
    for line in io.lines(body_file) do
      if line ~= "" then table.insert(bodies, line) end
    end
  end
  math.randomseed(os.time() + #threads)
  if dpop_file then
    for line in io.lines(dpop_file) do
      if line ~= "" then table.insert(proofs, line) end
    end
  end
end

if auth_file or body_file or dpop_file then
  -- Defined only with a file, so the one-client case keeps wrk's static request.
  function request()
    if auth_file then wrk.headers["Authorization"] = auths[math.random(#auths)] end
    if body_file then wrk.body = bodies[math.random(#bodies)] end
    if dpop_file then
      -- Past the last proof, the first is sent again: a replay, which the server must refuse (counted as wrong).
      wrk.headers["DPoP"] = proofs[next_proof] or proofs[1]
      next_proof = next_proof + 1
    end
    return wrk.format()
  end
end

function response(status, headers, body)
  if status == 200 and string.find(body, want, 1, true) then
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
