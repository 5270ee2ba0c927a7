/* apply_lua.c - the Lua script that applies one alerts batch to Redis.
 *
 * Why it exists: at-least-once delivery from sensors becomes exactly-once
 * on the stream only if the retransmit check, the dedup SET NX, the stream
 * append, the per-alert record, the coalition sighting and the sensor's
 * applied sequence change together. One script run is atomic in Redis, so
 * a collector killed mid-batch leaves either all of it or none.
 *
 * Keys (P = --redis-prefix, default "picket:"):
 *   KEYS[1] P..applied              hash  sensor id -> highest applied seq
 *   KEYS[2] P..alerts               stream, field "alert" = alert JSON
 *   KEYS[3] P..sightings            stream, field "sighting" = sighting JSON
 *   KEYS[4] P..exercises            set of every exercise name seen
 *   P..dedup:<dedup key>            string first alert id (PX window)
 *   P..alert:<alert id>             hash count, first_seen, last_seen,
 *                                   alert_id, indicator, stream_id
 *   P..alert:<alert id>:sensors     set of sensor ids that saw it
 *   P..alert:<alert id>:partners    set of partners that saw it
 *   P..ind:<type|value>:partners    zset partner -> last seen ms (members
 *                                   older than the window do not count;
 *                                   trimmed when a sighting is made)
 *   P..ind:<type|value>:first       hash partner -> its first alert id
 *   P..ind:<type|value>:sighted     string, guards one sighting per window
 * An exercise alert (its group names an exercise) uses the same names
 * under P..exercise:<name>: instead of P.. (its own alerts and sightings
 * streams, dedup, alert records and indicator keys), so an exercise never
 * touches live traffic, plus
 *   P..exercise:<name>:coverage     hash "<partner>\t<sensor>\t<type|value>"
 *                                   -> alerts applied (not retransmitted)
 * The applied sequence (KEYS[1]) stays one per sensor.
 * ARGV: prefix, sensor, partner, window ms, stream maxlen, now ms, now ISO,
 *   batch max seq, n, prev (max seq of the batch this connection sent
 *   before this one, 0 = none), then n groups of (seq, dedup key,
 *   indicator key, alert JSON, exercise name or "" for live).
 * Returns {unique, duplicate, retransmitted, sightings, {status per alert:
 *   0 retransmitted, 1 unique, 2 duplicate}, {new alert stream ids},
 *   {sighting JSON texts}}, or the error "PKORDER ..." (nothing written)
 *   when prev is above the sensor's applied sequence: the collector has
 *   several batches of a connection in flight, and one that Redis runs
 *   before its predecessor was applied (the predecessor met NOSCRIPT or
 *   failed) must not be applied, or the predecessor's alerts would later
 *   look retransmitted.
 *
 * Cost (Redis runs one script at a time, so this is the collector's
 * throughput): seqs increase within a batch, so the retransmit check
 * compares only until the first seq above "applied"; a first sighting is
 * SET NX, XADD, HSET and SADD x2 plus a PEXPIRE per record key; a repeat
 * is SET NX GET, HINCRBY, HSET, SADD x2 (the record keys were created with
 * the dedup key's expiry in one run, so they need no new PEXPIRE unless
 * they had vanished). The coalition bookkeeping (ZADD, HSETNX for a new
 * partner, PEXPIRE x2, ZCOUNT) and the exercise coverage HINCRBY run once
 * per distinct indicator of each key space of the batch: partner, sensor
 * and time are the same for every alert of a batch, so per-alert repeats
 * changed nothing (the coverage count grows by the alerts it stands for).
 * The exercises set gets one SADD per exercise of the batch. Needs Redis
 * >= 7.0 (SET NX GET, PEXPIRE NX); older servers get a clear error.
 */
#include "redis_apply.h"

