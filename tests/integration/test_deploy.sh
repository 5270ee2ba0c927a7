#!/usr/bin/env bash
# test_deploy.sh - what deploy/ and `make install` promise operators:
# the install puts binaries, hardened units, the sysusers entry, rules and
# example configs in place; the units pass `systemd-analyze verify`; their
# sandboxing scores as low exposure (`systemd-analyze security`); and
# make-certs.sh makes certificates with CN = sensor id and O = partner that
# chain to the CA.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testlib.sh
source "$here/testlib.sh"
src=${PICKET_SRC:-$here/../..}
bin=${PICKET_BIN:?PICKET_BIN not set}
testlib_init picket-deploy
build=$(cd "$bin/.." && pwd)

# 1. install into a staging root
DESTDIR="$TMP/root" cmake --install "$build" >"$TMP/install.log" 2>&1 && ok "cmake --install succeeds" || bad "cmake --install failed: $(tail -3 "$TMP/install.log")"
for f in bin/picket-sensor bin/picket-collector bin/picket-gen \
         lib/systemd/system/picket-sensor@.service lib/systemd/system/picket-collector.service \
         lib/sysusers.d/picket.conf share/picket/rules/coalition.stix.json \
         share/picket/make-certs.sh share/doc/picket/examples/redis.conf; do
  n=$(find "$TMP/root" -path "*/$f" | wc -l)
  [ "$n" -eq 1 ] && ok "installed $f" || bad "missing after install: $f"
done

# 2. units: verify against the built binaries
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$TMP/units"
  for u in picket-sensor@.service picket-collector.service; do
    sed -e "s|@PICKET_BINDIR@|$bin|g" -e "s|@PICKET_SYSCONFDIR@|$TMP/etc|g" \
        -e "s|@PICKET_DOCDIR@|$src|g" "$src/deploy/systemd/$u.in" >"$TMP/units/$u"
  done
  cp "$TMP/units/picket-sensor@.service" "$TMP/units/picket-sensor@eth1.service"
  for u in picket-sensor@eth1.service picket-collector.service; do
    out=$(systemd-analyze verify "$TMP/units/$u" 2>&1 | grep -v -e 'sysinit.target' -e 'Failed to create' || true)
    [ -z "$out" ] && ok "systemd-analyze verify $u" || bad "verify $u: $out"
    score=$(systemd-analyze security --offline=yes "$TMP/units/$u" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN{exit !(s <= 2.5)}'; then
      ok "$u exposure $score (<= 2.5: hardened)"
    else
      bad "$u exposure '${score:-?}' is above 2.5"
    fi
    grep -q '^NoNewPrivileges=yes' "$TMP/units/$u" && grep -q '^ProtectSystem=strict' "$TMP/units/$u" &&
      grep -q '^PrivateTmp=yes' "$TMP/units/$u" && grep -q '^RestrictAddressFamilies=' "$TMP/units/$u" &&
      grep -q '^User=picket' "$TMP/units/$u" &&
      ok "$u: NoNewPrivileges, ProtectSystem=strict, PrivateTmp, address families, dedicated user" ||
      bad "$u lacks a required hardening setting"
  done
else
  echo "# skip unit checks: systemd-analyze not installed"
fi

# 3. make-certs.sh
if command -v openssl >/dev/null; then
  bash "$src/deploy/make-certs.sh" "$TMP/pki" uk-dco-01:UK jp-cert-01:JP >/dev/null 2>&1 &&
    ok "make-certs.sh makes a CA and two sensor certificates" || bad "make-certs.sh failed"
  subj=$(openssl x509 -in "$TMP/pki/jp-cert-01.pem" -noout -subject -nameopt RFC2253 2>/dev/null || true)
  case "$subj" in *CN=jp-cert-01*O=JP*|*O=JP*CN=jp-cert-01*) ok "sensor certificate: CN = sensor id, O = partner ($subj)";;
    *) bad "sensor certificate subject is '$subj'";; esac
  openssl verify -CAfile "$TMP/pki/ca.pem" "$TMP/pki/uk-dco-01.pem" "$TMP/pki/collector.pem" >/dev/null 2>&1 &&
    ok "sensor and collector certificates chain to the coalition CA" || bad "certificates do not verify"
fi

testlib_finish "deploy"
