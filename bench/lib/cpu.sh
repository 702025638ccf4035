# Shared by bench/fullstack.sh and bench/warmup.sh: CPU time per request of each hop, from /proc, to tell which process a stack's
# requests/s is spent in (user + system time over a wrk run divided by the requests it served). Source it.

# cpu_ticks PID... -> the processes' user + system time together, in clock ticks; a process gone counts 0.
cpu_ticks() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || ticks=0
    total=$((total + ${ticks:-0}))
  done
  echo "$total"
}

# cpu_us_per_request TICKS_BEFORE TICKS_AFTER REQUESTS_PER_SECOND SECONDS -> µs of CPU per request (ticks are 1/CLK_TCK s).
cpu_us_per_request() {
  awk -v b="$1" -v a="$2" -v r="$3" -v s="$4" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f", (r > 0 && s > 0) ? (a - b) * 1000000 / hz / (r * s) : 0 }'
}
