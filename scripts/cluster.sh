#!/usr/bin/env bash
# What the queue-mode test cluster (test/support/cluster.ts) needs besides n8n: Debian's redis-server and
# PostgreSQL 15 server, and an unprivileged system user for Postgres, which refuses to run as root.
#
#   scripts/cluster.sh install   install what is missing with apt-get (idempotent; instant when present)
#   scripts/cluster.sh paths     print REDIS_SERVER_BIN, PG_BIN and PG_USER as KEY=VALUE lines
#
# Environment: PG_VERSION (default 15), PG_USER (default n8ncluster).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_USER="${PG_USER:-n8ncluster}"
REDIS_SERVER_BIN=/usr/bin/redis-server

log() { printf '[cluster.sh] %s\n' "$*" >&2; }

as_root() {
	if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

install() {
	local -a missing=()
	[[ -x "$REDIS_SERVER_BIN" ]] || missing+=(redis-server)
	[[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]] || missing+=("postgresql-$PG_VERSION")
	if ((${#missing[@]})); then
		log "installing ${missing[*]} with apt-get"
		local logfile
		logfile="$(mktemp /tmp/cluster-apt-XXXXXX.log)"
		# The packages' own services are not wanted (tests start private servers): policy-rc.d says no.
		local policy=/usr/sbin/policy-rc.d created_policy=0
		if [[ ! -e "$policy" ]]; then
			printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
			as_root chmod +x "$policy"
			created_policy=1
		fi
		if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"; } >"$logfile" 2>&1; then
			((created_policy)) && as_root rm -f "$policy"
			log "apt-get failed (last lines of $logfile follow)"
			tail -n 40 "$logfile" >&2
			exit 1
		fi
		((created_policy)) && as_root rm -f "$policy"
		rm -f "$logfile"
	fi
	[[ -x "$REDIS_SERVER_BIN" ]] || { log "$REDIS_SERVER_BIN still missing"; exit 1; }
	[[ -x "$PG_BIN/postgres" ]] || { log "$PG_BIN/postgres still missing"; exit 1; }

	# Postgres refuses to run as root; the test servers run as this user, with no login and no home.
	if [[ "$(id -u)" == 0 ]] && ! id -u "$PG_USER" >/dev/null 2>&1; then
		log "creating the system user $PG_USER"
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
	fi
}

paths() {
	printf 'REDIS_SERVER_BIN=%s\nPG_BIN=%s\nPG_USER=%s\n' "$REDIS_SERVER_BIN" "$PG_BIN" "$PG_USER"
}

case "${1:-}" in
	install) install ;;
	paths) paths ;;
	*) echo "usage: $0 install|paths" >&2; exit 2 ;;
esac
