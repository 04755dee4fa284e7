"""Lua twins of :mod:`forge_suite.throttling.algorithms`, one atomic script per decision.

Every script takes ``ARGV = [now_us or "", limit, period_us, burst, cost]``; an empty
``now`` means "use the Redis server's clock" (``TIME``), the default, which makes every
process agree on time however skewed their own clocks are. Numbers are written with
``string.format`` because Redis converts bare Lua numbers with 14 significant digits, which
would truncate microsecond timestamps. Each returns
``{allowed, remaining, reset_us, retry_us or -1, now_us}``.
"""

from __future__ import annotations

__all__ = ["ALGORITHM_IDS", "MULTI", "SCRIPTS"]

_CLOCK = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local function n(x) return string.format('%.0f', x) end
local function ms(us) return math.max(1, math.ceil(us / 1000) + 1) end
"""

FIXED_WINDOW = """
local function fixed_window(k, kseq, now, limit, period, burst, cost, commit)
  local window = math.floor(now / period)
  local count = 0
  local st = redis.call('HMGET', k, 'w', 'n')
  if st[1] and tonumber(st[1]) == window then count = tonumber(st[2]) end
  local reset = (window + 1) * period - now
  if count + cost <= limit then
    count = count + cost
    if commit and cost > 0 then
      redis.call('HSET', k, 'w', n(window), 'n', n(count))
      redis.call('PEXPIRE', k, ms(reset))
    end
    return {1, limit - count, reset, -1}
  end
  return {0, limit - count, reset, reset}
end
"""

SLIDING_WINDOW = """
local function sliding_window(k, kseq, now, limit, period, burst, cost, commit)
  local window = math.floor(now / period)
  local elapsed = now - window * period
  local cur, prev = 0, 0
  local st = redis.call('HMGET', k, 'w', 'c', 'p')
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
    cur = cur + cost
    if commit and cost > 0 then
      redis.call('HSET', k, 'w', n(window), 'c', n(cur), 'p', n(prev))
      redis.call('PEXPIRE', k, ms(2 * period - elapsed))
    end
    local remaining = math.floor((capacity - weighted - cur * period) / period)
    return {1, remaining, reset_of(cur, prev), -1}
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
  return {0, remaining, reset_of(cur, prev), math.max(1, retry)}
end
"""

SLIDING_LOG = """
local function sliding_log(k, kseq, now, limit, period, burst, cost, commit)
  redis.call('ZREMRANGEBYSCORE', k, '-inf', n(now - period))
  local count = redis.call('ZCARD', k)
  if count + cost <= limit then
    if commit and cost > 0 then
      local seq = redis.call('INCRBY', kseq, cost)
      for i = 1, cost do
        redis.call('ZADD', k, n(now), n(now) .. ':' .. (seq - cost + i))
      end
      redis.call('PEXPIRE', k, ms(period))
      redis.call('PEXPIRE', kseq, ms(period))
    end
    local reset = period  -- the hit just logged is the newest entry
    if cost == 0 then
      reset = 0
      local newest = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
      if newest[2] then reset = tonumber(newest[2]) + period - now end
    end
    return {1, limit - count - cost, reset, -1}
  end
  local idx = count + cost - limit - 1
  local needed = redis.call('ZRANGE', k, idx, idx, 'WITHSCORES')
  local newest = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  local retry = tonumber(needed[2]) + period - now
  return {0, limit - count, tonumber(newest[2]) + period - now, retry}
end
"""

TOKEN_BUCKET = """
local function token_bucket(k, kseq, now, limit, period, burst, cost, commit)
  local full = burst * period
  local level = full
  local st = redis.call('HMGET', k, 'lv', 'ts')
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
    if commit and cost > 0 then
      redis.call('HSET', k, 'lv', n(level), 'ts', n(now))
      redis.call('PEXPIRE', k, ms(reset))
    end
    return {1, math.floor(level / period), reset, -1}
  end
  local reset = math.ceil((full - level) / limit)
  local retry = math.ceil((need - level) / limit)
  return {0, math.floor(level / period), reset, retry}
end
"""

GCRA = """
local function gcra(k, kseq, now, limit, period, burst, cost, commit)
  local interval = period / limit
  local tolerance = burst * interval
  local tat = now
  local stored = redis.call('GET', k)
  if stored then tat = math.max(tonumber(stored), now) end
  local new_tat = tat + cost * interval
  if new_tat - now <= tolerance + 1 then
    local remaining = math.max(0, math.floor((tolerance - (new_tat - now) + 1) / interval))
    local reset = math.ceil(new_tat - now)
    if commit and cost > 0 then
      redis.call('SET', k, string.format('%.17g', new_tat), 'PX', ms(reset))
    end
    return {1, remaining, reset, -1}
  end
  local remaining = math.max(0, math.floor((tolerance - (tat - now) + 1) / interval))
  local retry = math.max(1, math.ceil(new_tat - tolerance - now))
  return {0, remaining, math.ceil(tat - now), retry}
end
"""

_FUNCTIONS = {
    "fixed_window": FIXED_WINDOW,
    "sliding_window": SLIDING_WINDOW,
    "sliding_log": SLIDING_LOG,
    "token_bucket": TOKEN_BUCKET,
    "gcra": GCRA,
}

_SINGLE = """
local r = {name}(KEYS[1], KEYS[2], now, tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]), true)
return {{r[1], r[2], r[3], r[4], now}}
"""

#: One script per algorithm: ``KEYS = [key, sequence key]``, ``ARGV`` as above.
SCRIPTS: dict[str, str] = {
    name: _CLOCK + function + _SINGLE.format(name=name) for name, function in _FUNCTIONS.items()
}

#: Algorithm numbers in :data:`MULTI`'s arguments.
ALGORITHM_IDS = {name: index for index, name in enumerate(_FUNCTIONS, start=1)}

#: Several policies in one atomic call: ``KEYS = [key1, seq1, key2, seq2, ...]``,
#: ``ARGV = [now_us or "", then per policy: algorithm id, limit, period_us, burst, cost]``.
#: Every policy is evaluated first; only when all admit are they all counted. When one is
#: limited nothing is counted, and the admitting ones report their current state (a peek).
#: Returns ``{allowed, remaining, reset_us, retry_us or -1}`` per policy, then ``now_us``.
MULTI = (
    _CLOCK
    + "".join(_FUNCTIONS.values())
    + """
local algorithms = {fixed_window, sliding_window, sliding_log, token_bucket, gcra}
local count = (#ARGV - 1) / 5
local function run(i, cost, commit)
  local a = 1 + (i - 1) * 5
  return algorithms[tonumber(ARGV[a + 1])](KEYS[2 * i - 1], KEYS[2 * i], now,
    tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), cost, commit)
end
local results, admitted = {}, true
for i = 1, count do
  results[i] = run(i, tonumber(ARGV[1 + (i - 1) * 5 + 5]), false)
  if results[i][1] == 0 then admitted = false end
end
local out = {}
for i = 1, count do
  local r = results[i]
  if admitted then
    r = run(i, tonumber(ARGV[1 + (i - 1) * 5 + 5]), true)
  elseif r[1] == 1 then
    r = run(i, 0, false)
  end
  for j = 1, 4 do out[#out + 1] = r[j] end
end
out[#out + 1] = now
return out
"""
)
