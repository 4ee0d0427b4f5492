#!/bin/sh
# Shrinks a production node_modules inside an image: the native packages ship prebuilt binaries for
# every OS and CPU (onnxruntime-node alone carries ~290 MB for five platforms); an image runs on one.
# Keeps only linux/<this CPU> (glibc). Usage: prune-node-modules.sh <node_modules dir>
set -eu
nm=${1:?usage: prune-node-modules.sh <node_modules dir>}
arch=$(node -p process.arch)
keep_only_linux_arch() { # $1 = a folder holding <os>/<arch>/ subfolders
  [ -d "$1" ] || return 0
  for os_dir in "$1"/*/; do
    os=$(basename "$os_dir")
    if [ "$os" != linux ]; then rm -rf "$os_dir"; continue; fi
    for arch_dir in "$os_dir"*/; do
      [ "$(basename "$arch_dir")" = "$arch" ] || rm -rf "$arch_dir"
    done
  done
}
for napi in "$nm"/onnxruntime-node/bin/napi-v*; do keep_only_linux_arch "$napi"; done
keep_only_linux_arch "$nm/zeromq/build"
# this image is glibc (Debian): the musl builds of zeromq cannot load here
if ! ls /lib/ld-musl-* >/dev/null 2>&1; then rm -rf "$nm"/zeromq/build/linux/*/node/musl-*; fi
# sharp falls back to its WebAssembly build only when no native one fits; here the native one does
if [ -d "$nm/@img/sharp-linux-$arch" ]; then rm -rf "$nm/@img/sharp-wasm32"; fi
# C++ sources and headers of the native addons are not needed once the prebuilt binary is in place
rm -rf "$nm/zeromq/src" "$nm/node-addon-api"
find "$nm" -type f \( -name '*.map' -o -name '*.md' -o -name '*.markdown' \) ! -name 'LICENSE*' -delete
echo "prune-node-modules: kept linux/$arch binaries; node_modules is now $(du -sh "$nm" | cut -f1)"
