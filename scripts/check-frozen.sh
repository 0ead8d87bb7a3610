#!/usr/bin/env bash
# Released upgrade scripts are never edited: every sql/fitflow--A--B.sql listed in
# sql/released.sha256 must still have the recorded checksum, and every upgrade script of a
# released version must be listed. Add a line (sha256sum sql/fitflow--A--B.sql) when releasing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
if [ -s sql/released.sha256 ]; then
    sha256sum --check --quiet sql/released.sha256 || { echo "a released upgrade script was edited" >&2; status=1; }
fi
for f in sql/fitflow--*--*.sql; do
    [ -e "$f" ] || continue
    grep -q " $f\$" sql/released.sha256 2>/dev/null || echo "note: $f is not released yet (add it to sql/released.sha256 when it ships)"
done
[ "$status" -eq 0 ] && echo "frozen upgrade scripts: ok ($(grep -c . sql/released.sha256 || true) released)"
exit "$status"
