#!/bin/sh
# Runs the Dockerfile's install step and the API's test suite in a fresh Debian 12 chroot,
# for machines without a container engine. Needs root and mmdebstrap.
#
#   docker/test-in-chroot.sh [chroot dir]     (default /tmp/bookme-api-chroot; reused when present)
#
# The chroot gets the host's deb822 Debian source (like debian:bookworm-slim has), the same
# install-packages.sh as the image (profile "development": runtime + redis-server), the app in
# /app owned by root, and the tests run as uid/gid 10001 like the production image's user.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
root="${1:-/tmp/bookme-api-chroot}"

[ "$(id -u)" = 0 ] || { echo "test-in-chroot.sh: run as root (chroot and mount need it)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "test-in-chroot.sh: mmdebstrap not found; apt-get install mmdebstrap" >&2; exit 1; }
[ -f /etc/apt/sources.list.d/debian.sources ] || { echo "test-in-chroot.sh: host has no /etc/apt/sources.list.d/debian.sources to copy" >&2; exit 1; }

if [ ! -x "$root/usr/bin/apt-get" ]; then
  mmdebstrap --variant=apt bookworm "$root"
  rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
fi

cleanup() {
  umount "$root/dev/shm" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"

cp "$here/docker/install-packages.sh" "$root/usr/local/sbin/install-packages"
chroot "$root" install-packages development
chroot "$root" sh -c 'getent group app >/dev/null || groupadd --gid 10001 app;
  id app >/dev/null 2>&1 || useradd --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app'

rm -rf "$root/app" && mkdir -p "$root/app"
(cd "$here" && tar --exclude=__pycache__ --exclude='*.pyc' --exclude='*.sqlite3' --exclude=staticfiles \
  --exclude=media -cf - .) | tar -C "$root/app" -xf -

chroot --userspec=app:app "$root" env -i PATH=/usr/bin:/bin HOME=/app PYTHONDONTWRITEBYTECODE=1 \
  sh -c 'cd /app && python3 manage.py test'
