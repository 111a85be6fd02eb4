#!/usr/bin/env bash
# Five real daemons with shipped policies (nginx, redis, postgresql, memcached, Python's
# http.server), run by hand as root, one daemon at a time:
#
#   bash bench/daemons.sh [start|learn] [RUNS] [DAEMON...]    RUNS: start only, default 5
#   HARDEN=build/cli/harden bash bench/daemons.sh start 5 nginx redis
#   bash bench/daemons.sh learn - postgresql
#
# start (default): time from the start to the first successful answer (an HTTP GET, redis
#   PING, a psql SELECT 1, memcached "version"), bare (setpriv to the daemon's user, empty
#   environment) against `harden --policy` of an overlay of the shipped policy, in turn,
#   median of RUNS (default 5) after one start of each that is not counted (page cache; the
#   policy's firewall table is installed then and found sealed afterwards). The overlay extends
#   policies/<daemon>.toml and changes only its name (its own nft table), the data directory
#   (read-write, a scratch directory instead of /var/lib/...) and the Landlock port.
# learn: `harden learn` of each daemon on its kind's base (policies/base/*.toml, plus the
#   daemon's user and data directory: the bases name neither) through the day-two work of
#   tests/kernel/test_daemons_*.cpp, then the same work under the draft; on a failure one more
#   `harden learn --merge` of the same work, at most LEARN_MAX days (default 3). Prints the
#   runs, the syscalls the draft names, validate, lint and the exposures. The drafts stay in
#   /tmp/learn-<daemon>/draft.toml (with the logs); everything else is removed.
#
# The harden binary: $HARDEN, else build/harden, else build/cli/harden. Ports:
# 127.0.0.1:$PORT_BASE+0..4 (default 28080..28084), which must be free. A daemon whose binary
# is absent is skipped.
# KEEP=1 keeps the scratch directories (configurations, logs) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
mode=${1:-start}
runs=${2:-5}
[[ $runs == - ]] && runs=5
shift $(($# < 2 ? $# : 2))
daemons=("$@")
((${#daemons[@]})) || daemons=(nginx redis postgresql memcached http-server)
harden=${HARDEN:-build/harden}
[[ -n ${HARDEN:-} || -x $harden ]] || harden=build/cli/harden  # where cmake puts it
harden=$(realpath "$harden")
learn_max=${LEARN_MAX:-3}
port_base=${PORT_BASE:-28080}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
export HARDEN_POLICY_PATH=$repo/policies

[[ $mode == start || $mode == learn ]] || { echo "usage: $0 [start|learn] [RUNS] [DAEMON...]" >&2; exit 2; }
[[ -x $harden ]] || { echo "no harden at $harden: build it or set HARDEN" >&2; exit 1; }
((EUID == 0)) || { echo "run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/harden-bench-daemons.XXXXXX)
chmod 755 "$work"
pids=()      # every process group started (harden or the bare daemon leads one)
policies=()  # every policy launched, for `harden down`
cleanup() {
  local pid policy
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  for policy in "${policies[@]}"; do "$harden" down --policy "$policy" >/dev/null 2>&1 || true; done
  if [[ -n ${KEEP:-} ]]; then
    echo "kept $work (KEEP is set)" >&2
  else
    rm -rf "$work"
    for d in "${daemons[@]}"; do rm -rf "/tmp/learn-$d/data"; done
  fi
}
trap cleanup EXIT

# --- processes --------------------------------------------------------------------------------

# start LOG ARGV...: in its own session, in the scratch directory, its pid in $pid. SIGINT and
# SIGQUIT back to their defaults (bash ignores them in a background command; Python would
# ignore Ctrl-C then).
start() {
  log=$1
  shift
  (cd "$box" && exec env --default-signal=INT,QUIT setsid "$@" </dev/null >"$log" 2>&1) &
  pid=$!
  pids+=("$pid")
}
# alive PID: running, not a zombie (read without a fork: it runs in the timed loop).
alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}
# finish PID SECONDS: waits for the exit, its status in $status (128+N for signal N).
finish() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    alive "$1" || break
    sleep 0.05
  done
  if alive "$1"; then
    echo "  pid $1 still running after $2 s: killed" >&2
    kill -KILL -- "-$1" 2>/dev/null || true
  fi
  status=0
  wait "$1" || status=$?
}
# stop PID SIGNAL: a graceful stop (harden passes the signal on), its status in $status.
stop() {
  kill -"$2" "$1" 2>/dev/null || true
  finish "$1" 30
}
# until_ok SECONDS COMMAND...: polls every 10 ms (for the day-two steps).
until_ok() {
  local limit=$1 t0=${EPOCHREALTIME/./}
  shift
  until "$@" 2>/dev/null; do
    ((${EPOCHREALTIME/./} - t0 < limit * 1000000)) || return 1
    sleep 0.01
  done
}
# nap SECONDS: a sleep without a fork (a read that times out on a pipe nothing writes to).
exec {nap_fd}<> <(:)
nap() { read -rt "$1" -u "$nap_fd" || true; }
# answering: asks ready_$name every 2 ms for 60 s while $pid lives. The readiness checks of
# nginx, redis, memcached and http.server talk over bash's /dev/tcp, with no fork, so the
# timed loop costs the same bare and under harden and does not steal the daemon's CPU.
answering() {
  local t0=${EPOCHREALTIME/./}
  until "ready_$name" 2>/dev/null; do
    alive "$pid" || { step "exited before answering: $(tail -2 "$log")"; return 1; }
    ((${EPOCHREALTIME/./} - t0 < 60000000)) || return 1
    nap 0.002
  done
}
descendants() {
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
as_user() { setpriv --reuid "$user" --regid "$user" --clear-groups -- "$@"; }

# --- the daemons ------------------------------------------------------------------------------
# setup_X writes the configuration and data into $d (then given to the daemon's user) for
# 127.0.0.1:$port and sets: user, shipped (policy), base, command (the start-up run's),
# learn_command, stop_signal, overlay_extra* (TOML for the start-up overlay), phases (1, or 2:
# the work spans a restart).
# ready_X answers once; day_X PHASE PREFIX... does the day-two work with the daemon started under
# PREFIX (harden learn ..., harden --policy draft) and stops it; returns 1 on a failed step.

# ask REQUEST UNTIL: one exchange on a fresh connection to 127.0.0.1:$port over bash's /dev/tcp,
# read up to the line that starts with UNTIL; the answer in $reply.
ask() {
  local fd line
  reply=""
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%b' "$1" >&"$fd"
  while IFS= read -r -t 5 -u "$fd" line; do
    reply+="$line"$'\n'
    [[ $line == "$2"* ]] && break
  done
  exec {fd}>&-
}
port_open() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  exec {fd}>&-
}
http_get() { curl -sf -m 5 "http://127.0.0.1:$port$1"; }
http_status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port$1"; }
ready_http() { ask 'GET / HTTP/1.0\r\n\r\n' HTTP/ && [[ $reply == HTTP/1.?" 200"* ]]; }
step() { echo "  $1" >&2; }

nginx_conf() {
  cat >"$d/nginx.conf" <<EOF
worker_processes 2;
pid $d/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log $d/access.log;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port;
    root $d/www;
$1  }
}
EOF
}
setup_nginx() {
  user=www-data shipped=nginx.toml base=forking.toml stop_signal=QUIT phases=1
  mkdir -p "$d/www"
  echo "served by nginx" >"$d/www/index.html"
  nginx_conf ""
  command=(/usr/sbin/nginx -e stderr -g "daemon off;" -c "$d/nginx.conf")
  learn_command=("${command[@]}")
}
ready_nginx() { ready_http; }
day_nginx() {
  shift  # one phase
  nginx_conf ""
  chown "$user:" "$d/nginx.conf"
  start "$box/day-nginx.log" "$@" "${learn_command[@]}"
  answering || { step "no answer"; stop "$pid" TERM; return 1; }
  [[ $(http_get /) == "served by nginx" ]] || { step "GET / wrong"; stop "$pid" TERM; return 1; }
  nginx_conf '    location = /reloaded { return 200 "reloaded\n"; }'
  kill -HUP "$pid"
  until_ok 15 eval '[[ $(http_get /reloaded) == reloaded ]]' || { step "reload not served"; stop "$pid" TERM; return 1; }
  [[ $(http_get /) == "served by nginx" ]] || { step "GET / after reload"; stop "$pid" TERM; return 1; }
  stop "$pid" QUIT
  ((status == 0)) || { step "exit $status after SIGQUIT"; return 1; }
}

setup_redis() {
  user=redis shipped=redis.toml base=database.toml stop_signal=TERM phases=1
  command=(/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --dir "$d" --save "" --appendonly no
    --daemonize no --logfile "" --unixsocket "")
  learn_command=("${command[@]}")
  overlay_extra="refer = [\"$d\"]"
}
rcli() { redis-cli -p "$port" "$@"; }
ready_redis() { ask 'PING\r\n' + && [[ $reply == +PONG* ]]; }
day_redis() {
  shift  # one phase
  rm -rf "$d/dump.rdb" "$d/appendonlydir"
  start "$box/day-redis.log" "$@" "${learn_command[@]}"
  answering || { step "no PONG"; stop "$pid" TERM; return 1; }
  for i in $(seq 200); do echo "SET key$i value$i"; done | rcli >/dev/null
  [[ $(rcli DBSIZE) == 200 ]] || { step "DBSIZE"; stop "$pid" TERM; return 1; }
  [[ $(rcli BGSAVE) == *"saving started"* ]] || { step "BGSAVE refused"; stop "$pid" TERM; return 1; }
  until_ok 15 eval '[[ $(rcli INFO persistence) == *rdb_bgsave_in_progress:0* ]]' || true
  [[ $(rcli INFO persistence) == *rdb_last_bgsave_status:ok* ]] || { step "BGSAVE failed"; stop "$pid" TERM; return 1; }
  [[ $(rcli BGREWRITEAOF) == *"rewriting started"* ]] || { step "BGREWRITEAOF refused"; stop "$pid" TERM; return 1; }
  until_ok 15 eval '[[ $(rcli INFO persistence) == *aof_rewrite_in_progress:0* ]]' || true
  [[ $(rcli INFO persistence) == *aof_last_bgrewrite_status:ok* ]] || { step "BGREWRITEAOF failed"; stop "$pid" TERM; return 1; }
  [[ -e $d/appendonlydir/appendonly.aof.1.base.rdb ]] || { step "no AOF base file"; stop "$pid" TERM; return 1; }
  stop "$pid" TERM
  ((status == 0)) || { step "exit $status after SIGTERM"; return 1; }
}

setup_postgresql() {
  user=postgres shipped=postgresql.toml base=database.toml stop_signal=INT phases=2
  [[ -d $d/cluster ]] || {
    mkdir -p "$d/sock"
    chown -R "$user:" "$d"
    as_user "$pgbin/initdb" -D "$d/cluster" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$box/initdb.log" 2>&1
  }
  command=("$pgbin/postgres" -D "$d/cluster" -p "$port" -c listen_addresses=127.0.0.1 -c "unix_socket_directories=$d/sock")
  learn_command=("${command[@]}")
}
sql() { "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
# The port first (no fork), then a query: psql answers only once recovery is over.
ready_postgresql() { port_open && [[ $(sql "SELECT 1") == 1 ]]; }
day_postgresql() {
  local phase=$1 postmaster p
  shift
  start "$box/day-postgresql-$phase.log" "$@" "${learn_command[@]}"
  answering || { step "no answer"; stop "$pid" INT; return 1; }
  if ((phase == 1)); then
    [[ $(sql "SET client_min_messages = warning; DROP TABLE IF EXISTS t; CREATE TABLE t(id int, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200000) g; CREATE INDEX t_v ON t(v); SELECT count(*) FROM t") == 200000 ]] ||
      { step "index build"; stop "$pid" INT; return 1; }
    # A crash: SIGKILL of the postmaster (the first postgres from harden down).
    for p in "$pid" $(descendants "$pid"); do
      [[ $(cat /proc/"$p"/comm) == postgres ]] && { postmaster=$p; break; }
    done
    kill -KILL "$postmaster"
    finish "$pid" 30
  else
    grep -q "automatic recovery in progress" "$box/day-postgresql-$phase.log" || { step "no crash recovery"; stop "$pid" INT; return 1; }
    [[ $(sql "SET enable_seqscan = off; SELECT id FROM t WHERE v = md5('77777')") == 77777 ]] || { step "index lookup"; stop "$pid" INT; return 1; }
    sql "DROP TABLE t" >/dev/null || { step "DROP TABLE"; stop "$pid" INT; return 1; }
    stop "$pid" INT
    ((status == 0)) || { step "exit $status after SIGINT"; return 1; }
  fi
}

mc() { ask "$@" && printf '%s' "$reply"; }
setup_memcached() {
  user=memcache shipped=memcached.toml base=threaded.toml stop_signal=TERM phases=2
  command=(/usr/bin/memcached -l 127.0.0.1 -p "$port" -U 0 -m 64)
  learn_command=("${command[@]}" -t 4 -e "$d/memory_file")
}
ready_memcached() { ask 'version\r\n' VERSION && [[ $reply == VERSION* ]]; }
day_memcached() {
  local phase=$1
  shift
  start "$box/day-memcached-$phase.log" "$@" "${learn_command[@]}"
  answering || { step "no VERSION"; stop "$pid" TERM; return 1; }
  if ((phase == 1)); then
    [[ $(mc 'set greeting 0 0 5\r\nhello\r\n' STORED) == STORED* ]] || { step "set"; stop "$pid" TERM; return 1; }
    # Warm restart, first half: SIGUSR1 keeps the cache in its memory file.
    stop "$pid" USR1
    ((status == 0)) || { step "exit $status after SIGUSR1"; return 1; }
    [[ -e $d/memory_file.meta ]] || { step "no memory_file.meta"; return 1; }
    sleep 2  # memcached refuses a restart in the second it stopped
  else
    [[ $(mc 'get greeting\r\n' END) == *hello* ]] || { step "cache lost at the restart"; stop "$pid" TERM; return 1; }
    stop "$pid" TERM
    ((status == 0)) || { step "exit $status after SIGTERM"; return 1; }
  fi
}

setup_http-server() {
  user=www-data shipped=http-server.toml base=threaded.toml stop_signal=INT phases=1
  mkdir -p "$d/www/files"
  echo "first version" >"$d/www/index.html"
  echo "file a" >"$d/www/files/a.txt"
  command=(/usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$d/www")
  learn_command=("${command[@]}")
  # The site is read-only in the shipped view; a plain array replaces the shipped one.
  overlay_extra_fs="read_only = [\"/usr\", \"/lib\", \"/lib64\", \"/etc/ld.so.cache\", \"$d/www\"]"
  overlay_extra_exec="working_directory = \"$d/www\""
}
ready_http-server() { ready_http; }
day_http-server() {
  shift  # one phase
  echo "first version" >"$d/www/index.html"
  start "$box/day-http-server.log" "$@" "${learn_command[@]}"
  answering || { step "no answer"; stop "$pid" INT; return 1; }
  [[ $(http_get /) == "first version" ]] || { step "GET /"; stop "$pid" INT; return 1; }
  echo "second version" >"$d/www/index.html"
  [[ $(http_get /) == "second version" ]] || { step "changed content"; stop "$pid" INT; return 1; }
  [[ $(http_get /files/) == *a.txt* ]] || { step "listing"; stop "$pid" INT; return 1; }
  [[ $(http_status /missing) == 404 ]] || { step "404"; stop "$pid" INT; return 1; }
  stop "$pid" INT
  ((status == 0)) || { step "exit $status after SIGINT"; return 1; }
}

binary_of() {
  case $1 in
    nginx) echo /usr/sbin/nginx ;;
    redis) echo /usr/bin/redis-server ;;
    postgresql) echo "${pgbin:-/nonexistent}/postgres" ;;
    memcached) echo /usr/bin/memcached ;;
    http-server) echo /usr/bin/python3 ;;
    *) echo "unknown daemon $1" >&2; exit 2 ;;
  esac
}
port_of() {
  local i all=(nginx redis postgresql memcached http-server)
  for i in "${!all[@]}"; do
    if [[ ${all[$i]} == "$1" ]]; then echo $((port_base + i)); fi
  done
}

