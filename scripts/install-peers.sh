#!/usr/bin/env bash
# Installs the programs the real-peer tests (tests/peers) talk to over loopback:
#   nginx (package nginx-light) and its stream module (libnginx-mod-stream, for the PROXY
#   protocol tests), haproxy, socat, nc (netcat-openbsd), tclsh (tcl), openssl, and the
#   PostgreSQL server (package postgresql: initdb and postgres, for the STARTTLS tests), and
#   nft (nftables) and ip/tc (iproute2) for the loss test in network namespaces
#   (tests/reliability/netns-loss.test.ts: random drops by an nftables rule, rate by tc tbf),
#   and the client-proxy peers: danted (dante-server, SOCKS5) and tinyproxy (HTTP CONNECT), and
#   tmux (the CLI typed in a real terminal: tests/cli/tmux.test.ts).
#
# Idempotent and quick: when every command is already present it does not touch apt at all.
# Otherwise it runs `apt-get update` once and installs only what is missing, as root, or
# through sudo when not root and sudo exists. Without either it prints what is missing and
# exits 0: the tests that need an absent peer skip themselves with a reason.
#
# No service is left running: while installing, a temporary /usr/sbin/policy-rc.d forbids
# package scripts to start daemons (Debian's invoke-rc.d honours it), and if a system nginx
# runs afterwards anyway (its pid file /run/nginx.pid) it is stopped, so nothing holds port 80.
# Likewise a PostgreSQL cluster that the package started (on 5432) is stopped: the tests make
# their own throwaway cluster on a free loopback port.
#
# Prints one line per peer: "<command>: present", "<command>: installed" or
# "<command>: missing (...)".
set -euo pipefail

# command  package
PEERS=(
  "nginx nginx-light"
  "nginx-stream libnginx-mod-stream"
  "haproxy haproxy"
  "socat socat"
  "nc netcat-openbsd"
  "tclsh tcl"
  "openssl openssl"
  "initdb postgresql"
  "nft nftables"
  "ip iproute2"
  "danted dante-server"
  "tinyproxy tinyproxy"
  "tmux tmux"
)

# nginx lives in /usr/sbin, which a non-root PATH may lack.
export PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"

has() { command -v "$1" >/dev/null 2>&1; }

# Debian keeps the PostgreSQL server programs off PATH, in /usr/lib/postgresql/<version>/bin.
has_initdb() {
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/initdb; do
    if [ -x "${candidate}" ]; then return 0; fi
  done
  has initdb
}

# nginx's stream module: built in (--with-stream), or Debian's dynamic module file. Checked
# once nginx itself is present (the list installs nginx-light first).
has_nginx_stream() {
  has nginx || return 1
  local flags
  flags="$(nginx -V 2>&1)"
  case "${flags}" in
    *"--with-stream=dynamic"*) [ -e /usr/lib/nginx/modules/ngx_stream_module.so ] ;;
    *"--with-stream"*) return 0 ;;
    *) return 1 ;;
  esac
}

# Whether the peer program is present (initdb, nginx-stream: see above).
has_peer() {
  case "$1" in
    initdb) has_initdb ;;
    nginx-stream) has_nginx_stream ;;
    *) has "$1" ;;
  esac
}

missing_cmds=()
missing_pkgs=()
for entry in "${PEERS[@]}"; do
  read -r cmd pkg <<<"${entry}"
  if has_peer "${cmd}"; then
    echo "${cmd}: present"
  else
    missing_cmds+=("${cmd}")
    missing_pkgs+=("${pkg}")
  fi
done

if [ "${#missing_cmds[@]}" -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if has sudo && sudo -n true >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    for cmd in "${missing_cmds[@]}"; do
      echo "${cmd}: missing (not root and no usable sudo; peer tests that need it will skip)"
    done
    exit 0
  fi
fi

if ! has apt-get; then
  for cmd in "${missing_cmds[@]}"; do
    echo "${cmd}: missing (no apt-get here; peer tests that need it will skip)"
  done
  exit 0
fi

run_root() { "${as_root[@]}" "$@"; }

# Forbid service starts during the install unless a policy already exists (Docker images
# ship one that exits 101). Ours is removed on exit, whatever happens.
POLICY=/usr/sbin/policy-rc.d
created_policy=0
log=""
cleanup() {
  if [ -n "${log}" ]; then rm -f "${log}"; fi
  if [ "${created_policy}" -eq 1 ]; then
    run_root rm -f "${POLICY}" || true
  fi
}
trap cleanup EXIT
if [ ! -e "${POLICY}" ]; then
  printf '#!/bin/sh\n# temporary, from sockit scripts/install-peers.sh\nexit 101\n' |
    run_root tee "${POLICY}" >/dev/null
  run_root chmod 755 "${POLICY}"
  created_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
apt_options=(-o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
log="$(mktemp "${TMPDIR:-/tmp}/install-peers.XXXXXX")"
# apt's chatter goes to the log, shown only when a step fails.
if run_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"${log}" 2>&1; then
  if ! run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${apt_options[@]}" "${missing_pkgs[@]}" >"${log}" 2>&1; then
    cat "${log}" >&2
    echo "install-peers: apt-get install ${missing_pkgs[*]} failed" >&2
  fi
else
  cat "${log}" >&2
  echo "install-peers: apt-get update failed" >&2
fi
# Should a package script have started the system nginx anyway (no policy honoured, a
# systemd host), stop it: the tests run their own nginx on a free loopback port.
if [ -s /run/nginx.pid ] && has nginx; then
  nginx_pid="$(cat /run/nginx.pid 2>/dev/null || true)"
  if [ -n "${nginx_pid}" ] && run_root kill -0 "${nginx_pid}" 2>/dev/null; then
    if has systemctl && systemctl is-active --quiet nginx 2>/dev/null; then
      run_root systemctl stop nginx >/dev/null 2>&1 || true
      run_root systemctl disable nginx >/dev/null 2>&1 || true
    fi
    if run_root kill -0 "${nginx_pid}" 2>/dev/null; then
      run_root nginx -s stop >/dev/null 2>&1 || run_root kill -TERM "${nginx_pid}" || true
    fi
    echo "install-peers: stopped the system nginx started by its package (pid ${nginx_pid})"
  fi
fi


# Same for a system HAProxy (Debian's default configuration listens nowhere, but a running
# daemon is not the tests' business: they start their own with a generated configuration).
if has systemctl && systemctl is-active --quiet haproxy 2>/dev/null; then
  run_root systemctl stop haproxy >/dev/null 2>&1 || true
  run_root systemctl disable haproxy >/dev/null 2>&1 || true
  echo "install-peers: stopped the system HAProxy started by its package"
fi

# Same for a PostgreSQL cluster the package created and started (pg_lsclusters lists it).
if has pg_lsclusters; then
  while read -r pg_version pg_cluster _port pg_status _rest; do
    if [ "${pg_status}" = "online" ]; then
      run_root pg_ctlcluster "${pg_version}" "${pg_cluster}" stop >/dev/null 2>&1 || true
      echo "install-peers: stopped the PostgreSQL cluster ${pg_version}/${pg_cluster} started by its package"
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
fi

for cmd in "${missing_cmds[@]}"; do
  if has_peer "${cmd}"; then
    echo "${cmd}: installed"
  else
    echo "${cmd}: missing (install failed; peer tests that need it will skip)"
  fi
done
exit 0
