#!/usr/bin/env bash
# Measures orch print and orch plan on generated definition files (package
# internal/benchgen): the monorepo shape (one file: inherits, functions,
# target: links, two platforms, a default group naming every target) and
# the matrix shape (20 files of matrix blocks), at 1k, 10k and 50k
# targets. Prints wall and CPU seconds and peak RSS of the real binary
# (/usr/bin/time), then runs the Go benchmarks of the same inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/orch" ./cmd/orch
go build -o "$work/genbake" ./internal/benchgen/genbake
printf '%-9s %6s %-5s %8s %8s %8s %8s\n' shape targets cmd wall-s user-s sys-s rss-MB
for shape in monorepo matrix; do
  for n in 1000 10000 50000; do
    dir="$work/$shape-$n"
    args=$("$work/genbake" -shape "$shape" -n "$n" "$dir")
    for cmd in print plan; do
      # shellcheck disable=SC2086 # args holds several -f flags
      (cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$work/orch" $cmd $args >/dev/null)
      read -r wall user sys rss <"$work/time"
      printf '%-9s %6d %-5s %8s %8s %8s %8d\n' "$shape" "$n" "$cmd" "$wall" "$user" "$sys" $((rss / 1024))
    done
  done
done
go test -run '^$' -bench 'BenchmarkPrint$' -benchmem ./config/
go test -run '^$' -bench 'BenchmarkPlanFile$' -benchmem ./graph/