# prepare NAME BOX: the scratch directory and the daemon's data.
prepare() {
  name=$1 box=$2 port=$(port_of "$1")
  overlay_extra="" overlay_extra_fs="" overlay_extra_exec=""
  if ss -Htln "sport = :$port" | grep -q .; then
    echo "port $port is in use; set PORT_BASE" >&2
    exit 1
  fi
  mkdir -p "$box/data"
  chmod 755 "$box"
  d=$box/data
  "setup_$name"
  chown -R "$user:" "$d"
  chmod 750 "$d"
}

median() { sort -n | awk '{v[NR] = $1} END {printf "%d\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# --- start: first answer, bare against the shipped policy -------------------------------------

# first_answer HOW: $ms, from the start to the first answer; the daemon is stopped again.
first_answer() {
  local how=$1 t0 t1
  local -a prefix
  if [[ $how == bare ]]; then
    prefix=(env -i PATH=/usr/bin:/bin setpriv --reuid "$user" --regid "$user" --clear-groups --)
  else
    prefix=("$harden" --policy "$box/overlay.toml" --)
  fi
  t0=${EPOCHREALTIME/./}
  start "$box/$how.log" "${prefix[@]}" "${command[@]}"
  answering || return 1
  t1=${EPOCHREALTIME/./}
  stop "$pid" "$stop_signal"
  ms=$(((t1 - t0) / 1000))
}

bench_start() {
  local name=$1 box=$work/$1 i bare=() hard=()
  prepare "$name" "$box"
  cat >"$box/overlay.toml" <<EOF
[policy]
name = "bench-$name"
extends = ["$shipped"]
[exec]
$overlay_extra_exec
[filesystem]
$overlay_extra_fs
read_write = [{ path = "$d", noexec = true }]
[landlock]
bind_tcp = [$port]
$overlay_extra
EOF
  policies+=("$box/overlay.toml")
  "$harden" validate "$box/overlay.toml" >/dev/null
  first_answer bare && first_answer harden  # not counted
  for ((i = 0; i < runs; i++)); do
    first_answer bare && bare+=("$ms")
    first_answer harden && hard+=("$ms")
  done
  "$harden" down --policy "$box/overlay.toml" >/dev/null
  local mb mh
  mb=$(printf '%s\n' "${bare[@]}" | median)
  mh=$(printf '%s\n' "${hard[@]}" | median)
  printf '| %s | %s | %s | %+d | %s | %s |\n' "$name" "$mb" "$mh" "$((mh - mb))" \
    "${bare[*]}" "${hard[*]}"
}

# --- learn: drafts through the day-two work ---------------------------------------------------

# day NAME PREFIX...: the whole day-two work, phase by phase, under PREFIX (for harden learn the
# first phase writes the draft and the second merges into it: see learn_day).
day() {
  local name=$1
  shift
  "day_$name" 1 "$@" || return 1
  ((phases == 1)) || "day_$name" 2 "$@"
}
# learn_day FIRST_OPTIONS...: one day of learning, one harden learn per phase; counts runs.
learn_day() {
  "day_$name" 1 "$harden" learn "$@" -- || return 1
  learned=$((learned + 1))
  if ((phases == 2)); then
    "day_$name" 2 "$harden" learn --merge "$draft" -- || return 1
    learned=$((learned + 1))
  fi
}
# The syscalls a draft names: the allow list (a group counts once) and each rule's syscall.
named_syscalls() {
  awk '/^allow = \[/ {in_allow = 1; next} in_allow && /^\]/ {in_allow = 0}
       in_allow && match($0, /"[^"]+"/) {print substr($0, RSTART + 1, RLENGTH - 2)}
       /^syscall = "/ {split($0, q, "\""); print q[2]}' "$1" | sort -u | wc -l
}
exposure() { "$harden" lint "$1" 2>&1 | grep -o 'exposure [0-9.]* [A-Z]*' | head -1 | cut -d' ' -f2-; }
lint_errors() { "$harden" lint "$1" 2>&1 | grep -o '[0-9]* errors\?' | head -1 | cut -d' ' -f1; }

