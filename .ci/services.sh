#!/usr/bin/env bash
# The servers the CDS service's multi-worker tests use: redis-server and PostgreSQL from Debian's packages,
# on loopback only, with their data in a temporary folder. Sourced by .ci/run; usable by hand too:
#   source .ci/services.sh && cds_services_start    ...    cds_services_stop
# Exports HFS_PATHWAY_TEST_REDIS and HFS_PATHWAY_TEST_POSTGRES for the tests.

CDS_REDIS_PORT="${CDS_REDIS_PORT:-6391}"
CDS_PG_PORT="${CDS_PG_PORT:-5441}"

cds_services_install() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
    if [ "${#missing[@]}" -gt 0 ]; then
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
        echo "installed ${missing[*]}"
    fi
}

cds_services_start() {
    cds_services_install
    CDS_SERVICES_DIR="$(mktemp -d /tmp/hfs-pathway-ci-services.XXXXXX)"
    export CDS_SERVICES_DIR
    chmod 755 "$CDS_SERVICES_DIR"

    redis-server --bind 127.0.0.1 --port "$CDS_REDIS_PORT" --save "" --appendonly no --daemonize yes \
        --dir "$CDS_SERVICES_DIR" --pidfile "$CDS_SERVICES_DIR/redis.pid" --logfile "$CDS_SERVICES_DIR/redis.log"
    export HFS_PATHWAY_TEST_REDIS="redis://127.0.0.1:$CDS_REDIS_PORT/0"

    local bin
    bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"
    local pgdata="$CDS_SERVICES_DIR/pgdata"
    # PostgreSQL refuses to run as root: as root, run it as the postgres user the package creates.
    local as=()
    if [ "$(id -u)" -eq 0 ]; then
        as=(runuser -u postgres --)
        mkdir -p "$pgdata" && chown postgres:postgres "$pgdata"
    fi
    "${as[@]}" "$bin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
    "${as[@]}" "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $CDS_PG_PORT -k $pgdata" start >/dev/null
    "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$CDS_PG_PORT" -U postgres hfs_pathway_test
    CDS_PG_CTL=("${as[@]}" "$bin/pg_ctl" -D "$pgdata")
    export HFS_PATHWAY_TEST_POSTGRES="postgresql://postgres@127.0.0.1:$CDS_PG_PORT/hfs_pathway_test"
    for _ in $(seq 50); do
        redis-cli -p "$CDS_REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "services: redis on 127.0.0.1:$CDS_REDIS_PORT, PostgreSQL on 127.0.0.1:$CDS_PG_PORT"
}

cds_services_stop() {
    [ -n "${CDS_SERVICES_DIR:-}" ] || return 0
    if [ -n "${CDS_PG_CTL+x}" ]; then
        "${CDS_PG_CTL[@]}" -m fast stop >/dev/null 2>&1 || true
    fi
    if [ -f "$CDS_SERVICES_DIR/redis.pid" ]; then
        kill "$(cat "$CDS_SERVICES_DIR/redis.pid")" 2>/dev/null || true
    fi
    sleep 0.2
    rm -rf "$CDS_SERVICES_DIR"
    unset CDS_SERVICES_DIR
}
