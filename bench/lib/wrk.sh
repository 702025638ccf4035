# Shared by the bench scripts: one wrk run and a median. Source it; it defines functions only.

# measure URL SECONDS -> "requests_per_second p99_ms errors" (THREADS and CONNECTIONS from the caller).
measure() {
  local url=$1 seconds=$2 out
  out=$(wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-64}" -d"${seconds}s" --latency "$url")
  echo "$out" | awk '
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
               p99 = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    END { printf "%.0f %.2f %d\n", rps, p99, errors + 0 }'
}

median() { printf "%s\n" "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

# measure_rotated ROUND SECONDS URL... -> one "requests_per_second p99_ms errors" line per URL, in the order given. The
# order they run in rotates with ROUND, so no contender always runs on a machine warmed (or throttled) by another.
# MEASURE_ONE names another function to run each URL with, called as MEASURE_ONE INDEX URL SECONDS (INDEX: the URL's
# position), for a caller that measures more than wrk does (bench/fullstack.sh: the CPU of each hop).
measure_rotated() {
  local round=$1 seconds=$2 i index
  shift 2
  local urls=("$@") got=()
  for ((i = 0; i < ${#urls[@]}; i++)); do
    index=$(( (i + round - 1) % ${#urls[@]} ))
    got[index]=$("${MEASURE_ONE:-measure_url}" "$index" "${urls[index]}" "$seconds")
  done
  printf '%s\n' "${got[@]}"
}

measure_url() { measure "$2" "$3"; }
