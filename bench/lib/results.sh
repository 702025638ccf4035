# Shared by the bench scripts: each run leaves a dated record under bench/results/, so a figure quoted in
# bench/README.md comes from a file that says on what machine, under what load and at which commit it was measured.
# Source it; it defines functions only.
#
#   results_open NAME ROOT      -> RESULTS_CSV, RESULTS_MD (bench/results/<UTC time>-NAME.{csv,md}) with the header
#   results_row FIELDS...       -> one CSV line (the caller's columns), load average appended
#   results_note TEXT           -> a line in the Markdown record
#   results_close               -> load average at the end; both files' paths printed

results_open() {
  local name=$1 root=$2 stamp commit dirty
  stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
  mkdir -p "$root/bench/results"
  RESULTS_CSV="$root/bench/results/$stamp-$name.csv"
  RESULTS_MD="$root/bench/results/$stamp-$name.md"
  {
    echo "# $name, $stamp"
    echo
    echo "- commit: $commit$dirty"
    echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr)"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- logging: Serilog minimum level ${Serilog__MinimumLevel__Default:-Information (the shipped default)}"
    echo "- command: ${RESULTS_COMMAND:-$0 $*}"
    echo
    echo '```'
  } > "$RESULTS_MD"
  : > "$RESULTS_CSV"
  export RESULTS_CSV RESULTS_MD
}

# The first call names the columns (load_1min is added to them).
results_row() {
  local IFS=,
  if [ -s "$RESULTS_CSV" ]; then
    echo "$*,$(cut -d' ' -f1 /proc/loadavg)" >> "$RESULTS_CSV"
  else
    echo "$*,load_1min" >> "$RESULTS_CSV"
  fi
}

# Everything the script printed for the table goes to the Markdown record too.
results_print() { printf "$@" | tee -a "$RESULTS_MD"; }

results_close() {
  {
    echo '```'
    echo
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >> "$RESULTS_MD"
  echo "results: ${RESULTS_MD#"$ROOT"/} and ${RESULTS_CSV#"$ROOT"/}"
}
