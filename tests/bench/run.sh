#!/usr/bin/env bash
# Issue 5's benchmark, side by side in one run (make bench-e2e): builds
# photondb and the YCSB-style generator (tests/bench/cmd/ycsb), starts
# `photondb serve` and a private PostgreSQL (installed with apt-get when
# missing) on free 127.0.0.1 ports with temporary data directories, runs the
# workloads against both and prints the comparison table. Both servers are
# stopped and the temporary directory removed on any exit (trap).
#
# Environment: PHOTONDB_BIN (use this binary instead of building),
# BENCH_ARGS (extra flags for the generator, e.g. "-duration 5s -records 50000").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

log() { echo "bench-e2e: $*" >&2; }

WORK=""
PHOTON_PID=""
PG_BIN=""
PG_DATA=""
RUN_AS=()

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n "$PHOTON_PID" ]] && kill -0 "$PHOTON_PID" 2>/dev/null; then
		kill -TERM "$PHOTON_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do # up to 10 s
			kill -0 "$PHOTON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$PHOTON_PID" 2>/dev/null || true
		wait "$PHOTON_PID" 2>/dev/null || true
	fi
	if [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]]; then
		"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 || true
		if [[ -f "$PG_DATA/postmaster.pid" ]]; then
			local pid
			pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
			[[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	if [[ -n "$WORK" && -d "$WORK" ]]; then
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d /tmp/photondb-bench.XXXXXX)
chmod 755 "$WORK"

# --- PostgreSQL: install when missing -------------------------------------
find_pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
	if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
		echo "$d"
	fi
}
PG_BIN=$(find_pg_bin)
if [[ -z "$PG_BIN" ]]; then
	if [[ $(id -u) -ne 0 ]]; then
		log "PostgreSQL is not installed and this is not root: apt-get install postgresql first"
		exit 1
	fi
	log "installing PostgreSQL (apt-get install postgresql)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; exit 1; }
	apt-get install -y -qq --no-install-recommends postgresql >>"$WORK/apt.log" 2>&1 || { tail -n 50 "$WORK/apt.log" >&2; exit 1; }
	PG_BIN=$(find_pg_bin)
	if [[ -z "$PG_BIN" ]]; then
		log "PostgreSQL installed but no initdb under /usr/lib/postgresql/*/bin"
		exit 1
	fi
fi

# PostgreSQL refuses to run as root: run it as the postgres user (created by
# the Debian package) or a throwaway one.
if [[ $(id -u) -eq 0 ]]; then
	PG_USER=postgres
	if ! id -u "$PG_USER" >/dev/null 2>&1; then
		PG_USER=photondb-bench
		id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
	fi
	RUN_AS=(runuser -u "$PG_USER" --)
else
	PG_USER=$(id -un)
	RUN_AS=(env)
fi

# --- build -------------------------------------------------------------------
if [[ -n "${PHOTONDB_BIN:-}" ]]; then
	PHOTON="$PHOTONDB_BIN"
else
	log "building photondb"
	go build -o "$WORK/photondb" ./cmd/photondb
	PHOTON="$WORK/photondb"
fi
log "building the generator"
go build -o "$WORK/ycsb" ./tests/bench/cmd/ycsb
YCSB="$WORK/ycsb"

mapfile -t PORTS < <("$YCSB" freeports 4)
HTTP_PORT=${PORTS[0]} DRIVER_PORT=${PORTS[1]} CLUSTER_PORT=${PORTS[2]} PG_PORT=${PORTS[3]}

# --- start PostgreSQL ----------------------------------------------------------
PG_DATA="$WORK/pgdata"
PG_SOCK="$WORK/pgsock"
PG_LOGDIR="$WORK/pglog" # the server writes its log as $PG_USER
mkdir -p "$PG_DATA" "$PG_SOCK" "$PG_LOGDIR"
if [[ $(id -u) -eq 0 ]]; then chown "$PG_USER" "$PG_DATA" "$PG_SOCK" "$PG_LOGDIR"; fi
chmod 700 "$PG_DATA"
log "initdb ($("$PG_BIN/postgres" --version))"
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log" >&2; exit 1; }
# Debian's defaults, durable: fsync and synchronous_commit on.
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOGDIR/postgres.log" -w -t 60 start \
	-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCK -c fsync=on -c synchronous_commit=on -c max_connections=100" \
	>/dev/null || { cat "$PG_LOGDIR/postgres.log" >&2; exit 1; }

# --- start PhotonDB ------------------------------------------------------------
mkdir -p "$WORK/photondb-data"
"$PHOTON" serve --bind 127.0.0.1 --port "$HTTP_PORT" --driver-port "$DRIVER_PORT" \
	--cluster-port "$CLUSTER_PORT" --data-dir "$WORK/photondb-data" --initial-password bench >"$WORK/photondb.log" 2>&1 &
PHOTON_PID=$!

log "PhotonDB on 127.0.0.1:$DRIVER_PORT (pid $PHOTON_PID), PostgreSQL on 127.0.0.1:$PG_PORT; $(nproc) CPUs"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
if ! "$YCSB" -photon "127.0.0.1:$DRIVER_PORT" -photon-password bench \
	-pg "postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable" ${BENCH_ARGS:-}; then
	log "benchmark failed; last lines of the server logs:"
	echo "--- photondb" >&2; tail -n 40 "$WORK/photondb.log" >&2 || true
	echo "--- postgres" >&2; tail -n 40 "$PG_LOGDIR/postgres.log" >&2 || true
	exit 1
fi
