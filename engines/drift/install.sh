#!/bin/sh
# Installs this adapter's engine into ./.venv from requirements.lock only (pinned, hashed); idempotent.
set -eu
d=$(cd "$(dirname "$0")" && pwd)
[ -x "$d/.venv/bin/python" ] || python3 -m venv "$d/.venv"
"$d/.venv/bin/pip" install -q --disable-pip-version-check --require-hashes --no-deps -r "$d/requirements.lock"
