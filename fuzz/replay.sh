#!/bin/bash
# Replays every file of the given folders through a fuzz target's replay
# binary (fuzz/replay.c). usage: replay.sh REPLAY DIR...
set -u
replay=${1:?usage: replay.sh REPLAY DIR...}
shift
files=()
for dir in "$@"; do
    for f in "$dir"/*; do
        [ -f "$f" ] && [ "$(basename "$f")" != README.md ] && files+=("$f")
    done
done
[ ${#files[@]} -eq 0 ] && { echo "no inputs"; exit 0; }
exec "$replay" "${files[@]}"
