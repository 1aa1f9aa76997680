#!/bin/sh
# Creates a throwaway CA and a server certificate for the test identity provider.
#
#   make_test_ca.sh OUTDIR
#
# Writes OUTDIR/ca.pem, OUTDIR/ca.key (the CA) and OUTDIR/server.pem, OUTDIR/server.key
# (a leaf for IP 127.0.0.1 and DNS localhost, signed by the CA), all valid for 2 days.
# RSA 2048, SHA-256. Needs only the openssl command line (1.1.1 or 3.x); does not read
# the system openssl.cnf. Run it again into another directory for an "untrusted" CA.
set -eu

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"
umask 077

work=$(mktemp -d "${TMPDIR:-/tmp}/test_idp_ca.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cat > "$work/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca

[dn]
O = oidcore tests
CN = oidcore throwaway test CA

[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

cat > "$work/server.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no

[dn]
O = oidcore tests
CN = 127.0.0.1

[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

serial() { echo "0x$(openssl rand -hex 16 | sed 's/^./1/')"; }

openssl req -x509 -new -config "$work/ca.cnf" -extensions v3_ca \
    -newkey rsa:2048 -nodes -sha256 -days 2 -set_serial "$(serial)" \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>"$work/log" \
    || { cat "$work/log" >&2; exit 1; }

openssl req -new -config "$work/server.cnf" \
    -newkey rsa:2048 -nodes -sha256 \
    -keyout "$work/server.key" -out "$work/server.csr" 2>"$work/log" \
    || { cat "$work/log" >&2; exit 1; }

openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -set_serial "$(serial)" -days 2 -sha256 \
    -extfile "$work/server.cnf" -extensions v3_server \
    -out "$work/server.pem" 2>"$work/log" \
    || { cat "$work/log" >&2; exit 1; }

openssl verify -CAfile "$work/ca.pem" "$work/server.pem" >/dev/null 2>"$work/log" \
    || { cat "$work/log" >&2; exit 1; }

for f in ca.pem ca.key server.pem server.key; do
    cp "$work/$f" "$out/$f"
done
chmod 644 "$out/ca.pem" "$out/server.pem"
chmod 600 "$out/ca.key" "$out/server.key"
