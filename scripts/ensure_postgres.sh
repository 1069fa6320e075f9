#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at the URL given, installing and starting Debian's
# server when we are root and none runs. Exit 0 when reachable, 1 when not.
set -u
url="$1"
reachable() { psql "${url%/*}/postgres" -Atqc 'select 1' >/dev/null 2>&1; }
reachable && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || true
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 && break; sleep 0.5; done
  # Debian's peer authentication refuses root until root is a database role.
  su postgres -c "createuser -s root" 2>/dev/null || true
fi
reachable
