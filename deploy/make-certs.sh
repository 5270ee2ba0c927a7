#!/usr/bin/env bash
# make-certs.sh - a coalition PKI for picket with the openssl CLI only.
#
# Why it exists: the collector trusts nothing but certificates. A sensor's
# id is its certificate's CN and its partner is the O, so issuing a sensor
# certificate is how a partner is enrolled, and revoking it (plus --crl on
# the collector) is how it is removed. Tests use the same script to make
# good, foreign, expired and revoked certificates at test time.
#
# usage:
#   make-certs.sh OUTDIR [--days N] [--expired] SENSOR-ID:PARTNER ...
#       creates OUTDIR/ca.{pem,key} and OUTDIR/collector.{pem,key} (CN=collector,
#       SAN DNS:localhost, IP:127.0.0.1) unless they exist, then one client
#       certificate OUTDIR/<id>.{pem,key} per SENSOR-ID:PARTNER (CN=id, O=partner).
#       --days N     validity of the certificates made by this run (default 825)
#       --expired    the client certificates made by this run are already expired
#                    (valid from 3 days ago until yesterday): for tests
#   make-certs.sh OUTDIR --revoke SENSOR-ID ...
#       revokes those sensors' certificates.
# Every run (re)writes OUTDIR/crl.pem, the CA's current revocation list.
set -euo pipefail

die() { echo "make-certs: $*" >&2; exit 2; }
usage() { sed -n '10,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

command -v openssl >/dev/null || { echo "make-certs: openssl not found" >&2; exit 1; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
OUT=$1; shift
DAYS=825
EXPIRED=0
REVOKE=0
SPECS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --days) [ $# -ge 2 ] || die "--days needs a number"; DAYS=$2; shift 2 ;;
    --expired) EXPIRED=1; shift ;;
    --revoke) REVOKE=1; shift ;;
    -h|--help) usage 0 ;;
    -*) die "unknown option $1" ;;
    *) SPECS+=("$1"); shift ;;
  esac
done
[[ "$DAYS" =~ ^[0-9]+$ ]] && [ "$DAYS" -ge 1 ] && [ "$DAYS" -le 36500 ] || die "--days: 1..36500"

umask 077
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STATE="$OUT/.ca"
CNF="$STATE/openssl.cnf"

write_config() {
  mkdir -p "$STATE/newcerts"
  [ -f "$STATE/index.txt" ] || : > "$STATE/index.txt"
  [ -f "$STATE/serial" ] || openssl rand -hex 16 > "$STATE/serial"
  [ -f "$STATE/crlnumber" ] || echo 1000 > "$STATE/crlnumber"
  cat > "$CNF" <<EOF
[ ca ]
default_ca = picket_ca

[ picket_ca ]
dir = $STATE
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $OUT/ca.pem
private_key = $OUT/ca.key
default_md = sha256
default_days = 825
default_crl_days = 30
policy = policy_picket
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_picket ]
organizationName = optional
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ client_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

make_ca() {
  [ -f "$OUT/ca.pem" ] && [ -f "$OUT/ca.key" ] && return
  new_key "$OUT/ca.key"
  openssl req -config "$CNF" -new -x509 -key "$OUT/ca.key" -sha256 -days 3650 \
    -subj "/O=picket coalition/CN=picket coalition CA" -extensions v3_ca -out "$OUT/ca.pem"
  echo "make-certs: CA $OUT/ca.pem"
}

# sign NAME SUBJECT EXTENSIONS [expired]
sign() {
  local name=$1 subj=$2 ext=$3 expired=${4:-0}
  local dates=(-days "$DAYS")
  if [ "$expired" = 1 ]; then
    dates=(-startdate "$(date -u -d '3 days ago' +%Y%m%d%H%M%SZ)"
           -enddate "$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)")
  fi
  new_key "$OUT/$name.key"
  openssl req -config "$CNF" -new -key "$OUT/$name.key" -subj "$subj" -out "$STATE/$name.csr"
  openssl ca -config "$CNF" -batch -notext -extensions "$ext" "${dates[@]}" \
    -in "$STATE/$name.csr" -out "$OUT/$name.pem" 2>"$STATE/ca.log" ||
    { cat "$STATE/ca.log" >&2; exit 1; }
  rm -f "$STATE/$name.csr"
}

make_collector() {
  [ -f "$OUT/collector.pem" ] && [ -f "$OUT/collector.key" ] && return
  sign collector "/O=picket coalition/CN=collector" server_ext
  echo "make-certs: collector $OUT/collector.pem"
}

make_sensor() {
  local spec=$1 id partner
  [[ "$spec" == *:* ]] || die "\"$spec\": expected SENSOR-ID:PARTNER"
  id=${spec%:*}
  partner=${spec##*:}
  [[ "$id" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "sensor id \"$id\": 1..64 of A-Z a-z 0-9 . _ -"
  [[ "$partner" =~ ^[A-Za-z0-9._\ -]{1,64}$ ]] || die "partner \"$partner\": 1..64 of A-Z a-z 0-9 . _ - space"
  sign "$id" "/O=$partner/CN=$id" client_ext "$EXPIRED"
  echo "make-certs: sensor $id (partner $partner)$([ "$EXPIRED" = 1 ] && echo ', EXPIRED') $OUT/$id.pem"
}

revoke() {
  local id=$1
  [ -f "$OUT/$id.pem" ] || die "no certificate $OUT/$id.pem to revoke"
  openssl ca -config "$CNF" -revoke "$OUT/$id.pem" 2>"$STATE/ca.log" ||
    { cat "$STATE/ca.log" >&2; exit 1; }
  echo "make-certs: revoked $id"
}

write_crl() {
  openssl ca -config "$CNF" -gencrl -out "$OUT/crl.pem" 2>"$STATE/ca.log" ||
    { cat "$STATE/ca.log" >&2; exit 1; }
}

write_config
make_ca
if [ "$REVOKE" = 1 ]; then
  [ ${#SPECS[@]} -gt 0 ] || die "--revoke needs at least one SENSOR-ID"
  for id in "${SPECS[@]}"; do revoke "$id"; done
else
  make_collector
  for spec in "${SPECS[@]}"; do make_sensor "$spec"; done
fi
write_crl
chmod 644 "$OUT"/*.pem
