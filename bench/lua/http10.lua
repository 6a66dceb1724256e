-- GET /healthz as HTTP/1.0 without keep-alive: the response is not persistent, so wrk opens a
-- new TCP connection for every request (the cost of no keep-alive, whatever the server does).
local req = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
function request()
  return req
end
