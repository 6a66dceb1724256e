-- POST /v1/otp/request with a distinct, valid Ghana number per request:
-- "0" .. PREFIX_DIGIT .. thread id .. 7-digit counter = 10-digit local number (9-digit national).
-- Usage: wrk ... -s request.lua URL -- PREFIX_DIGIT
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local counter = 0
local prefix = "02"

function init(args)
  prefix = "0" .. (args[1] or "2")
end

function request()
  counter = counter + 1
  local phone = string.format("%s%d%07d", prefix, tid, counter)
  return wrk.format("POST", "/v1/otp/request", json_headers, '{"phone":"' .. phone .. '"}')
end

function response(status, headers, body)
  count_status(status)
end

function done(summary, latency, requests)
  print_status_counts()
end
