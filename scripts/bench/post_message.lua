-- POST a 200-byte message to the thread in $THREAD_ID with the token in $TOKEN.
local content = string.rep("x", 186)
wrk.method = "POST"
wrk.path = "/api/v1/threads/" .. os.getenv("THREAD_ID") .. "/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = '{"content":"' .. content .. '"}'
