#!/usr/bin/env bash
# Installs Cadreen the way a newcomer does outside this repository, and checks it works:
# packs the server (`cadreen`, with the SDK bundled) and the SDK, installs both tarballs into an
# empty folder without the network (everything comes from the npm cache that `npm ci` filled),
# runs `cadreen init --json` and `cadreen serve` there, and asks for the dashboard, /livez, /readyz
# and the authenticated health check. Run it after `npm ci` (which builds) or `npm run build`.
#
# Every wait has a deadline; the server is stopped by its PID and the folder removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

INSTALL_TIMEOUT_S="${PACK_CHECK_INSTALL_TIMEOUT_S:-900}" # better-sqlite3 compiles here, once
CLI_TIMEOUT_S=60
START_TIMEOUT_S=60
STOP_TIMEOUT_S=20

started_at=$SECONDS
step() { printf '[pack-install-check] %s\n' "$*"; }
fail() {
  printf '[pack-install-check] FAILED: %s\n' "$*" >&2
  exit 1
}

work="$(mktemp -d "${TMPDIR:-/tmp}/cadreen-pack-check.XXXXXX")"
app="$work/app"
server_pid=""

cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 $((STOP_TIMEOUT_S * 10))); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    for log in "$work/install.log" "$work/serve.log"; do
      if [ -s "$log" ]; then
        printf '[pack-install-check] last lines of %s:\n' "${log##*/}" >&2
        tail -n 40 "$log" >&2
      fi
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# GET url [api key] → prints the status on the first line, then the body. Node's fetch: no curl needed.
http_get() {
  node -e '
    const [url, key] = process.argv.slice(1);
    fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(10_000) })
      .then(async (res) => process.stdout.write(`${res.status}\n${await res.text()}`))
      .catch((error) => { process.stdout.write(`000\n${error.message}`); });
  ' "$@"
}

step "checking the build is there (dist/, dashboard/dist/, packages/sdk/dist/)"
for built in dist/cli/main.js dashboard/dist/index.html packages/sdk/dist/index.js; do
  [ -f "$built" ] || fail "$built is missing: run \`npm run build\` first"
done

step "packing @cadreen/sdk and cadreen into $work/packs"
mkdir -p "$work/packs"
# The build is already there: --ignore-scripts skips the `prepare` rebuild npm pack would run.
sdk_tgz="$work/packs/$(npm pack --ignore-scripts --silent --workspace @cadreen/sdk --pack-destination "$work/packs" | tail -n 1)"
server_tgz="$work/packs/$(npm pack --ignore-scripts --silent --pack-destination "$work/packs" | tail -n 1)"
[ -f "$sdk_tgz" ] && [ -f "$server_tgz" ] || fail "npm pack did not write both tarballs"

step "checking what the server tarball carries (the built dashboard and SDK, no sources or tests)"
tar -tzf "$server_tgz" >"$work/contents.txt"
for wanted in package/dist/cli/main.js package/dashboard/dist/index.html package/node_modules/@cadreen/sdk/dist/index.js; do
  grep -qx "$wanted" "$work/contents.txt" || fail "$(basename "$server_tgz") lacks $wanted"
done
if grep -E '^package/(src|test|bench|dashboard/src|packages|sdks)/|^package/dist/.*\.map$|^package/tsconfig' "$work/contents.txt" >"$work/unwanted.txt"; then
  fail "$(basename "$server_tgz") carries files that are not for installs: $(head -n 5 "$work/unwanted.txt" | tr '\n' ' ')"
fi

