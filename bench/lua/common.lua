-- Shared by the POST scenarios: per-thread ids, auth headers, a status-code breakdown.
-- Loaded with dofile() from the scenario scripts; BENCH_DIR points at bench/lua.
threads = {}

function setup(thread)
  thread:set("tid", #threads)  -- 0, 1, ... (one digit is enough for the phone scheme)
  table.insert(threads, thread)
end

api_key = os.getenv("BENCH_API_KEY") or error("BENCH_API_KEY is not set")
json_headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. api_key,
}

counts = {}

function count_status(status)
  counts[status] = (counts[status] or 0) + 1
end

-- done() runs in wrk's main Lua state: merge the per-thread tables.
function print_status_counts(extra_keys)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts") or {}
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local keys = {}
  for status in pairs(total) do table.insert(keys, status) end
  table.sort(keys)
  for _, status in ipairs(keys) do
    io.write(string.format("BENCH status %d %d\n", status, total[status]))
  end
  for _, name in ipairs(extra_keys or {}) do
    local sum = 0
    for _, thread in ipairs(threads) do sum = sum + (thread:get(name) or 0) end
    io.write(string.format("BENCH %s %d\n", name, sum))
  end
end

-- wrk calls request() once on thread 0 to check the script and discards the result. Scripts that
-- hand out seeded or counted items answer that call with this /healthz request, so none is lost.
local script_check_done = false
function script_check_request()
  if not script_check_done and tid == 0 then
    script_check_done = true
    return wrk.format("GET", "/healthz")
  end
  return nil
end
