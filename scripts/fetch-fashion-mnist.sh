#!/usr/bin/env bash
# Fetch Fashion-MNIST (Zalando, MIT licence) into DIR for `data_dir = "DIR"`.
# On Debian/Ubuntu prefer:  sudo apt-get install dataset-fashion-mnist
# (it installs the same files in /usr/share/datasets/fashion-mnist, genbench's default).
set -euo pipefail
dir=${1:?usage: scripts/fetch-fashion-mnist.sh DIR}
base=${FASHION_MNIST_URL:-http://fashion-mnist.s3-website.eu-central-1.amazonaws.com}
mkdir -p "$dir"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [ -s "$dir/$f" ] || curl -fL --retry 3 -o "$dir/$f" "$base/$f"
done
echo "Fashion-MNIST in $dir: set data_dir = \"$dir\" under [[datasets]] name = \"fashion-mnist\""
