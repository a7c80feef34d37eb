/*
 * The Lua scripts that keep a claim. Each runs atomically on the server,
 * so "check the owner, then act" cannot interleave with another holder.
 *
 * A peer key holds `<owner token>\n<location JSON>` (the JSON is empty until
 * the registration publishes) and expires `ttl` ms after its last refresh.
 * The members sorted set scores each id with the server time (ms) at which
 * its key expires, so `list` prunes the dead without scanning. Every key of
 * a group shares the `{group}` hash tag: one Cluster slot.
 *
 * KEYS[1] is always the peer key (or the members set for LIST), KEYS[2] the
 * members set. Server time (TIME) is used, never a client's clock: hosts
 * disagree. `redis.replicate_commands()` lets Redis < 7 write after TIME.
 */

const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Claims an absent id. ARGV: value, ttl, id.
 * Returns 1 when claimed, 0 when the key exists (a live holder).
 */
export const CLAIM = `${NOW}
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
return 1
`;

/**
 * Keeps a claim. ARGV: owner, ttl, id, value, mode ('refresh' | 'publish'),
 * channel, up event ('' for none).
 * Returns 1 when still ours (refreshed, or rewritten for 'publish'), 2 when
 * the key was gone and is ours again, 0 when someone else holds it.
 */
export const HOLD = `${NOW}
local v = redis.call('GET', KEYS[1])
local result = 1
if not v then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2])
  result = 2
elseif string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. '\\n' then
  return 0
elseif ARGV[5] == 'publish' then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
if ARGV[7] ~= '' and (result == 2 or ARGV[5] == 'publish') then redis.call('PUBLISH', ARGV[6], ARGV[7]) end
return result
`;

/**
 * Releases a claim if it is still ours. ARGV: owner, id, channel, down event.
 * Returns 1 when released, 0 when it was not ours (any more).
 */
export const RELEASE = `
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. '\\n' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/** Prunes members whose keys have expired; returns the other ids. KEYS[1]: members. */
export const MEMBERS = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;
