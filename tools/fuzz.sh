#!/usr/bin/env bash
# Builds and runs every fuzz target of fuzz/ (cargo-fuzz on nightly), one after the other, one
# job each (see RELIABILITY.md).
#
#   tools/fuzz.sh [SECONDS_PER_TARGET | -runs=N] [TARGET ...]
#
# SECONDS_PER_TARGET (default 60) is each target's time; -runs=N runs each for N executions
# instead. TARGETs default to all of them. Each target's corpus, fuzz/corpus/TARGET/, is seeded
# at every run from the files of its layout under fixtures/ and demo/ (gzip undone, each cut
# to the target's -max_len) and from its regression inputs under fixtures/fuzz/TARGET/; it keeps
# what the fuzzer added, so later runs start from there (delete the folder to start afresh). A
# crash is written to fuzz/artifacts/TARGET/; libFuzzer's output goes to fuzz/logs/TARGET.log.
# Prints per target the executions done, the time, coverage and features, and whether it
# crashed; exits 1 if any target did.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${1:-60}
shift || true
case "$budget" in
    -runs=*) stop=("$budget") ;;
    *[!0-9]* | '') echo "usage: $0 [SECONDS_PER_TARGET | -runs=N] [TARGET ...]" >&2; exit 2 ;;
    *) stop=("-max_total_time=$budget") ;;
esac
all=(register_xml ec_meetings_xml ec_meetings_xlsx ep_meetings_csv hys_json web_query)
targets=("${@:-${all[@]}}")

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2; exit 2; }
rustup toolchain list | grep -q '^nightly' || { echo "the nightly toolchain is not installed" >&2; exit 2; }

# The longest input each target is given: text formats 64 KiB; an XLSX fixture is a few KiB of
# zip, so it has room to grow; a query string past 2,048 bytes is refused whole, so a little
# more than that shows the refusal too. The EP CSV parser costs about 0.8 us a byte under the
# fuzzer's instrumentation and reads every row of any input, so 64 KiB inputs ran at 100 a
# second: 4 KiB is a dozen rows, enough for every path of a row.
max_len() {
    case "$1" in
        web_query) echo 4096 ;;
        ep_meetings_csv) echo 4096 ;;
        *) echo 65536 ;;
    esac
}

# The seed files of a target's layout.
seeds() {
    case "$1" in
        register_xml) ls fixtures/register/*.xml* fixtures/hostile/register_*.xml demo/transparency_register/*.xml* ;;
        ec_meetings_xml) ls fixtures/ec_meetings/*.xml fixtures/hostile/commission_meetings.xml ;;
        ec_meetings_xlsx) ls fixtures/ec_meetings/*.xlsx fixtures/hostile/*.xlsx demo/ec_meetings/*.xlsx ;;
        ep_meetings_csv) ls fixtures/ep_meetings/*.csv fixtures/hostile/ep_meetings.csv demo/ep_meetings/*.csv* ;;
        hys_json) ls fixtures/hys/*.json fixtures/hostile/*.json demo/have_your_say/*.json ;;
        web_query) ;;
    esac
}

# Query strings as the site's links and tests write them.
query_seeds=(
    ''
    'page=2'
    'kind=meetings&institution=parliament&year=2021&page=3'
    'kind=responses&institution=commission&year=all'
    'kind=positions&page=10000'
    'kind=all&institution=all&year=1990'
    'start=0&end=10'
    'start=3&end=3'
    'q=European+Digital%20Rights&sort=name&page=1'
    'a=%zz&b=%ff&c=%C3%A9'
    'page=&kind=&page=2&page=3'
)

seed() {
    local target=$1 len dir file out n=0
    len=$(max_len "$target")
    dir=fuzz/corpus/$target
    mkdir -p "$dir"
    while read -r file; do
        [ -n "$file" ] || continue
        out=$dir/seed-$(basename "$file" .gz)
        # The XLSX target takes whole archives only (a cut zip has no directory); a workbook
        # larger than the target's inputs is left out.
        if [ "$target" = ec_meetings_xlsx ]; then
            [ "$(stat -c %s "$file")" -le "$len" ] || continue
            cp "$file" "$out"
        elif [[ $file == *.gz ]]; then
            { gzip -dc "$file" || true; } | head -c "$len" >"$out"
        else
            head -c "$len" "$file" >"$out"
        fi
        n=$((n + 1))
    done < <(seeds "$target" 2>/dev/null || true)
    if [ "$target" = web_query ]; then
        for q in "${query_seeds[@]}"; do
            printf '%s' "$q" >"$dir/seed-query-$n"
            n=$((n + 1))
        done
    fi
    if [ -d "fixtures/fuzz/$target" ]; then
        for file in "fixtures/fuzz/$target"/*; do
            [ "$(basename "$file")" = README.md ] && continue
            [ -f "$file" ] && cp "$file" "$dir/regression-$(basename "$file")" && n=$((n + 1))
        done
    fi
    echo "$n"
}

mkdir -p fuzz/logs
echo "building the fuzz targets (cargo +nightly fuzz build; output in fuzz/logs/build.log)"
if ! cargo +nightly fuzz build >fuzz/logs/build.log 2>&1; then
    tail -30 fuzz/logs/build.log >&2
    exit 2
fi

summary=()
crashed=0
for target in "${targets[@]}"; do
    n=$(seed "$target")
    log=fuzz/logs/$target.log
    echo "== $target: $n seeds, ${stop[*]}, -max_len=$(max_len "$target")"
    status=0
    started=$(date +%s)
    cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        "${stop[@]}" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    wall=$(($(date +%s) - started))
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    if [ "$status" -eq 0 ]; then
        result=ok
    elif grep -q 'libFuzzer: run interrupted' "$log"; then
        crashed=1
        result="interrupted (exit $status)"
    else
        crashed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        result="CRASH (exit $status) ${artifact:-see $log}"
    fi
    line="$target: ${runs:-?} executions in ${secs:-?} s ($wall s with the build), cov ${cov:-?}, ft ${ft:-?}: $result"
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$crashed"