step "preparing an empty folder $app (versions locked as in package-lock.json)"
mkdir -p "$app"
# Installing needs the dependencies' versions: a lock file made of package-lock.json's production
# entries gives them, so npm reads only the cache (without one it asks for full metadata, which
# `npm ci` does not keep). better-sqlite3 may build (it is the only native dependency).
node -e '
  const fs = require("node:fs");
  const [repoLock, appDir, serverTgz] = process.argv.slice(1);
  const lock = JSON.parse(fs.readFileSync(repoLock, "utf8"));
  const packages = { "": { name: "cadreen-install-check" } };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith("node_modules/") && !entry.dev && !entry.link) packages[path] = entry;
  }
  // better-sqlite3 builds its driver; the prepare script of cadreen (a build, for clones) never runs for a tarball.
  const allowScripts = { "better-sqlite3": true, [`file:${serverTgz}`]: false };
  const manifest = { name: "cadreen-install-check", private: true, allowScripts };
  fs.writeFileSync(`${appDir}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(`${appDir}/package-lock.json`, JSON.stringify({ name: manifest.name, lockfileVersion: 3, requires: true, packages }, null, 2) + "\n");
' "$repo/package-lock.json" "$app" "$server_tgz"
# No prebuilt binary download: better-sqlite3 builds from source with the machine's Node headers.
printf 'buildFromSource=true\n' >"$app/.prebuild-installrc"
node_headers="$(dirname "$(dirname "$(command -v node)")")"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_headers/include/node/node.h" ]; then
  export npm_config_nodedir="$node_headers"
fi

step "installing both tarballs offline (better-sqlite3 compiles: about a minute)"
install_started=$SECONDS
(
  cd "$app"
  JOBS=max timeout "$INSTALL_TIMEOUT_S" npm install --offline --no-audit --no-fund --foreground-scripts=false \
    "$sdk_tgz" "$server_tgz"
) >"$work/install.log" 2>&1 || fail "npm install --offline failed or took over ${INSTALL_TIMEOUT_S}s"
step "installed in $((SECONDS - install_started))s: $(grep -E '^added [0-9]+ packages' "$work/install.log" || echo 'done')"
if grep -qi '^npm warn' "$work/install.log"; then
  step "npm warned while installing:"
  grep -i '^npm warn' "$work/install.log"
fi
[ -x "$app/node_modules/.bin/cadreen" ] || fail "the cadreen command was not installed"
[ -f "$app/node_modules/cadreen/node_modules/@cadreen/sdk/dist/index.js" ] || fail "the SDK bundled with cadreen is missing"

export CADREEN_DATABASE_URL="sqlite:$app/data/cadreen.db"
export CADREEN_LOG_LEVEL=info
unset CADREEN_PORT CADREEN_HOST CADREEN_PUBLIC_URL CADREEN_REDIS_URL CADREEN_ADMIN_TOKEN CADREEN_API_KEY CADREEN_BASE_URL

step "running \`cadreen init --json\` (SQLite in $app/data)"
cd "$app"
timeout "$CLI_TIMEOUT_S" npx --offline --no cadreen init --json --email newcomer@example.com >"$work/init.json" ||
  fail "cadreen init --json failed"
read -r workspace_id api_key < <(node -e '
  const out = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(out.workspace_id, out.key.plaintext);
' "$work/init.json") || fail "cadreen init --json printed no workspace_id and key"
[ -f "$app/data/cadreen.db" ] || fail "init did not create $app/data/cadreen.db"

step "starting \`cadreen serve\` on a free loopback port"
# Port 0: the system picks a free port and the server says which in its `cadreen listening` line.
node_modules/.bin/cadreen serve --host 127.0.0.1 --port 0 >"$work/serve.log" 2>&1 &
server_pid=$!
base_url=""
deadline=$((SECONDS + START_TIMEOUT_S))
while [ -z "$base_url" ]; do
  kill -0 "$server_pid" 2>/dev/null || fail "cadreen serve exited before listening"
  [ "$SECONDS" -lt "$deadline" ] || fail "cadreen serve did not listen within ${START_TIMEOUT_S}s"
  base_url="$(node -e '
    for (const line of require("node:fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      try { const entry = JSON.parse(line); if (entry.msg === "cadreen listening") { console.log(entry.url); break; } } catch {}
    }
  ' "$work/serve.log")"
  [ -n "$base_url" ] || sleep 0.2
done
step "serving at $base_url (PID $server_pid); waiting for /readyz"
while :; do
  [ "$(http_get "$base_url/readyz" | head -n 1)" = 200 ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "cadreen serve exited before it was ready"
  [ "$SECONDS" -lt "$deadline" ] || fail "/readyz did not answer 200 within ${START_TIMEOUT_S}s"
  sleep 0.2
done

# expect_200 path [api key]: the body is left in $work/body.
expect_200() {
  http_get "$base_url$1" "${2:-}" >"$work/response"
  local status
  status="$(head -n 1 "$work/response")"
  tail -n +2 "$work/response" >"$work/body"
  [ "$status" = 200 ] || fail "GET $1 answered $status: $(head -c 300 "$work/body")"
}

step "GET /livez and /readyz"
expect_200 /livez
expect_200 /readyz

step "GET /dashboard: the built page, not the 'not built' answer"
expect_200 /dashboard
grep -qi '<!doctype html>' "$work/body" || fail "/dashboard is not an HTML page: $(head -c 300 "$work/body")"
asset="$(grep -oE '/dashboard/assets/[^"]+\.js' "$work/body" | head -n 1)" || true
[ -n "$asset" ] || fail "/dashboard names no script under /dashboard/assets/"
expect_200 "$asset"

step "GET /api/v1/cadreen/health with the key init printed"
expect_200 /api/v1/cadreen/health "$api_key"
node -e '
  const body = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  if (body.status !== "ok" || body.workspace_id !== process.argv[2]) {
    console.error(`unexpected health answer: ${JSON.stringify(body)}`);
    process.exit(1);
  }
' "$work/body" "$workspace_id" || fail "the health check did not name init's workspace"

step "stopping the server (SIGTERM to PID $server_pid)"
kill -TERM "$server_pid"
for _ in $(seq 1 $((STOP_TIMEOUT_S * 10))); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "cadreen serve did not stop within ${STOP_TIMEOUT_S}s of SIGTERM"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
[ "$server_status" -eq 0 ] || fail "cadreen serve exited $server_status on SIGTERM"

step "passed in $((SECONDS - started_at))s; removing $work"
