#!/usr/bin/env bash
# Installs what mqttdissect needs from Debian's packages, and nothing that is
# already there. Usage: tests/install-deps.sh [build|test]
#   build: compiler, CMake, libpcap, jansson, cmocka, protobuf-c and its
#          compiler (Sparkplug B), zlib (compressed payloads), libcbor
#          (CBOR payloads), libcrypto (TLS decryption) (enough to build and
#          run)
#   test:  also clang's libFuzzer (clang 19's too: fuzz/run.sh takes the
#          newest, whose bookkeeping is faster), tshark (the differential
#          oracle), mosquitto and its clients, tcpdump, tcpreplay
#          (tests/bench/live.sh), paho-mqtt (the live and capture tests),
#          protoc and python3-protobuf (the Sparkplug capture client),
#          python3-cbor2 and python3-msgpack (the CBOR and MessagePack
#          capture clients), jsonschema (the EVE schema test),
#          logrotate (the -o FILE test), redis and kcat (tests/recipes.test.sh)
set -euo pipefail
what=${1:-build}

build_pkgs=(gcc make cmake pkg-config libpcap-dev libjansson-dev libcmocka-dev
            libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libcbor-dev
            libssl-dev)
test_pkgs=(clang libclang-rt-14-dev clang-19 libclang-rt-19-dev tshark wireshark-common mosquitto mosquitto-clients
           tcpdump tcpreplay python3 python3-paho-mqtt python3-jsonschema logrotate
           redis-server redis-tools kcat iproute2 ethtool openssl procps
           protobuf-compiler python3-protobuf python3-yaml python3-cbor2
           python3-msgpack)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
