#!/bin/sh
# The worker service. "selftest" checks the image it runs in.
if [ "$1" = selftest ]; then
  test -f /etc/monorepo/base || { echo "worker: base layer missing" >&2; exit 1; }
  echo "worker ok on $(cat /etc/monorepo/base)"
  exit 0
fi
echo "worker running in $PWD"
