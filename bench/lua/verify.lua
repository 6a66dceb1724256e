-- POST /v1/otp/verify against seeded OTPs (files OUT_DIR/seed-*.txt with "id pin phone" lines).
-- MODE "correct": each OTP once, with its real pin (expect 200). Once a thread's share runs out
--   it sends an unknown id (404), so exhaustion shows up in the status counts, never hidden.
-- MODE "wrong": pin "000000" round-robin over the OTPs (maxAttempts 10 when seeded): attempts
--   1-9 answer 400 INVALID_PIN, the 10th 423 and locks, later ones 423 without a write.
-- Usage: wrk ... -s verify.lua URL -- MODE THREADS SEED_DIR
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local mode
local ids, pins = {}, {}
local i = 0

function init(args)
  mode = args[1] or "correct"
  local nthreads = tonumber(args[2] or "2")
  local dir = args[3] or "."
  local n = 0
  local listing = io.popen('ls "' .. dir .. '"/seed-*.txt 2>/dev/null')
  for path in listing:lines() do
    for line in io.lines(path) do
      local id, pin = line:match("^(%S+) (%S+)")
      if id then
        if n % nthreads == tid then
          table.insert(ids, id)
          table.insert(pins, pin)
        end
        n = n + 1
      end
    end
  end
  listing:close()
  seeded_share = #ids
end

function request()
  local check = script_check_request()
  if check then return check end
  i = i + 1
  local id, pin
  if mode == "correct" then
    if i <= #ids then
      id, pin = ids[i], pins[i]
    else
      id, pin = "otp_ffffffffffffffffffffffffffffffff", "000000"  -- seed exhausted: 404
    end
  else
    local k = ((i - 1) % #ids) + 1
    id, pin = ids[k], "000000"
  end
  return wrk.format("POST", "/v1/otp/verify", json_headers,
    '{"id":"' .. id .. '","pin":"' .. pin .. '"}')
end

function response(status, headers, body)
  count_status(status)
end

function done(summary, latency, requests)
  print_status_counts({"seeded_share"})
end
