#!/usr/bin/env bash
# quickstart.sh - the README's first command: installs what is missing,
# builds picket, makes a capture with picket-gen from the sample indicator
# sets in rules/, replays it through a sensor and shows the alerts.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
echo "quickstart: built build/bin/picket-sensor and build/bin/picket-gen"

work=$(mktemp -d /tmp/picket-demo.XXXXXX)
rules=("$top"/rules/*.stix.json "$top"/rules/*.intel "$top"/rules/*.txt "$top"/rules/*.csv)
ind_args=()
for r in "${rules[@]}"; do [ -f "$r" ] && ind_args+=(-I "$r"); done

echo "quickstart: writing a demo capture with picket-gen ($work/demo.pcap)"
build/bin/picket-gen "${ind_args[@]}" -w "$work/demo.pcap" --seed 7 \
  --manifest "$work/manifest.json" 2>"$work/gen.log"

echo "quickstart: replaying it through picket-sensor"
build/bin/picket-sensor -r "$work/demo.pcap" "${ind_args[@]}" \
  --sensor-id demo-01 --partner DEMO -o "$work/alerts.jsonl" --stats 2>"$work/sensor.log"

n=$(wc -l <"$work/alerts.jsonl")
echo "quickstart: $n alerts (full JSON lines in $work/alerts.jsonl):"
python3 - "$work/alerts.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fmt = "{:<26} {:<9} {:<40} {:<28} {:<13} {}"
print(fmt.format("time", "field", "observed", "indicator", "tlp", "flow"))
for a in rows:
    p = a["picket"]; i = p["indicator"]
    ep = lambda ip, port: ("[%s]" % ip if ":" in ip else ip) + (":%s" % port if port != "" else "")
    flow = "%s -> %s %s" % (ep(a["src_ip"], a.get("src_port", "")), ep(a["dest_ip"], a.get("dest_port", "")), a["proto"])
    print(fmt.format(a["timestamp"][:26], p["field"], p["observed"][:40], i["value"][:28], str(i["tlp"]), flow))
PY
echo "quickstart: sensor log and counters: $work/sensor.log"
