-- Africa's Talking callbacks for subscribers with seeded OTPs (OUT_DIR/seed-*.txt, "id pin phone").
-- MODE "dial": the first step of one session per subscriber (text empty).
-- MODE "final": the number-entered step of those sessions, which shows the code and ends them.
-- Once every subscriber had its turn, "final" goes on with new sessions that carry the number in
-- the first request (the dial-string shortcut): the same lookup, reveal and writes.
-- Replies are checked: "CON Enter ..." for dial, "END Your code is ..." for final.
-- Usage: wrk ... -s ussd.lua URL -- MODE WRK_THREADS SEED_DIR
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local mode, phones, next_index, round = "final", {}, 1, 0
ok, wrong = 0, 0

function init(args)
  mode = args[1] or "final"
  local nthreads = tonumber(args[2] or "2")
  local listing = io.popen("cat " .. (args[3] or ".") .. "/seed-*.txt")
  local i = 0
  for line in listing:lines() do
    local phone = line:match("^%S+ %S+ (%d+)")
    if phone then
      if i % nthreads == tid then table.insert(phones, phone) end
      i = i + 1
    end
  end
  listing:close()
  if #phones == 0 then error("no seeded phones in " .. (args[3] or ".")) end
end

-- `phone` is E.164 digits ("233710000001"); the subscriber types it the local way ("0710000001").
local function body(session, phone, text)
  return "sessionId=" .. session .. "&serviceCode=%2A889%2A142%23&phoneNumber=%2B" .. phone ..
    "&networkCode=62001&text=" .. text
end

local form_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}

function request()
  local check = script_check_request()
  if check then return check end
  if next_index > #phones then
    next_index = 1
    round = round + 1
  end
  local phone = phones[next_index]
  next_index = next_index + 1
  local session = "bench-" .. phone .. "-" .. round
  local text = ""
  if mode == "final" then text = "0" .. phone:sub(4) end
  return wrk.format("POST", "/ussd/africastalking", form_headers, body(session, phone, text))
end

function response(status, headers, reply)
  count_status(status)
  if status ~= 200 then return end
  local expected = "CON Enter"
  if mode == "final" then expected = "END Your code is " end
  if reply:sub(1, #expected) == expected then ok = ok + 1 else wrong = wrong + 1 end
end

function done(summary, latency, requests)
  print_status_counts({"ok", "wrong"})
end
