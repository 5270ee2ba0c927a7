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
 *   P..ind:<type|value>:partners    zset partner -> last seen ms (window)
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
 *   batch max seq, n, then n groups of (seq, dedup key, indicator key,
 *   alert JSON, exercise name or "" for live).
 * Returns {unique, duplicate, retransmitted, sightings, {status per alert:
 *   0 retransmitted, 1 unique, 2 duplicate}, {new alert stream ids},
 *   {sighting JSON texts}}.
 */
#include "redis_apply.h"

const char pk_apply_lua[] =
    "local root, sensor, partner = ARGV[1], ARGV[2], ARGV[3]\n"
    "local prefix, alerts_key, sightings_key, exercise = root, KEYS[2], KEYS[3], ''\n"
    "local window, window_ms, maxlen = tonumber(ARGV[4]), ARGV[4], ARGV[5]\n"
    "local now, now_iso = tonumber(ARGV[6]), ARGV[7]\n"
    "local n = tonumber(ARGV[9])\n"
    "local applied = tonumber(redis.call('HGET', KEYS[1], sensor) or '0') or 0\n"
    "local unique, dup, retrans = 0, 0, 0\n"
    "local status, ids, sightings = {}, {}, {}\n"
    "\n"
    "local function expire_all(ms, keys)\n"
    "  for _, k in ipairs(keys) do redis.call('PEXPIRE', k, ms) end\n"
    "end\n"
    "\n"
    "local function enter_traffic(name)\n"
    "  exercise, prefix, alerts_key, sightings_key = name, root, KEYS[2], KEYS[3]\n"
    "  if name == '' then return end\n"
    "  prefix = root .. 'exercise:' .. name .. ':'\n"
    "  alerts_key, sightings_key = prefix .. 'alerts', prefix .. 'sightings'\n"
    "  redis.call('SADD', KEYS[4], name)\n"
    "end\n"
    "\n"
    "local function first_sighting(id, ind, json)\n"
    "  local akey = prefix .. 'alert:' .. id\n"
    "  local sid = redis.call('XADD', alerts_key, 'MAXLEN', '~', maxlen, '*', 'alert', json)\n"
    "  redis.call('HSET', akey, 'count', 1, 'first_seen', now_iso, 'last_seen', now_iso,\n"
    "             'alert_id', id, 'indicator', ind, 'stream_id', sid)\n"
    "  redis.call('SADD', akey .. ':sensors', sensor)\n"
    "  redis.call('SADD', akey .. ':partners', partner)\n"
    "  expire_all(window_ms, {akey, akey .. ':sensors', akey .. ':partners'})\n"
    "  return sid\n"
    "end\n"
    "\n"
    "local function repeat_sighting(dkey)\n"
    "  local akey = prefix .. 'alert:' .. redis.call('GET', dkey)\n"
    "  redis.call('HINCRBY', akey, 'count', 1)\n"
    "  redis.call('HSET', akey, 'last_seen', now_iso)\n"
    "  redis.call('SADD', akey .. ':sensors', sensor)\n"
    "  redis.call('SADD', akey .. ':partners', partner)\n"
    "  local ttl = redis.call('PTTL', dkey)\n"
    "  if ttl > 0 then\n"
    "    expire_all(ttl, {akey, akey .. ':sensors', akey .. ':partners'})\n"
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
    "    exercise = exercise ~= '' and exercise or nil})\n"
    "end\n"
    "\n"
    "local function coalition(ind, id)\n"
    "  local base = prefix .. 'ind:' .. ind\n"
    "  local pkey, fkey = base .. ':partners', base .. ':first'\n"
    "  redis.call('ZADD', pkey, ARGV[6], partner)\n"
    "  redis.call('ZREMRANGEBYSCORE', pkey, '-inf', string.format('(%d', now - window))\n"
    "  redis.call('HSETNX', fkey, partner, id)\n"
    "  expire_all(window_ms, {pkey, fkey})\n"
    "  if redis.call('ZCARD', pkey) < 2 then return end\n"
    "  if not redis.call('SET', base .. ':sighted', id, 'NX', 'PX', window_ms) then return end\n"
    "  local partners = redis.call('ZRANGE', pkey, 0, -1)\n"
    "  local first = redis.call('HMGET', fkey, unpack(partners))\n"
    "  local s = sighting_json(ind, id, partners, first)\n"
    "  redis.call('XADD', sightings_key, 'MAXLEN', '~', maxlen, '*', 'sighting', s)\n"
    "  sightings[#sightings + 1] = s\n"
    "end\n"
    "\n"
    "for i = 0, n - 1 do\n"
    "  local at = 10 + i * 5\n"
    "  local seq, dedup, ind, json = tonumber(ARGV[at]), ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]\n"
    "  if ARGV[at + 4] ~= exercise then enter_traffic(ARGV[at + 4]) end\n"
    "  local id = sensor .. ':' .. ARGV[at]\n"
    "  if seq <= applied then\n"
    "    retrans = retrans + 1\n"
    "    status[#status + 1] = 0\n"
    "  else\n"
    "    local dkey = prefix .. 'dedup:' .. dedup\n"
    "    if redis.call('SET', dkey, id, 'NX', 'PX', window_ms) then\n"
    "      ids[#ids + 1] = first_sighting(id, ind, json)\n"
    "      unique = unique + 1\n"
    "      status[#status + 1] = 1\n"
    "    else\n"
    "      repeat_sighting(dkey)\n"
    "      dup = dup + 1\n"
    "      status[#status + 1] = 2\n"
    "    end\n"
    "    coalition(ind, id)\n"
    "    if exercise ~= '' then\n"
    "      redis.call('HINCRBY', prefix .. 'coverage', partner .. '\\t' .. sensor .. '\\t' .. ind, 1)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if tonumber(ARGV[8]) > applied then redis.call('HSET', KEYS[1], sensor, ARGV[8]) end\n"
    "return {unique, dup, retrans, #sightings, status, ids, sightings}\n";
