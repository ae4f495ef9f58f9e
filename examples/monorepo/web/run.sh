#!/bin/sh
# The web service. "selftest" checks the image it runs in.
if [ "$1" = selftest ]; then
  test -f /etc/monorepo/base || { echo "web: base layer missing" >&2; exit 1; }
  echo "web ok on $(cat /etc/monorepo/base)"
  exit 0
fi
echo "web running in $PWD"
