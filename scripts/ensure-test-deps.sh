#!/usr/bin/env bash
# System packages some tests need (headless Chromium for the report test, pdftoppm for PDF pages).
# Installed only where we may (root with apt-get); elsewhere those tests skip with a message that says why.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (Debian packages) for the browser and PDF tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/dev/null 2>&1 \
    || echo "could not install ${need[*]}: the browser/PDF tests will skip"
else
  echo "${need[*]} missing and not root: the browser/PDF tests will skip"
fi
exit 0
