#!/bin/sh
# Installs the API's Python dependencies from Debian's archive (the Python package
# index is not reachable where these images are built). Used by the Dockerfile and by
# anyone who wants the same set on a Debian 12 host or chroot.
#
#   install-packages.sh runtime       what the production image needs
#   install-packages.sh development   runtime + tools for local work (redis-server for tests)
#
# Django comes from bookworm-backports (4.2 LTS): bookworm's own Django 3.2 has no
# built-in Redis cache backend and is past upstream support. Everything else is
# bookworm's. The backports suite is added to the image's existing deb822 source
# (debian.sources), so no archive host name is written here. libjs-jquery is needed
# because Debian's Django links the admin's jQuery to it (collectstatic fails without).
set -eu

profile="${1:-runtime}"

runtime_packages="
python3-django/bookworm-backports
python3-django-channels
python3-daphne
daphne
python3-celery
celery
python3-redis
python3-psycopg2
python3-boto3
python3-django-storages
python3-django-storages-boto3
python3-django-cors-headers
libjs-jquery
"
development_packages="
redis-server
"

case "$profile" in
  runtime) packages="$runtime_packages" ;;
  development) packages="$runtime_packages $development_packages" ;;
  *) echo "install-packages.sh: unknown profile '$profile'; use runtime or development" >&2; exit 2 ;;
esac

# Add bookworm-backports next to the image's own bookworm source (deb822 in the official image,
# a one-line sources.list in minimal bookworm builds), reusing the image's own archive URI.
sources=/etc/apt/sources.list.d/debian.sources
list=/etc/apt/sources.list
if [ -f "$sources" ] && grep -q '^Suites:.*bookworm-backports' "$sources"; then
  :
elif [ -f "$list" ] && grep -q 'bookworm-backports' "$list"; then
  :
elif [ -f "$sources" ] && grep -q '^Suites: bookworm bookworm-updates$' "$sources"; then
  sed -i 's/^Suites: bookworm bookworm-updates$/Suites: bookworm bookworm-updates bookworm-backports/' "$sources"
elif [ -f "$list" ] && grep -qE '^deb [^ ]+ bookworm main' "$list"; then
  grep -E '^deb [^ ]+ bookworm main' "$list" | head -n 1 | sed 's/ bookworm main.*/ bookworm-backports main/' >> "$list"
else
  echo "install-packages.sh: no bookworm apt source found (neither $sources nor $list); is this debian:bookworm(-slim)?" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # the package list is meant to split on whitespace
apt-get install -y --no-install-recommends $packages
apt-get clean
rm -rf /var/lib/apt/lists/*