bench_learn() {
  local name=$1 box=/tmp/learn-$1 passed=no days=0
  rm -rf "$box"
  prepare "$name" "$box"
  draft=$box/draft.toml learned=0
  cat >"$box/base.toml" <<EOF
[policy]
name = "learn-$name"
extends = ["base/$base"]
[identity]
user = "$user"
group = "$user"
[filesystem]
read_write = [{ path = "$d", noexec = true }]
EOF
  policies+=("$box/base.toml" "$draft")
  echo "== $name: harden learn --policy $box/base.toml (extends base/$base) -o $draft" >&2
  learn_day --policy "$box/base.toml" -o "$draft" || echo "  $name: the learning day failed" >&2
  while [[ -e $draft ]] && ((days < learn_max)); do
    days=$((days + 1))
    if day "$name" "$harden" --policy "$draft" --; then
      passed=yes
      break
    fi
    grep -h -i -m3 "seccomp\|SIGSYS\|landlock\|denied\|error" "$log" >&2 || true
    ((learned < learn_max * phases)) || break
    echo "  $name: failed under the draft; harden learn --merge $draft" >&2
    learn_day --merge "$draft" || true
  done
  "$harden" down --policy "$draft" >/dev/null 2>&1 || true
  local valid=no
  "$harden" validate "$draft" >/dev/null 2>&1 && valid=yes
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$learned" "$passed" \
    "$(named_syscalls "$draft")" "$valid" "$(lint_errors "$draft")" "$(exposure "$draft")" \
    "$(exposure "policies/$shipped")"
}

# ---------------------------------------------------------------------------------------------

if [[ $mode == start ]]; then
  echo "== first answer, ms (median of $runs; bare = setpriv to the daemon's user)"
  echo "| daemon | bare | harden --policy | difference | bare runs | harden runs |"
  echo "| --- | ---: | ---: | ---: | --- | --- |"
else
  echo "== harden learn through the day-two work (at most $learn_max days)"
  echo "| daemon | learn runs | day passes under draft | syscalls named | validate | lint errors | draft exposure | shipped exposure |"
  echo "| --- | ---: | --- | ---: | --- | ---: | --- | --- |"
fi
for name in "${daemons[@]}"; do
  bin=$(binary_of "$name")
  if [[ ! -x $bin ]]; then
    echo "| $name | skipped: no $bin |"
    continue
  fi
  "bench_$mode" "$name"
done
