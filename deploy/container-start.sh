#!/bin/sh
# The container's entry point. With LITESTREAM_REPLICA_URL set: restore the
# database from the replica when the volume is empty (a new host after a
# disaster), then serve under Litestream. Without it: serve alone.
set -eu
serve="rapport serve --http 0.0.0.0:8090 --dir $RAPPORT_DATA"
if [ -z "${LITESTREAM_REPLICA_URL:-}" ]; then
  exec $serve
fi
if [ ! -f "$RAPPORT_DATA/data.db" ]; then
  litestream restore -if-replica-exists -o "$RAPPORT_DATA/data.db" "$LITESTREAM_REPLICA_URL"
  # devices reset once and may push past what the restore lost (docs/deploy.md)
  [ -f "$RAPPORT_DATA/data.db" ] && rapport sync mark-restored --dir "$RAPPORT_DATA"
fi
exec litestream replicate -config /opt/rapport/deploy/litestream.yml -exec "$serve"
