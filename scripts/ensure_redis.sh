#!/usr/bin/env bash
# Makes sure a Redis server answers at 127.0.0.1:6379 (the RQ task-queue and shared-cache tests
# use it), installing and starting Debian's server when we are root and none runs. It keeps
# nothing on disk: the tests need a server, not data. Exit 0 when reachable, 1 when not.
set -u
reachable() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
reachable && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  command -v redis-server >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  }
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --logfile /tmp/bangban-redis.log >/dev/null
  for _ in $(seq 1 20); do reachable && break; sleep 0.5; done
fi
reachable
