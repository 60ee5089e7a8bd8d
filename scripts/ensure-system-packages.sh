#!/usr/bin/env bash
# Install the Debian packages Outreach needs when they are missing and we are root.
#   runtime: Pango for PDF exports (WeasyPrint)
#   browser: Chromium for the browser tests (never Playwright's own browser download)
#   pdf: poppler-utils, whose pdftotext reads the report PDF back as printed (the tests)
# Without root it only says what is missing.
set -euo pipefail
want=()
for group in "$@"; do
  case "$group" in
    runtime)
      dpkg -s libpango-1.0-0 >/dev/null 2>&1 || want+=(libpango-1.0-0)
      dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || want+=(libpangoft2-1.0-0)
      dpkg -s fonts-dejavu-core >/dev/null 2>&1 || want+=(fonts-dejavu-core)
      ;;
    browser)
      [ -x /usr/bin/chromium ] || want+=(chromium)
      ;;
    pdf)
      command -v pdftotext >/dev/null 2>&1 || want+=(poppler-utils)
      ;;
    *) echo "unknown group $group (use runtime, browser, pdf)" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${want[*]} (install them with your package manager)." >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${want[*]} — run: sudo apt-get install ${want[*]}" >&2
  exit 0
fi
echo "Installing Debian packages: ${want[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