const char pk_apply_lua[] =
    "if (redis.REDIS_VERSION_NUM or 0) < 0x070000 then\n"
    "  return redis.error_reply('PKVERSION picket-collector needs Redis >= 7.0')\n"
    "end\n"
    "local root, sensor, partner = ARGV[1], ARGV[2], ARGV[3]\n"
    "local window, window_ms, maxlen = tonumber(ARGV[4]), ARGV[4], ARGV[5]\n"
    "local now, now_ms, now_iso = tonumber(ARGV[6]), ARGV[6], ARGV[7]\n"
    "local n, prev = tonumber(ARGV[9]), tonumber(ARGV[10])\n"
    "local since = string.format('%d', now - window)\n"
    "local applied = tonumber(redis.call('HGET', KEYS[1], sensor) or '0') or 0\n"
    "if prev > applied then\n"
    "  return redis.error_reply('PKORDER the previous batch of this connection is not applied')\n"
    "end\n"
    "local unique, dup, retrans = 0, 0, 0\n"
    "local status, ids, sightings = {}, {}, {}\n"
    "local spaces, space_list, space = {}, {}, nil\n"
    "\n"
    "-- The key space of live traffic ('') or of one exercise, with the\n"
    "-- batch's distinct indicators in it (first alert id, alerts applied).\n"
    "local function enter_traffic(name)\n"
    "  space = spaces[name]\n"
    "  if space then return end\n"
    "  space = {name = name, prefix = root, alerts = KEYS[2], sightings = KEYS[3],\n"
    "           inds = {}, first = {}, count = {}}\n"
    "  if name ~= '' then\n"
    "    space.prefix = root .. 'exercise:' .. name .. ':'\n"
    "    space.alerts, space.sightings = space.prefix .. 'alerts', space.prefix .. 'sightings'\n"
    "    redis.call('SADD', KEYS[4], name)\n"
    "  end\n"
    "  spaces[name] = space\n"
    "  space_list[#space_list + 1] = space\n"
    "end\n"
    "\n"
    "local function first_sighting(id, ind, json)\n"
    "  local akey = space.prefix .. 'alert:' .. id\n"
    "  local skey, pkey = akey .. ':sensors', akey .. ':partners'\n"
    "  local sid = redis.call('XADD', space.alerts, 'MAXLEN', '~', maxlen, '*', 'alert', json)\n"
    "  redis.call('HSET', akey, 'count', '1', 'first_seen', now_iso, 'last_seen', now_iso,\n"
    "             'alert_id', id, 'indicator', ind, 'stream_id', sid)\n"
    "  redis.call('SADD', skey, sensor)\n"
    "  redis.call('SADD', pkey, partner)\n"
    "  redis.call('PEXPIRE', akey, window_ms)\n"
    "  redis.call('PEXPIRE', skey, window_ms)\n"
    "  redis.call('PEXPIRE', pkey, window_ms)\n"
    "  return sid\n"
    "end\n"
    "\n"
    "local function repeat_sighting(first)\n"
    "  local akey = space.prefix .. 'alert:' .. first\n"
    "  local skey, pkey = akey .. ':sensors', akey .. ':partners'\n"
    "  if redis.call('HINCRBY', akey, 'count', 1) == 1 then\n"
    "    redis.call('PEXPIRE', akey, window_ms, 'NX')\n"
    "  end\n"
    "  redis.call('HSET', akey, 'last_seen', now_iso)\n"
    "  if redis.call('SADD', skey, sensor) == 1 then\n"
    "    redis.call('PEXPIRE', skey, window_ms, 'NX')\n"
    "  end\n"
    "  if redis.call('SADD', pkey, partner) == 1 then\n"
    "    redis.call('PEXPIRE', pkey, window_ms, 'NX')\n"
    "  end\n"
    "end\n"
    "\n"
    "local function sighting_json(ind, id, partners, first)\n"
    "  local bar = string.find(ind, '|', 1, true)\n"
    "  local by_partner = {}\n"
    "  for i, p in ipairs(partners) do by_partner[p] = first[i] end\n"
    "  return cjson.encode({type = 'sighting', time = now_iso, trigger = id,\n"
    "    indicator = {type = string.sub(ind, 1, bar - 1), value = string.sub(ind, bar + 1)},\n"
    "    partners = partners, first_alerts = by_partner,\n"
    "    exercise = space.name ~= '' and space.name or nil})\n"
    "end\n"
    "\n"
    "local function coalition(ind, id)\n"
    "  local base = space.prefix .. 'ind:' .. ind\n"
    "  local pkey, fkey = base .. ':partners', base .. ':first'\n"
    "  if redis.call('ZADD', pkey, now_ms, partner) == 1 then\n"
    "    redis.call('HSETNX', fkey, partner, id)\n"
    "  end\n"
    "  redis.call('PEXPIRE', pkey, window_ms)\n"
    "  redis.call('PEXPIRE', fkey, window_ms)\n"
    "  if redis.call('ZCOUNT', pkey, since, '+inf') < 2 then return end\n"
    "  if not redis.call('SET', base .. ':sighted', id, 'NX', 'PX', window_ms) then return end\n"
    "  redis.call('ZREMRANGEBYSCORE', pkey, '-inf', '(' .. since)\n"
    "  local partners = redis.call('ZRANGE', pkey, 0, -1)\n"
    "  local first = redis.call('HMGET', fkey, unpack(partners))\n"
    "  local s = sighting_json(ind, id, partners, first)\n"
    "  redis.call('XADD', space.sightings, 'MAXLEN', '~', maxlen, '*', 'sighting', s)\n"
    "  sightings[#sightings + 1] = s\n"
    "end\n"
    "\n"
    "local function per_indicator()\n"
    "  for _, ind in ipairs(space.inds) do\n"
    "    coalition(ind, space.first[ind])\n"
    "    if space.name ~= '' then\n"
    "      redis.call('HINCRBY', space.prefix .. 'coverage',\n"
    "                 partner .. '\\t' .. sensor .. '\\t' .. ind, space.count[ind])\n"
    "    end\n"
    "  end\n"
    "end\n"
    "\n"
    "local fresh = 0\n"
    "while fresh < n and tonumber(ARGV[11 + fresh * 5]) <= applied do\n"
    "  retrans = retrans + 1\n"
    "  fresh = fresh + 1\n"
    "  status[fresh] = 0\n"
    "end\n"
    "for i = fresh, n - 1 do\n"
    "  local at = 11 + i * 5\n"
    "  local id, ind = sensor .. ':' .. ARGV[at], ARGV[at + 2]\n"
    "  if not space or ARGV[at + 4] ~= space.name then enter_traffic(ARGV[at + 4]) end\n"
    "  local dkey = space.prefix .. 'dedup:' .. ARGV[at + 1]\n"
    "  local first = redis.call('SET', dkey, id, 'NX', 'PX', window_ms, 'GET')\n"
    "  if not first then\n"
    "    ids[#ids + 1] = first_sighting(id, ind, ARGV[at + 3])\n"
    "    unique = unique + 1\n"
    "    status[i + 1] = 1\n"
    "  else\n"
    "    repeat_sighting(first)\n"
    "    dup = dup + 1\n"
    "    status[i + 1] = 2\n"
    "  end\n"
    "  local count = space.count[ind]\n"
    "  if not count then\n"
    "    space.first[ind] = id\n"
    "    space.inds[#space.inds + 1] = ind\n"
    "  end\n"
    "  space.count[ind] = (count or 0) + 1\n"
    "end\n"
    "for _, s in ipairs(space_list) do\n"
    "  space = s\n"
    "  per_indicator()\n"
    "end\n"
    "if tonumber(ARGV[8]) > applied then redis.call('HSET', KEYS[1], sensor, ARGV[8]) end\n"
    "return {unique, dup, retrans, #sightings, status, ids, sightings}\n";
