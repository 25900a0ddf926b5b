# Shared by scripts/run and scripts/test: a Python 3.11 venv, and local services.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  # Debian packages the project needs and a fresh machine may lack.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_venv() {
  local req="$1"
  local py="${PYTHON:-python3.11}"
  command -v "$py" >/dev/null || py=python3
  "$py" -c 'import sys; assert sys.version_info[:2] >= (3, 11), sys.version' \
    || { echo "Python 3.11 is required"; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv 2>/dev/null || { apt_install python3-venv; "$py" -m venv .venv; }
  fi
  # One stamp per requirements file (requirements-dev.txt includes requirements.txt, so hash
  # both): installing the runtime set must not make the dev set look installed.
  local stamp=".venv/.installed-$(basename "$req" .txt)-$(cat "$req" requirements*.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "== installing Python packages ($req)"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -r "$req"
    touch "$stamp"
  fi
}

redis_up() { .venv/bin/python -c 'import redis,sys; redis.Redis(socket_connect_timeout=1).ping()' 2>/dev/null; }

ensure_redis() {
  redis_up && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  echo "== starting a local Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis_up && return 0; sleep 0.1; done
  echo "Redis did not start"; exit 1
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  pg_up && return 0
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  echo "== starting the local PostgreSQL cluster"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 50); do pg_up && return 0; sleep 0.2; done
  echo "PostgreSQL did not start"; return 1
}
