#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1; installs and starts them only when absent.
# Idempotent: a no-op when both already answer. Creates the `watchpost` database if missing.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done; echo "services: $2 did not come up" >&2; exit 1; }
apt_install() {
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -n | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for pg_up PostgreSQL
fi
if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server redis-tools
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for redis_up Redis
fi
# The fault run (tests/chaos) starts, kills and restarts a redis-server of its own: the binary is needed
# even where the machine's Redis runs from elsewhere.
command -v redis-server >/dev/null || apt_install redis-server
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='watchpost'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE watchpost"
fi
echo "services: PostgreSQL and Redis answer on 127.0.0.1"
