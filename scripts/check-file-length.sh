#!/usr/bin/env bash
# Library files stay under 200 non-blank lines (DESIGN.md rule 6). A trailing #[cfg(test)]
# module does not count; tests/, benches/ and examples/ are exempt.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=200
long=$(find src -name '*.rs' -print0 | xargs -0 awk -v limit="$limit" '
  FNR == 1 { if (prev && n > limit) print prev ": " n " lines"; prev = FILENAME; n = 0; intest = 0 }
  /^#\[cfg\(test\)\]/ { intest = 1 }
  !intest && NF { n++ }
  END { if (prev && n > limit) print prev ": " n " lines" }')
if [ -n "$long" ]; then
  echo "library files over $limit non-blank lines (split them by purpose):"
  echo "$long"
  exit 1
fi
echo "file length check: every library file is under $limit lines"
