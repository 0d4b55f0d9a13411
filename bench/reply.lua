-- wrk script: POST public replies to console tickets (multipart, with the session's CSRF token),
-- taking the tickets in turn. Set by bench/run through the environment: COOKIE, TOKEN, and
-- TICKETS (numbers separated by spaces; one number puts every reply on the same ticket).
local boundary = "----supportdeskbench"
local token = os.getenv("TOKEN")
local tickets = {}
for t in string.gmatch(os.getenv("TICKETS"), "%d+") do table.insert(tickets, t) end
local headers = {
  ["Cookie"] = os.getenv("COOKIE"),
  ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
}
local body = "--" .. boundary .. "\r\n"
  .. "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" .. token .. "\r\n"
  .. "--" .. boundary .. "\r\n"
  .. "Content-Disposition: form-data; name=\"body\"\r\n\r\n"
  .. "Thanks, we are looking into it. (benchmark reply)\r\n"
  .. "--" .. boundary .. "--\r\n"
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/console/tickets/" .. tickets[(i % #tickets) + 1] .. "/messages", headers, body)
end
