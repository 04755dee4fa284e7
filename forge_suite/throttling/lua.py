"""Lua twins of :mod:`forge_suite.throttling.algorithms`, one atomic script per decision.

Every script takes ``ARGV = [now_us or "", limit, period_us, burst, cost]``; an empty
``now`` means "use the Redis server's clock" (``TIME``), the default, which makes every
process agree on time however skewed their own clocks are. Numbers are written with
``string.format`` because Redis converts bare Lua numbers with 14 significant digits, which
would truncate microsecond timestamps. Each returns
``{allowed, remaining, reset_us, retry_us or -1, now_us}``.
"""

from __future__ import annotations

__all__ = ["SCRIPTS"]

_PROLOGUE = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local function n(x) return string.format('%.0f', x) end
local function ms(us) return math.max(1, math.ceil(us / 1000) + 1) end
"""

FIXED_WINDOW = (
    _PROLOGUE
    + """
local window = math.floor(now / period)
local count = 0
local st = redis.call('HMGET', KEYS[1], 'w', 'n')
if st[1] and tonumber(st[1]) == window then count = tonumber(st[2]) end
local reset = (window + 1) * period - now
if count + cost <= limit then
  if cost > 0 then
    count = count + cost
    redis.call('HSET', KEYS[1], 'w', n(window), 'n', n(count))
    redis.call('PEXPIRE', KEYS[1], ms(reset))
  end
  return {1, limit - count, reset, -1, now}
end
return {0, limit - count, reset, reset, now}
"""
)

SLIDING_WINDOW = (
    _PROLOGUE
    + """
local window = math.floor(now / period)
local elapsed = now - window * period
local cur, prev = 0, 0
local st = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
if st[1] then
  local w = tonumber(st[1])
  if w == window then
    cur, prev = tonumber(st[2]), tonumber(st[3])
  elseif w == window - 1 then
    prev = tonumber(st[2])
  end
end
local weighted = prev * (period - elapsed)
local capacity = limit * period
local function reset_of(c, p)
  if c > 0 then return 2 * period - elapsed end
  if p > 0 then return period - elapsed end
  return 0
end
if weighted + (cur + cost) * period <= capacity then
  if cost > 0 then
    cur = cur + cost
    redis.call('HSET', KEYS[1], 'w', n(window), 'c', n(cur), 'p', n(prev))
    redis.call('PEXPIRE', KEYS[1], ms(2 * period - elapsed))
  end
  local remaining = math.floor((capacity - weighted - cur * period) / period)
  return {1, remaining, reset_of(cur, prev), -1, now}
end
local available = limit - cost - cur
local retry
if available >= 0 then
  retry = period - math.floor(available * period / prev) - elapsed
else
  local later = period - math.floor((limit - cost) * period / cur)
  retry = period - elapsed + math.max(0, later)
end
local remaining = math.max(0, math.floor((capacity - weighted - cur * period) / period))
return {0, remaining, reset_of(cur, prev), math.max(1, retry), now}
"""
)

SLIDING_LOG = (
    _PROLOGUE
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', n(now - period))
local count = redis.call('ZCARD', KEYS[1])
if count + cost <= limit then
  if cost > 0 then
    local seq = redis.call('INCRBY', KEYS[2], cost)
    for i = 1, cost do
      redis.call('ZADD', KEYS[1], n(now), n(now) .. ':' .. (seq - cost + i))
    end
    redis.call('PEXPIRE', KEYS[1], ms(period))
    redis.call('PEXPIRE', KEYS[2], ms(period))
  end
  local reset = 0
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if newest[2] then reset = tonumber(newest[2]) + period - now end
  return {1, limit - count - cost, reset, -1, now}
end
local idx = count + cost - limit - 1
local needed = redis.call('ZRANGE', KEYS[1], idx, idx, 'WITHSCORES')
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local retry = tonumber(needed[2]) + period - now
return {0, limit - count, tonumber(newest[2]) + period - now, retry, now}
"""
)

TOKEN_BUCKET = (
    _PROLOGUE
    + """
local full = burst * period
local level = full
local st = redis.call('HMGET', KEYS[1], 'lv', 'ts')
if st[1] then
  local elapsed = math.max(0, now - tonumber(st[2]))
  if elapsed >= math.ceil(full / limit) then
    level = full
  else
    level = math.min(full, tonumber(st[1]) + elapsed * limit)
  end
end
local need = cost * period
if level >= need then
  level = level - need
  local reset = math.ceil((full - level) / limit)
  if cost > 0 then
    redis.call('HSET', KEYS[1], 'lv', n(level), 'ts', n(now))
    redis.call('PEXPIRE', KEYS[1], ms(reset))
  end
  return {1, math.floor(level / period), reset, -1, now}
end
local reset = math.ceil((full - level) / limit)
local retry = math.ceil((need - level) / limit)
return {0, math.floor(level / period), reset, retry, now}
"""
)

GCRA = (
    _PROLOGUE
    + """
local interval = period / limit
local tolerance = burst * interval
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored), now) end
local new_tat = tat + cost * interval
if new_tat - now <= tolerance + 1 then
  local remaining = math.max(0, math.floor((tolerance - (new_tat - now) + 1) / interval))
  local reset = math.ceil(new_tat - now)
  if cost > 0 then
    redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', ms(reset))
  end
  return {1, remaining, reset, -1, now}
end
local remaining = math.max(0, math.floor((tolerance - (tat - now) + 1) / interval))
local retry = math.max(1, math.ceil(new_tat - tolerance - now))
return {0, remaining, math.ceil(tat - now), retry, now}
"""
)

SCRIPTS: dict[str, str] = {
    "fixed_window": FIXED_WINDOW,
    "sliding_window": SLIDING_WINDOW,
    "sliding_log": SLIDING_LOG,
    "token_bucket": TOKEN_BUCKET,
    "gcra": GCRA,
}
