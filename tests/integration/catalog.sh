#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every MESSAGE_ID balloond logs (include/balloond/daemon/log.h) has an
# entry in the journal catalog, so that `journalctl -x` explains it; and the
# catalog has no entry for an ID balloond does not log.
set -u
src=${1:?usage: catalog.sh SOURCE_DIR}
ids=$(grep -o '"[0-9a-f]\{32\}"' "$src/include/balloond/daemon/log.h" | tr -d '"' | sort)
entries=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$src/systemd/balloond.catalog" | sort)
bad=0
[ -n "$ids" ] || { echo "no MESSAGE_ID found in log.h"; exit 1; }
for id in $ids; do
        grep -qx "$id" <<< "$entries" || { echo "no catalog entry for $(grep "$id" "$src/include/balloond/daemon/log.h")"; bad=1; }
done
for id in $entries; do
        grep -qx "$id" <<< "$ids" || { echo "catalog entry $id is for no MESSAGE_ID in log.h"; bad=1; }
done
[ "$(uniq -d <<< "$entries")" = "" ] || { echo "catalog entries twice: $(uniq -d <<< "$entries")"; bad=1; }
echo "$(wc -l <<< "$ids") message IDs, $(wc -l <<< "$entries") catalog entries"
exit $bad
