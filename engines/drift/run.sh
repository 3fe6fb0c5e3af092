#!/bin/sh
# perpcheck/1 engine command: engines/drift/run.sh
d=$(dirname "$0")
exec "$d/.venv/bin/python" "$d/adapter.py"
