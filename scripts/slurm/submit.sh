#!/usr/bin/env bash
# Run a manifest on a Slurm cluster: an array of SHARDS tasks (genbench-shard.sbatch), then one
# `genbench report` job (genbench-report.sbatch) that starts when every task has succeeded.
# Prints the two job ids. Extra arguments go to both sbatch calls (--partition, --account, ...).
#
#   scripts/slurm/submit.sh experiments/quick.toml 8 --partition=cpu
#
# Submit from the repository (or any folder the manifest's output path is relative to); the
# output folder must be on a file system every node sees. Environment: GENBENCH (the binary).
set -euo pipefail

if [ $# -lt 2 ] || ! [ "$2" -ge 1 ] 2>/dev/null; then
  echo "usage: $0 MANIFEST SHARDS [sbatch options...]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
manifest=$1
shards=$2
shift 2

array=$(sbatch --parsable --array="0-$((shards - 1))" "$@" "$here/genbench-shard.sbatch" "$manifest")
array=${array%%;*}
report=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes "$@" \
  "$here/genbench-report.sbatch" "$manifest")
report=${report%%;*}
echo "$array $report"
