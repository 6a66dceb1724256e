-- Seeds OTPs for the verify and USSD scenarios and appends "id pin phone" lines to OUT_DIR/seed-<tid>.txt.
-- Each thread creates up to TARGET OTPs (phones "0" PREFIX tid CHUNK(2) COUNTER(5): distinct
-- across chunks), then reads each code back from GET /dev/inbox?phone=... (MODE "codes");
-- MODE "ids" records only the ids (pin "-"). Responses identify themselves (an OTP id or an
-- inbox), so any connection may carry any step. A thread stops itself once its OTPs are all
-- recorded; wrk itself always runs for its -d, so bench/run calls this in short chunks.
-- Usage: wrk ... -s seed.lua URL -- MODE TARGET_PER_THREAD PREFIX_DIGIT MAX_ATTEMPTS OUT_DIR CHUNK
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local mode, target, prefix, max_attempts, out
local sent, created, recorded, failed = 0, 0, 0, 0
local queue, head, tail = {}, 1, 0  -- phones whose code is still to be read from the inbox
local pending_ids = {}              -- phone -> otp id, until the code is read
local finished = false

function init(args)
  mode = args[1] or "codes"
  target = tonumber(args[2] or "1000")
  prefix = "0" .. (args[3] or "5")
  max_attempts = tonumber(args[4] or "3")
  chunk = tonumber(args[6] or "0")
  out = assert(io.open(string.format("%s/seed-%d.txt", args[5] or ".", tid), "a"))
  out:setvbuf("line")  -- wrk may end the run at any moment: keep every recorded line
  recorded_total = 0
end

local function maybe_finish()
  if not finished and sent >= target and recorded + failed >= sent then
    finished = true
    out:close()
    wrk.thread:stop()
  end
end

local function record(id, pin, phone)
  out:write(id, " ", pin, " ", phone, "\n")
  recorded = recorded + 1
  recorded_total = recorded
end

function request()
  local check = script_check_request()
  if check then return check end
  if head <= tail then
    local phone = queue[head]
    queue[head] = nil
    head = head + 1
    return wrk.format("GET", "/dev/inbox?phone=" .. phone)
  end
  if sent < target then
    sent = sent + 1
    local phone = string.format("%s%d%02d%05d", prefix, tid, chunk, sent)
    return wrk.format("POST", "/v1/otp/request", json_headers,
      '{"phone":"' .. phone .. '","expiry":{"amount":60,"duration":"minutes"},"maxAttempts":' ..
      max_attempts .. '}')
  end
  return wrk.format("GET", "/healthz")  -- waiting for deliveries: keep the connection busy cheaply
end

function response(status, headers, body)
  count_status(status)
  if finished then return end
  if status == 201 then
    local id = body:match('"id":"(otp_[%w]+)"')
    local phone = body:match('"phone":"(%d+)"')
    if mode == "ids" then
      record(id, "-", phone)
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
      record(id, code, phone)
    else
      tail = tail + 1  -- not delivered yet (the dispatcher runs in the background): ask again
      queue[tail] = phone
    end
  elseif status ~= 200 then
    failed = failed + 1  -- a failed create is never recorded
  end
  maybe_finish()
end

function done(summary, latency, requests)
  print_status_counts({"recorded_total"})
end
