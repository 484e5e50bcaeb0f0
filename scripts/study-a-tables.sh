#!/usr/bin/env bash
# Regenerates the results tables of docs/study-a.md from runs of the figure commands.
#
#   scripts/study-a-tables.sh [--bin ATTNSPEC] [--from DIR] [NAME[:ARGS] ...]
#
# Each NAME (fig1 .. fig8b; train_softmax / train_infinite / train_linear for `pca train`; fit for `pca fit` on the
# digits) is run with the given extra ARGS (comma-separated, e.g. fig7a:--seeds,2) and the table it writes
# (<name>_table.md) replaces the block
# between "<!-- table:NAME -->" and "<!-- /table:NAME -->" in docs/study-a.md. With --from DIR no command is run and
# the tables are read from DIR/pca and DIR/icl (an earlier --out). Without NAMEs: the cheap figures
# (fig3b fig4b fig6b fig7b fig8b); fig3b, fig4b and fig7b are also regenerated and compared by
# tests/AttentionSpectra.Tests/PcaAlignment/PcaFitAndExportTests.cs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="dotnet run --project $root/src/AttentionSpectra.Cli -c Release --"
from=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    *) break ;;
  esac
done
names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=(fig3b fig4b fig6b fig7b fig8b)
out="${from:-$(mktemp -d)}"
doc="$root/docs/study-a.md"
for spec in "${names[@]}"; do
  name="${spec%%:*}"; args=""; [[ "$spec" == *:* ]] && args="${spec#*:}"; args="${args//,/ }"
  case "$name" in
    fig2|fig7a|fig7b|fig8a|fig8b) study=icl; cmd="icl figure $name" ;;
    train_*) study=pca; cmd="pca train --head ${name#train_}" ;;
    fit) study=pca; cmd="pca fit --data digits --scaling standardize --rank 3 --surrogate" ;;
    *) study=pca; cmd="pca figure $name" ;;
  esac
  if [[ -z "$from" ]]; then
    # shellcheck disable=SC2086
    $bin $cmd $args --out "$out" --quiet
  fi
  table="$out/$study/${name}_table.md"
  [[ -f "$table" ]] || { echo "no table $table" >&2; exit 1; }
  grep -q "<!-- table:$name -->" "$doc" || { echo "docs/study-a.md has no block for $name" >&2; exit 1; }
  awk -v name="$name" -v file="$table" '
    $0 == "<!-- table:" name " -->" { print; while ((getline line < file) > 0) print line; skip = 1; next }
    $0 == "<!-- /table:" name " -->" { skip = 0 }
    !skip { print }' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "updated $name from $table"
done
