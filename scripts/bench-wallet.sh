#!/usr/bin/env bash
# Wallet benchmark: `passerelle-wallet list` (and `list --json`, `show`) on a wallet holding
# 10,000 credentials, with the default Argon2id cost (19 MiB, 2 passes) paid once per command.
#
#   scripts/bench-wallet.sh [COUNT]        (needs hyperfine: apt install hyperfine)
#
# Builds the release binary and the fill_wallet example, fills a fresh wallet in a temporary
# directory, then times the commands with hyperfine. Results go to BENCHMARKS.md, "Wallet".
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10000}"
command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt install hyperfine" >&2; exit 2; }
cargo build --release --locked -p passerelle-wallet --bin passerelle-wallet --example fill_wallet
target="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PASSERELLE_WALLET_PASSPHRASE="benchmark passphrase 1"
"$target/examples/fill_wallet" "$work/wallet" "$count"
echo "wallet: $(find "$work/wallet" -type f | wc -l) files, $(du -sh "$work/wallet" | cut -f1)"
wallet="$target/passerelle-wallet --wallet $work/wallet"
hyperfine --warmup 2 --runs 20 --export-markdown "$work/results.md" \
  -n "list ($count credentials)" "$wallet list" \
  -n "list --json ($count credentials)" "$wallet list --json" \
  -n "show $((count / 2)) --json" "$wallet show $((count / 2)) --json"
cat "$work/results.md"
