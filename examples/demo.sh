#!/usr/bin/env bash
# Builds harden and runs a Python HTTP server under examples/http-server.toml, then shows
# from the outside what the kernel enforces on it, and fetches a page over loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target harden >/dev/null
port=${PORT:-8080}
echo "\$ build/cli/harden --policy examples/http-server.toml -- python3 -m http.server $port --bind 127.0.0.1"
build/cli/harden --policy examples/http-server.toml -- python3 -m http.server "$port" --bind 127.0.0.1 \
  >/tmp/harden-demo.log 2>&1 &
wrapper=$!
trap 'kill $wrapper 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
server=$(pgrep -f "http.server $port" | head -n1)
echo "server pid $server, as the kernel sees it:"
grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$server/status" | sed 's/^/  /'
echo "  session: $(ps -o sid= -p "$server") (harden's caller: $(ps -o sid= -p $$))"
echo "  open fds: $(ls /proc/$server/fd | tr '\n' ' ')"
echo "  environment: $(tr '\0' ' ' < /proc/$server/environ)"
echo "\$ curl http://127.0.0.1:$port/"
curl -s "http://127.0.0.1:$port/" | head -n 3
echo "harden: dropped to nobody, no capabilities, no_new_privs, seccomp filter loaded."
