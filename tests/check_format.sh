#!/bin/bash
# The C sources follow .clang-format: prints the files that do not and
# fails. usage: check_format.sh SOURCE_ROOT
set -u
root=${1:?usage: check_format.sh SOURCE_ROOT}
cd "$root" || exit 1
command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 1; }
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*'); do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (clang-format -i $f)"
        bad=$((bad + 1))
    fi
done
if [ "$bad" -eq 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
[ "$bad" -eq 0 ]
