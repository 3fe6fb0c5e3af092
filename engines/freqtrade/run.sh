#!/bin/sh
# perpcheck/1 engine command: engines/freqtrade/run.sh [binance|bybit]
d=$(dirname "$0")
exec "$d/.venv/bin/python" "$d/adapter.py" "${1:-binance}"
