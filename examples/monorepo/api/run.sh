#!/bin/sh
# The api service. "selftest" checks the image it runs in.
if [ "$1" = selftest ]; then
  test -f /etc/monorepo/base || { echo "api: base layer missing" >&2; exit 1; }
  echo "api ok on $(cat /etc/monorepo/base)"
  exit 0
fi
echo "api running in $PWD"
