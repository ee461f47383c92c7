# shellcheck shell=bash
# Shared functions for scripts/* and .ci/run. Source it, don't run it.
#
# Every ensure_* function is idempotent: silent when there is nothing to do,
# one "==>" line when it does something, and a non-zero exit with an
# "error:" line naming what failed otherwise.

set -Eeuo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.9"
PG_HOST="127.0.0.1"
PG_PORT="5432"
REDIS_HOST="127.0.0.1"
REDIS_PORT="6379"
NODE_INTEROP_DIR="$REPO_ROOT/tests/interop/better_auth"

# Any command that fails outside a condition names itself before the exit.
trap 'printf "error: \`%s\` failed (exit %s) at %s:%s\n" "$BASH_COMMAND" "$?" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2' ERR

say() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        die "need root to run: $*"
    fi
}

# Wait up to $1 seconds for the command that follows to succeed.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

_APT_UPDATED=""

apt_install() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    if [ -z "$_APT_UPDATED" ]; then
        as_root apt-get update -qq >/dev/null || die "apt-get update failed"
        _APT_UPDATED=1
    fi
    say "installing ${missing[*]} (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

ensure_uv() {
    command -v uv >/dev/null 2>&1 && return 0
    command -v python3 >/dev/null 2>&1 || die "python3 not found: cannot install uv"
    say "installing uv $UV_VERSION (pip)"
    python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" || die "pip install uv==$UV_VERSION failed"
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
    hash -r
    if ! command -v uv >/dev/null 2>&1; then
        PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
        export PATH
    fi
    command -v uv >/dev/null 2>&1 || die "uv was installed but is not on PATH"
}

ensure_python_deps() {
    uv --directory "$REPO_ROOT" sync --frozen --check --quiet >/dev/null 2>&1 && return 0
    say "installing Python dependencies (uv sync --frozen)"
    uv --directory "$REPO_ROOT" sync --frozen --quiet || die "uv sync --frozen failed"
}

_pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

ensure_postgres() {
    _pg_ready && return 0
    local fresh=""
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]; then
        apt_install postgresql
        fresh=1
    fi
    local version
    version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql"
    if [ ! -d "/etc/postgresql/$version/main" ]; then
        say "creating PostgreSQL $version cluster main"
        as_root pg_createcluster "$version" main >/dev/null || die "pg_createcluster $version main failed"
        fresh=1
    fi
    if [ -n "$fresh" ]; then
        # Match the CI machine: trust on the socket and loopback only.
        as_root tee "/etc/postgresql/$version/main/pg_hba.conf" >/dev/null <<'EOF'
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
host    all   all   ::1/128       trust
EOF
    fi
    say "starting PostgreSQL $version"
    if ! pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online" {found=1} END {exit !found}'; then
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
            || die "pg_ctlcluster $version main start failed (see /var/log/postgresql/postgresql-$version-main.log)"
    fi
    wait_for 30 _pg_ready || die "PostgreSQL is not accepting connections on $PG_HOST:$PG_PORT"
}

_redis_ready() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

ensure_redis() {
    command -v redis-cli >/dev/null 2>&1 && _redis_ready && return 0
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    # A freshly installed package may have started its own server.
    _redis_ready && return 0
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log \
        || die "redis-server failed to start (see /var/log/redis/ci.log)"
    wait_for 15 _redis_ready || die "Redis does not answer PING on $REDIS_HOST:$REDIS_PORT"
}

ensure_node_deps() {
    local lock="$NODE_INTEROP_DIR/package-lock.json"
    [ -f "$lock" ] || return 0
    # npm writes node_modules/.package-lock.json on every install: the stamp.
    local stamp="$NODE_INTEROP_DIR/node_modules/.package-lock.json"
    [ -e "$stamp" ] || stamp="$NODE_INTEROP_DIR/node_modules"
    if [ -e "$stamp" ] && ! [ "$lock" -nt "$stamp" ]; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "npm not found: needed for tests/interop/better_auth"
    say "installing Node dependencies (npm ci in tests/interop/better_auth)"
    npm ci --prefix "$NODE_INTEROP_DIR" --no-audit --no-fund --loglevel=error >/dev/null \
        || die "npm ci failed in tests/interop/better_auth"
}

# The IMAP tests start a private Dovecot with the project's configuration (tests/ingest/dovecot.py): only the
# package is needed, with the dovecot and dovenull users it creates. A system instance it may start is left alone.
ensure_chromium() {
    # Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser of its own).
    apt_install chromium fonts-liberation
    [ -x /usr/bin/chromium ] || die "chromium is installed but /usr/bin/chromium is missing"
}

ensure_dovecot() {
    apt_install dovecot-imapd
    [ -x /usr/sbin/dovecot ] || die "dovecot-imapd is installed but /usr/sbin/dovecot is missing"
}
