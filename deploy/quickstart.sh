#!/usr/bin/env bash
# quickstart.sh - the README's first command. Installs what is missing,
# builds picket, and runs the whole pipeline on this machine:
#   a local redis-server (or --redis HOST:PORT), a picket-collector with
#   mutual TLS (certificates made here with deploy/make-certs.sh), and two
#   sensors of two partners (UK, JP) replaying a capture that picket-gen
#   makes from the sample indicator sets in rules/;
# then shows the deduplicated alert stream and the coalition sightings.
# With --keep the collector and Redis stay up (until Ctrl-C) so the
# watch-floor board can be opened in a browser.
# Everything it starts is stopped on exit; files stay in the printed dir.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
redis_addr=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --redis) redis_addr=${2:?--redis needs HOST:PORT}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) echo "usage: deploy/quickstart.sh [--redis HOST:PORT] [--keep]"; exit 0 ;;
    *) echo "quickstart: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
bin=$top/build/bin
echo "quickstart: built $(ls "$bin" | tr '\n' ' ')"

work=$(mktemp -d /tmp/picket-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "quickstart: certificates (coalition CA, collector, uk-dco-01/UK, jp-cert-01/JP)"
bash deploy/make-certs.sh "$work/pki" uk-dco-01:UK jp-cert-01:JP >/dev/null

if [ -z "$redis_addr" ]; then
  rport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
    --daemonize no --logfile "$work/redis.log" & pids+=($!)
  redis_addr=127.0.0.1:$rport
  for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "quickstart: redis-server on $redis_addr"
fi
rhost=${redis_addr%:*}; rport=${redis_addr##*:}

cport=$(free_port); hport=$(free_port)
"$bin/picket-collector" -l 127.0.0.1:"$cport" --ca "$work/pki/ca.pem" \
  --cert "$work/pki/collector.pem" --key "$work/pki/collector.key" \
  --redis "$redis_addr" --http 127.0.0.1:"$hport" -o "$work/unique.jsonl" \
  2>"$work/collector.log" & pids+=($!)
for _ in $(seq 100); do grep -q "listening for sensors" "$work/collector.log" && break; sleep 0.1; done
echo "quickstart: picket-collector on 127.0.0.1:$cport (board http://127.0.0.1:$hport/, metrics http://127.0.0.1:$hport/metrics)"

ind=()
for r in rules/*; do case "$r" in *.md) ;; *) ind+=(-I "$r") ;; esac; done
"$bin/picket-gen" "${ind[@]}" -w "$work/exercise.pcap" --seed 7 --manifest "$work/manifest.json" -q
echo "quickstart: picket-gen wrote $work/exercise.pcap from rules/"

spids=()
for s in uk-dco-01 jp-cert-01; do
  "$bin/picket-sensor" -r "$work/exercise.pcap" "${ind[@]}" -c 127.0.0.1:"$cport" \
    --ca "$work/pki/ca.pem" --cert "$work/pki/$s.pem" --key "$work/pki/$s.key" \
    --spool "$work/spool-$s" -o "$work/$s.jsonl" 2>"$work/$s.log" & spids+=($!)
done
for p in "${spids[@]}"; do wait "$p"; done
echo "quickstart: uk-dco-01 raised $(wc -l <"$work/uk-dco-01.jsonl"), jp-cert-01 raised $(wc -l <"$work/jp-cert-01.jsonl") alerts"

python3 - "$work" "$rhost" "$rport" <<'PY'
import json, subprocess, sys
work, host, port = sys.argv[1:]
def xrange(key):
    out = subprocess.run(["redis-cli", "-h", host, "-p", port, "--no-raw", "XRANGE", key, "-", "+"],
                         capture_output=True, text=True).stdout
    return [json.loads(json.loads(l.split(") ", 1)[1])) for l in out.splitlines()
            if l.strip().startswith("2)") and "{" in l]
def hget(key, field):
    return subprocess.run(["redis-cli", "-h", host, "-p", port, "HGET", key, field],
                          capture_output=True, text=True).stdout.strip()
alerts = xrange("picket:alerts")
ep = lambda ip, p: ("[%s]" % ip if ":" in ip else ip) + (":%s" % p if p != "" else "")
print("\nunique alerts in picket:alerts: %d" % len(alerts))
fmt = "{:<9} {:<36} {:<26} {:<12} {:<5} {}"
print(fmt.format("field", "observed", "indicator", "tlp", "seen", "flow"))
for a in alerts:
    p = a["picket"]; i = p["indicator"]
    n = hget("picket:alert:" + p["alert_id"], "count")
    flow = "%s -> %s %s" % (ep(a["src_ip"], a.get("src_port", "")), ep(a["dest_ip"], a.get("dest_port", "")), a["proto"])
    print(fmt.format(p["field"], p["observed"][:36], i["value"][:26], str(i["tlp"]), n + "x", flow))
sightings = xrange("picket:sightings")
print("\ncoalition sightings in picket:sightings (same indicator seen by 2+ partners): %d" % len(sightings))
for s in sightings:
    i = s.get("indicator", {})
    print("  %-10s %-40s partners: %s" % (i.get("type"), i.get("value"), ", ".join(sorted(s.get("partners", [])))))
PY
echo
echo "quickstart: files in $work (collector.log, <sensor>.log, <sensor>.jsonl, unique.jsonl)"
if [ "$keep" = 1 ]; then
  echo "quickstart: --keep: the watch-floor board is at http://127.0.0.1:$hport/ (Ctrl-C stops everything)"
  wait
fi
