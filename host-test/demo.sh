#!/usr/bin/env bash
# Runs the operations of the s3-connector component through the CLI,
# against an S3 server that the CLI embeds (`--local DIR`: s3s-fs on
# 127.0.0.1, SigV4 signatures verified, each bucket a directory under DIR).
# Every call starts its own server on the same directory, so objects persist
# from one call to the next. Run it with `make demo` (which builds first).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="${S3_CONNECTOR:-$ROOT/target/release/s3-connector}"
export S3_CONNECTOR_WASM="${S3_CONNECTOR_WASM:-$ROOT/target/wasm32-wasip2/component/s3_connector.wasm}"

for needed in "$CLI" "$S3_CONNECTOR_WASM"; do
    if [[ ! -f "$needed" ]]; then
        echo "missing $needed: run \`make build\` first" >&2
        exit 1
    fi
done

WORK="$(mktemp -d)"
DATA="$WORK/s3-data"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

LOCAL=(--local "$DATA" --create-bucket demo-bucket --pretty)
STEP=0

# title, operation, input JSON, extra CLI arguments...
step() {
    local title="$1" op="$2" input="$3"
    shift 3
    STEP=$((STEP + 1))
    printf '\n== %d. %s ==\n' "$STEP" "$title"
    printf "\$ s3-connector --local %s --create-bucket demo-bucket %s --input '%s'" "$DATA" "$op" "$input"
    if (($#)); then printf ' %s' "$@"; fi
    printf '\n'
    "$CLI" "${LOCAL[@]}" "$op" --input "$input" "$@"
}

printf 'A file to upload.\nIt has two lines.\n' > "$WORK/notes.txt"

step "Put Object (Text)" put-object-text \
    '{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt", "content": "Hello from a WebAssembly component!", "metadata": {"author": "demo"}}'

step "Put Object (File)" put-object-file \
    '{"bucket_name": "demo-bucket", "object_path": "docs/notes.txt", "mime_type": "text/plain"}' \
    --file "$WORK/notes.txt"

step "List Bucket Objects" list-objects '{"bucket_name": "demo-bucket"}'

step "Head Object" head-object '{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt"}'

step "Get Object" get-object '{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt"}'

step "Get Object (to a file)" get-object '{"bucket_name": "demo-bucket", "object_path": "docs/notes.txt"}' \
    --output "$WORK/downloaded.txt"
cmp "$WORK/notes.txt" "$WORK/downloaded.txt"
echo "(downloaded.txt is byte for byte the file uploaded)"

# The URL points at the embedded server, so that call keeps it running for a
# while (--keep-serving) and the URL is fetched with curl meanwhile.
STEP=$((STEP + 1))
SIGNED_INPUT='{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt", "expires_seconds": 300}'
printf '\n== %d. Get Object'"'"'s Signed URL ==\n' "$STEP"
printf "\$ s3-connector --local %s --create-bucket demo-bucket --keep-serving 30 get-object-signed-url --input '%s'\n" "$DATA" "$SIGNED_INPUT"
"$CLI" "${LOCAL[@]}" --keep-serving 30 get-object-signed-url --input "$SIGNED_INPUT" \
    > "$WORK/signed.json" 2> "$WORK/serving.txt" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q '"url"' "$WORK/signed.json" 2>/dev/null && break
    sleep 0.1
done
cat "$WORK/signed.json"
URL="$(sed -n 's/^ *"url": "\(.*\)",\{0,1\}$/\1/p' "$WORK/signed.json")"
if command -v curl >/dev/null; then
    printf '$ curl --silent --show-error --fail "<the url>"\n'
    curl --silent --show-error --fail "$URL"
    printf '\n'
else
    echo "(curl is not installed: the URL was not fetched)"
fi
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

step "Get bucket location" get-bucket-location '{"bucket_name": "demo-bucket"}'

step "Test connection" test-connection '{"bucket_name": "demo-bucket"}'

# Create only if absent: a second write of the same key is refused.
step "Put Object (Text), create only" put-object-text \
    '{"bucket_name": "demo-bucket", "object_path": "once/created.txt", "content": "first", "if_none_match": "*"}'
set +e
step "Put Object (Text), create only, again" put-object-text \
    '{"bucket_name": "demo-bucket", "object_path": "once/created.txt", "content": "second", "if_none_match": "*"}'
status=$?
set -e
echo "(exit code $status: precondition-failed, the object keeps its first content)"

step "Presign POST (a browser upload form)" presign-post \
    '{"bucket_name": "demo-bucket", "key_prefix": "uploads/", "expires_seconds": 600, "content_type_prefix": "image/", "max_size": 1048576}'

step "Create Folder" create-folder '{"bucket_name": "demo-bucket", "folder_path": "reports/2026"}'
step "Put Object (Text), in the folder" put-object-text \
    '{"bucket_name": "demo-bucket", "object_path": "reports/2026/q1.csv", "content": "quarter,total\\nq1,42"}'
step "List Folders" list-folders '{"bucket_name": "demo-bucket", "parent": "reports"}'
step "Delete Folder" delete-folder '{"bucket_name": "demo-bucket", "folder_path": "reports"}'

# The embedded server keeps canned ACLs in memory, for the life of the one
# call that sets them: the connector has no operation that reads an ACL back.
step "Put Object ACL" put-object-acl \
    '{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt", "acl": "public-read"}'

step "Delete Object" delete-object '{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt"}'

set +e
step "Head Object (deleted)" head-object '{"bucket_name": "demo-bucket", "object_path": "greetings/hello.txt"}'
status=$?
set -e
echo "(exit code $status: the key is gone)"

# A file larger than one PUT: sent as a multipart upload of 5 MiB parts,
# read from the file as it goes (never whole in memory), and read back into
# a temporary file that becomes the output only once complete.
head -c $((21 * 1024 * 1024 + 123)) /dev/urandom > "$WORK/large.bin"
step "Put Object (File), multipart" put-object-file \
    '{"bucket_name": "demo-bucket", "object_path": "large/large.bin", "part_size": 5242880, "multipart_threshold": 5242880}' \
    --file "$WORK/large.bin" --stats
step "Get Object (large, to a file)" get-object '{"bucket_name": "demo-bucket", "object_path": "large/large.bin"}' \
    --output "$WORK/large-copy.bin" --stats
cmp "$WORK/large.bin" "$WORK/large-copy.bin"
echo "(large-copy.bin is byte for byte the 21 MiB file uploaded in parts; the stats line shows the component's memory)"

step "List Multipart Uploads (none left over)" list-multipart-uploads '{"bucket_name": "demo-bucket"}'

set +e
step "Abort Multipart Upload (of an id that does not exist)" abort-multipart-upload \
    '{"bucket_name": "demo-bucket", "object_path": "large/large.bin", "upload_id": "no-such-upload"}'
status=$?
set -e
echo "(exit code $status: there was no such upload to abort)"

step "Delete Object (large)" delete-object '{"bucket_name": "demo-bucket", "object_path": "large/large.bin"}'

step "Delete Multiple Objects" delete-objects \
    '{"bucket_name": "demo-bucket", "object_keys": [{"key": "docs/notes.txt"}, {"key": "never/existed.txt"}]}'

step "List Bucket Objects (now empty)" list-objects '{"bucket_name": "demo-bucket"}'

step "Create Bucket" create-bucket '{"bucket_name": "demo-archive"}'
step "Head Bucket" head-bucket '{"bucket_name": "demo-archive"}'
step "Put Object (Text), to copy" put-object-text \
    '{"bucket_name": "demo-bucket", "object_path": "drafts/plan v1.txt", "content": "the plan", "metadata": {"stage": "draft"}}'
step "Copy Object (across buckets, metadata replaced)" copy-object \
    '{"source_bucket_name": "demo-bucket", "source_object_path": "drafts/plan v1.txt", "bucket_name": "demo-archive", "object_path": "final/plan.txt", "metadata_directive": "REPLACE", "mime_type": "text/plain", "metadata": {"stage": "final"}}'
step "Head Object (the copy)" head-object '{"bucket_name": "demo-archive", "object_path": "final/plan.txt"}'
set +e
step "Delete Bucket (not empty)" delete-bucket '{"bucket_name": "demo-archive"}'
status=$?
set -e
echo "(exit code $status: bucket-not-empty; nothing was deleted)"
step "Delete Bucket (force: emptied first)" delete-bucket '{"bucket_name": "demo-archive", "force": true}'

step "List Buckets" list-buckets '{}'

step "List buckets DDL" list-buckets-ddl '{}'

printf '\nEvery operation the embedded server supports ran (tagging and versions need moto or S3:\n'
printf 'see host-test/tests/tagging.rs and buckets.rs). The data directory was %s (removed now).\n' "$DATA"
