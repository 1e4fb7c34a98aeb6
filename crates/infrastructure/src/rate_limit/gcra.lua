-- GCRA (the generic cell rate algorithm) in one atomic step: the script of redis-gcra by
-- Pavel Pravosud (github.com/rwz/redis-gcra, vendor/perform_gcra_ratelimit.lua, MIT
-- licence), which go-redis/redis_rate runs too. Only the comments are ours.
--
-- KEYS[1]: the key's theoretical arrival time (TAT), in seconds since 2017-01-01.
-- ARGV: burst, rate (requests per period), period (seconds), cost (requests).
-- Returns {allowed (the cost, or 0), remaining, retry_after (s, -1 when allowed),
-- reset_after (s)}; the fractions as strings, since Redis truncates Lua numbers.
redis.replicate_commands()

local rate_limit_key = KEYS[1]
local burst = ARGV[1]
local rate = ARGV[2]
local period = ARGV[3]
local cost = tonumber(ARGV[4])

local emission_interval = period / rate
local increment = emission_interval * cost
local burst_offset = emission_interval * burst

-- Redis's clock, so that every instance sharing this Redis reads the same time. The epoch
-- is moved to 2017 to keep the float's precision (good until 2048).
local jan_1_2017 = 1483228800
local now = redis.call("TIME")
now = (now[1] - jan_1_2017) + (now[2] / 1000000)

local tat = redis.call("GET", rate_limit_key)
if not tat then
  tat = now
else
  tat = tonumber(tat)
end
tat = math.max(tat, now)

local new_tat = tat + increment
local allow_at = new_tat - burst_offset

local diff = now - allow_at
local remaining = diff / emission_interval

if remaining < 0 then
  local reset_after = tat - now
  local retry_after = diff * -1
  return {0, 0, tostring(retry_after), tostring(reset_after)}
end

local reset_after = new_tat - now
if reset_after > 0 then
  redis.call("SET", rate_limit_key, new_tat, "EX", math.ceil(reset_after))
end
return {cost, remaining, tostring(-1), tostring(reset_after)}
