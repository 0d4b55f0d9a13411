-- wrk script: POST a public reply to one console ticket (multipart, with the session's CSRF token).
-- Set by bench/run through the environment: COOKIE, TOKEN, TICKET.
local boundary = "----supportdeskbench"
local token = os.getenv("TOKEN")
local ticket = os.getenv("TICKET")
wrk.method = "POST"
wrk.path = "/console/tickets/" .. ticket .. "/messages"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
  .. "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" .. token .. "\r\n"
  .. "--" .. boundary .. "\r\n"
  .. "Content-Disposition: form-data; name=\"body\"\r\n\r\n"
  .. "Thanks, we are looking into it. (benchmark reply)\r\n"
  .. "--" .. boundary .. "--\r\n"
