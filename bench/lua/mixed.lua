-- Mixed OTP traffic for bench/soak: each OTP is requested, its code read from the dev inbox, and
-- then verified (2 of 4), cancelled (1 of 4) or read on the Africa's Talking USSD menu (1 of 4).
-- Every answer is checked; anything unexpected counts as an error (BENCH errors N).
-- Phones are "0" .. PREFIX_DIGIT .. thread id .. 7-digit counter from START, so runs given
-- different STARTs never ask twice for the same number while an OTP for it is still pending.
-- Usage: wrk ... -s mixed.lua URL -- START [PREFIX_DIGIT]
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local start, prefix, counter = 0, "06", 0
local inbox = {}    -- phones whose code is still to be read
local actions = {}  -- {kind, id, phone, code} ready to send
-- Responses carry no request identity (wrk pipelines any request on any connection), so each kind
-- of answer identifies itself: an OTP id, an inbox listing, a verify result, a USSD screen.
requested, verified, cancelled, ussd_shown, errors = 0, 0, 0, 0, 0

function init(args)
  start = tonumber(args[1] or "0")
  prefix = "0" .. (args[2] or "6")
end

local form_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}

local function local_number(e164)  -- "233601234567" -> "0601234567"
  return "0" .. e164:sub(4)
end

function request()
  local check = script_check_request()
  if check then return check end
  local action = table.remove(actions, 1)
  if action then
    if action.kind == "verify" then
      return wrk.format("POST", "/v1/otp/verify", json_headers,
        '{"id":"' .. action.id .. '","pin":"' .. action.code .. '"}')
    elseif action.kind == "cancel" then
      return wrk.format("POST", "/v1/otp/" .. action.id .. "/cancel", json_headers, "")
    else
      return wrk.format("POST", "/ussd/africastalking", form_headers,
        "sessionId=soak-" .. action.id .. "&serviceCode=%2A889%2A142%23&phoneNumber=%2B" ..
        action.phone .. "&networkCode=62001&text=" .. local_number(action.phone))
    end
  end
  local phone = table.remove(inbox, 1)
  if phone then return wrk.format("GET", "/dev/inbox?phone=" .. phone) end
  counter = counter + 1
  local number = string.format("%s%d%07d", prefix, tid, (start + counter) % 10000000)
  return wrk.format("POST", "/v1/otp/request", json_headers, '{"phone":"' .. number .. '"}')
end

local pending = {}  -- phone -> otp id, until its code is read

function response(status, headers, body)
  count_status(status)
  if status == 201 then
    local id = body:match('"id":"(otp_%w+)"')
    local phone = body:match('"phone":"(%d+)"')
    if id and phone then
      requested = requested + 1
      pending[phone] = id
      table.insert(inbox, phone)
    else
      errors = errors + 1
    end
  elseif status == 200 and body:find('"messages"', 1, true) then
    local phone = body:match('"phone":"(%d+)"')
    local id = phone and pending[phone]
    if not id then return end
    local code = body:match('"otpId":"' .. id .. '"[^}]-"text":"Your code is (%w+)') or
      body:match('"text":"Your code is (%w+)[^}]-"otpId":"' .. id .. '"')
    if not code then
      table.insert(inbox, phone)  -- not delivered yet (the dispatcher runs behind): ask again
      return
    end
    pending[phone] = nil
    local turn = (requested % 4)
    local kind = (turn == 0 and "cancel") or (turn == 1 and "ussd") or "verify"
    table.insert(actions, {kind = kind, id = id, phone = phone, code = code})
  elseif status == 200 and body:find('"verified":true', 1, true) then
    verified = verified + 1
  elseif status == 200 and body:find('"status":"cancelled"', 1, true) then
    cancelled = cancelled + 1
  elseif status == 200 and body:sub(1, 17) == "END Your code is " then
    ussd_shown = ussd_shown + 1
  elseif status == 200 and body:find('"status":"ok"', 1, true) then
    -- the script check's /healthz
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  print_status_counts({"requested", "verified", "cancelled", "ussd_shown", "errors"})
end
