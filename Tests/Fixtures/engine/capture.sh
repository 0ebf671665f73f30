#!/usr/bin/env bash
# Captures the engine fixtures in this folder from real engines that scripts/engine-lab
# brings up (see README.md here). Run as root: Tests/Fixtures/engine/capture.sh [docker|podman]
# (both when no argument). Every engine is taken down again, also on failure.
# Needs curl (the Engine API over a unix socket) and python3 (pretty JSON): capture only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/../../.." && pwd)/scripts/engine-lab
[ "$(id -u)" = 0 ] || { echo "run as root: the engine lab builds network namespaces" >&2; exit 1; }
command -v curl >/dev/null || { echo "capture needs curl: apt-get install curl" >&2; exit 1; }

pretty() { python3 -m json.tool --indent 2; }
api() { curl -sf --unix-socket "$HT_API_SOCKET" "http://localhost$1" | pretty; }
in_host() { ip netns exec "$HT_HOST_NETNS" "$@"; }

# The scenario of the brief: web (httpd, published 8080:80) and pinger on the default
# bridge; on docker also a user network hoptest with two containers. Docker 20.10 refuses
# one-character names ("Invalid container name (a)"): they are hoptest-a and hoptest-b.
scenario() {
  local cli=$HT_CLI img=$HT_IMAGE pull=()
  [ "$HT_ENGINE" = podman ] && pull=(--pull never)
  "$cli" run -d "${pull[@]}" --name web -p 8080:80 "$img" httpd -f -p 80 -h /www >/dev/null
  "$cli" run -d "${pull[@]}" --name pinger "$img" sleep 3600 >/dev/null
  if [ "$HT_ENGINE" = docker ]; then
    "$cli" network create hoptest >/dev/null
    "$cli" run -d --name hoptest-a --network hoptest "$img" sleep 3600 >/dev/null
    "$cli" run -d --name hoptest-b --network hoptest "$img" sleep 3600 >/dev/null
  fi
  # some traffic: SNAT from a container to the remote host, DNAT from the remote to web
  "$cli" exec pinger ping -c 2 "${HT_REMOTE_ADDR%/*}" >/dev/null
  ip netns exec "$HT_REMOTE_NETNS" timeout 5 busybox wget -qO- "http://${HT_HOST_ADDR%/*}:8080/" >/dev/null
}

processes() {  # who runs where: pid, ppid, comm, net and mount namespace, pids cgroup
  local p
  printf '%-7s %-7s %-16s %-18s %-18s %s\n' PID PPID COMM NETNS MNTNS PIDS_CGROUP
  for p in $( { ip netns pids "$HT_HOST_NETNS"; for c in $("$HT_CLI" ps -q); do
                "$HT_CLI" inspect -f '{{.State.Pid}}' "$c"; done; } | sort -un); do
    printf '%-7s %-7s %-16s %-18s %-18s %s\n' "$p" "$(awk '{print $4}' "/proc/$p/stat")" \
      "$(cat "/proc/$p/comm")" "$(readlink "/proc/$p/ns/net")" "$(readlink "/proc/$p/ns/mnt")" \
      "$(grep -m1 ':pids:' "/proc/$p/cgroup" | cut -d: -f3)"
  done
  echo "# $HT_HOST_NETNS is $(ip netns exec "$HT_HOST_NETNS" readlink /proc/self/ns/net)"
}

netns_views() {  # ip -j of the host namespace and of web's namespace
  local out=$1 pid
  in_host ip -j link show | pretty > "$out/host-ip-link.json"
  in_host ip -j -d link show | pretty > "$out/host-ip-link-details.json"
  in_host ip -j addr show | pretty > "$out/host-ip-addr.json"
  in_host ip -j route show | pretty > "$out/host-ip-route.json"
  in_host nft -j list ruleset 2>/dev/null | pretty > "$out/host-nft.json"
  in_host iptables-save > "$out/host-iptables-save.txt"
  pid=$("$HT_CLI" inspect -f '{{.State.Pid}}' web)
  nsenter --net="/proc/$pid/ns/net" ip -j link show | pretty > "$out/web-ip-link.json"
  nsenter --net="/proc/$pid/ns/net" ip -j addr show | pretty > "$out/web-ip-addr.json"
  nsenter --net="/proc/$pid/ns/net" ip -j route show | pretty > "$out/web-ip-route.json"
}

capture_docker() {
  local out=$here/docker
  "$lab" up docker
  eval "$("$lab" env docker)"
  scenario
  rm -rf "$out"; mkdir -p "$out"
  "$lab" env docker > "$out/env.txt"
  api /version > "$out/api-version.json"
  api /containers/json > "$out/api-containers.json"
  api /containers/web/json > "$out/api-container-web.json"
  api /networks > "$out/api-networks.json"
  api /networks/bridge > "$out/api-network-bridge.json"
  api /networks/hoptest > "$out/api-network-hoptest.json"
  netns_views "$out"
  processes > "$out/processes.txt"
  "$lab" down docker
}

capture_podman() {
  local out=$here/podman
  "$lab" up podman
  eval "$("$lab" env podman)"
  scenario
  rm -rf "$out"; mkdir -p "$out"
  "$lab" env podman > "$out/env.txt"
  "$HT_CLI" ps --format json | pretty > "$out/podman-ps.json"
  "$HT_CLI" inspect web | pretty > "$out/podman-inspect-web.json"
  api /version > "$out/api-version.json"
  api /containers/json > "$out/api-containers.json"
  api /containers/web/json > "$out/api-container-web.json"
  api /v4.0.0/libpod/containers/json > "$out/api-libpod-containers.json"
  netns_views "$out"
  processes > "$out/processes.txt"
  "$lab" down podman
}

trap '"$lab" down-all' EXIT
case "${1:-all}" in
  docker) capture_docker ;;
  podman) capture_podman ;;
  all) capture_docker; capture_podman ;;
  *) echo "usage: $0 [docker|podman]" >&2; exit 2 ;;
esac
du -ah "$here" | sort -k2
