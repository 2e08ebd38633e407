#!/usr/bin/env bash
# Install Debian packages the tests and the demo need, when missing and when we can (root with apt-get).
# Usage: apt-install.sh "<what is skipped without them>" package...
# Never fails the build: prints one "!!" line naming what will be skipped instead.
set -u
what="$1"; shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || \
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } && \
    { echo "installed: ${missing[*]}"; exit 0; }
fi
echo "!! not installed: ${missing[*]} ($what will be skipped; as root on Debian: apt-get install ${missing[*]})"
exit 0
