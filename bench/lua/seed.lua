-- Seeds OTPs for the verify scenarios and records "id pin" lines in OUT_DIR/seed-<tid>.txt.
-- Each thread creates TARGET/threads OTPs (phones "0" .. PREFIX_DIGIT .. tid .. counter), then
-- reads each code back from GET /dev/inbox?phone=... (MODE "codes"); MODE "ids" records only
-- the ids (pin "-"). Responses identify themselves (an OTP id or an inbox), so any connection
-- may carry any step. A thread stops itself once every OTP it created is recorded.
-- Usage: wrk ... -s seed.lua URL -- MODE TARGET_PER_THREAD PREFIX_DIGIT MAX_ATTEMPTS OUT_DIR
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local mode, target, prefix, max_attempts, out
local sent, recorded, lost = 0, 0, 0
local queue, head, tail = {}, 1, 0  -- phones whose code is still to be read from the inbox
local pending_ids = {}              -- phone -> otp id, until the code is read

function init(args)
  mode = args[1] or "codes"
  target = tonumber(args[2] or "1000")
  prefix = "0" .. (args[3] or "5")
  max_attempts = tonumber(args[4] or "3")
  out = assert(io.open(string.format("%s/seed-%d.txt", args[5] or ".", tid), "w"))
  recorded_global = 0
end

local function record(id, pin)
  out:write(id, " ", pin, "\n")
  recorded = recorded + 1
  recorded_global = recorded
  if recorded % 500 == 0 then out:flush() end
  if recorded + lost >= target then
    out:close()
    out = nil
    wrk.thread:stop()
  end
end

function request()
  if head <= tail then
    local phone = queue[head]
    queue[head] = nil
    head = head + 1
    return wrk.format("GET", "/dev/inbox?phone=" .. phone)
  end
  if sent < target then
    sent = sent + 1
    local phone = string.format("%s%d%07d", prefix, tid, sent)
    return wrk.format("POST", "/v1/otp/request", json_headers,
      '{"phone":"' .. phone .. '","expiry":{"amount":60,"duration":"minutes"},"maxAttempts":' ..
      max_attempts .. '}')
  end
  return wrk.format("GET", "/healthz")  -- waiting for deliveries: keep the connection busy cheaply
end

function response(status, headers, body)
  count_status(status)
  if out == nil then return end
  if status == 201 then
    local id = body:match('"id":"(otp_[%w]+)"')
    local phone = body:match('"phone":"(%d+)"')
    if mode == "ids" then
      record(id, "-")
    else
      pending_ids[phone] = id
      tail = tail + 1
      queue[tail] = phone
    end
  elseif status == 200 and body:find('"messages"', 1, true) then
    local phone = body:match('"phone":"(%d+)"')
    local id = pending_ids[phone]
    if id == nil then return end
    local code = body:match('"otpId":"' .. id .. '"[^}]-"text":"Your code is (%w+)')
    if code == nil then
      code = body:match('"text":"Your code is (%w+)[^}]-"otpId":"' .. id .. '"')
    end
    if code then
      pending_ids[phone] = nil
      record(id, code)
    else
      tail = tail + 1  -- not delivered yet (the dispatcher runs in the background): ask again
      queue[tail] = phone
    end
  elseif status ~= 200 then
    lost = lost + 1  -- a failed create is never recorded; count it so the thread can finish
  end
end

function done(summary, latency, requests)
  print_status_counts({"recorded_global"})
end
