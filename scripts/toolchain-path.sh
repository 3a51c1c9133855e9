#!/usr/bin/env bash
# Prints the PATH under which `cargo lambda` / `sam build` build the functions for ARCH
# (x86_64 or arm64), installing what an arm64 build needs from the package registries:
# rustup's aarch64 standard library where rustup can add it, otherwise Debian's Rust
# (rustc-web with libstd-rust-web-dev:arm64 under multiarch), linked by cargo-lambda's zig.
#   scripts/toolchain-path.sh x86_64|arm64
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH="${1:-x86_64}"
VENV_BIN="$PWD/.venv/bin"
case "$ARCH" in
  x86_64) echo "$VENV_BIN:$PATH"; exit 0 ;;
  arm64) ;;
  *) echo "toolchain-path.sh: ARCH is x86_64 or arm64, not $ARCH" >&2; exit 2 ;;
esac
if rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  echo "$VENV_BIN:$PATH"; exit 0
fi
# Debian's route: its cargo and rustc live in /usr/bin, before rustup's proxies on the PATH.
if [ ! -d /usr/lib/rustlib/aarch64-unknown-linux-gnu/lib ]; then
  command -v apt-get >/dev/null || {
    echo "ARCH=arm64 needs rustup's aarch64-unknown-linux-gnu target or Debian's libstd-rust-web-dev:arm64" >&2; exit 1; }
  echo "installing Debian's Rust with the arm64 standard library (rustc-web, libstd-rust-web-dev:arm64)" >&2
  dpkg --add-architecture arm64
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove rustc-web cargo-web libstd-rust-web-dev:arm64 >&2
fi
# Without rustup on the PATH: cargo-lambda would otherwise run `rustup target add`, a download
# from outside the package registries.
without_rustup=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r dir; do [ -x "$dir/rustup" ] || printf '%s:' "$dir"; done)
echo "$VENV_BIN:/usr/bin:${without_rustup%:}"
