#!/usr/bin/env bash
# Rebuild the committed reference results from scratch (release build, every canonical manifest).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
for m in experiments/quick.toml experiments/vae-vs-diffusion.toml; do
  ./target/release/genbench run "$m" --force
done
