#!/usr/bin/env bash
# npm run bench: builds, compiles bench/*.ts and runs each benchmark. Benchmarks print ratios
# against a baseline measured in the same run; none of them asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
bash scripts/n8n.sh install
rm -rf .cache/bench
npx tsc -p tsconfig.bench.json
for file in .cache/bench/bench/*.bench.js; do
	echo
	echo "== ${file#.cache/bench/}"
	node --expose-gc "$file"
done
