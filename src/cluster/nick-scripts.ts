/**
 * Nick ownership in Redis, one hash `cmy:nicks` (folded nick → owning node instance),
 * changed only by these scripts so each check-and-set is one atomic step in Redis.
 */

/**
 * KEYS[1] the nicks hash; ARGV: folded nick, claiming instance, heartbeat key prefix.
 * Free, already ours, or held by a node whose heartbeat has expired (dead): ours now (1).
 * Held by a live node: 0.
 */
export const CLAIM_NICK = `
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. holder) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** KEYS[1] the nicks hash; ARGV: folded nick, releasing instance. Only the holder releases. */
export const RELEASE_NICK = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`;

/** Frees every nick of the nicks hash KEYS[1] held by the instance ARGV[1]; returns how many. */
const FREE_NICKS_OF_INSTANCE = `
local all = redis.call('HGETALL', KEYS[1])
local freed = 0
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    freed = freed + 1
  end
end
return freed
`;

/** KEYS[1] the nicks hash; ARGV: a dead instance. Frees all its nicks; returns how many. */
export const RELEASE_NODE = FREE_NICKS_OF_INSTANCE;

/**
 * KEYS[1] the nicks hash; ARGV: an instance, then the folded nicks its users hold now.
 * Frees every other nick held by that instance (given up while its releases could not
 * reach Redis); returns how many.
 */
export const KEEP_ONLY_NICKS = `
local keep = {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
local all = redis.call('HGETALL', KEYS[1])
local freed = 0
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] and not keep[all[i]] then
    redis.call('HDEL', KEYS[1], all[i])
    freed = freed + 1
  end
end
return freed
`;

/**
 * KEYS[1] the nicks hash, KEYS[2] an instance's heartbeat key; ARGV: that instance, its
 * node channel. An instance whose subscription Redis no longer holds is gone (its process
 * ended, or lost Redis): frees its nicks and its heartbeat and returns how many nicks.
 * Still subscribed (a process still running under the name): touches nothing, returns -1.
 * One script, so the instance cannot come back between the look and the release.
 */
export const RELEASE_GONE_NODE = `
local subscribed = redis.call('PUBSUB', 'NUMSUB', ARGV[2])
if tonumber(subscribed[2]) > 0 then
  return -1
end
redis.call('DEL', KEYS[2])
${FREE_NICKS_OF_INSTANCE}`;
