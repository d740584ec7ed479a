#!/usr/bin/env bash
# Installs everything auditapp needs on a fresh Debian/Ubuntu machine: system libraries and fonts for
# the PDF reports, a virtual environment in .venv with the package and its test tools.
# Safe to run again: it only installs what is missing.
set -euo pipefail

system_packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fontconfig   # WeasyPrint's text layout
  libharfbuzz-subset0                                         # fast font subsetting in WeasyPrint
  fonts-noto-cjk                                              # Chinese glyphs for the reports
  poppler-utils                                               # pdffonts / pdftotext / pdftoppm (tests)
  chromium                                                    # the phone app's browser tests (Playwright)
)
# A fresh machine often runs its unattended upgrades at first boot: wait for that apt to finish
# rather than fail at once on its lock.
APT_LOCK_TIMEOUT=${APT_LOCK_TIMEOUT:-300}
APT_LOCK_POLL=${APT_LOCK_POLL:-5}

# apt-get, waiting up to APT_LOCK_TIMEOUT seconds for another apt or dpkg. DPkg::Lock::Timeout makes
# apt wait for dpkg's lock itself; older apt versions, and `apt-get update` on the package lists'
# lock, fail at once, so a refusal because of a lock is retried until the same deadline.
apt_get() {
  local deadline=$((SECONDS + APT_LOCK_TIMEOUT)) errors
  while true; do
    if errors=$("${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
                apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" "$@" 2>&1 >/dev/null); then
      return 0
    fi
    if [[ $errors == *"Could not get lock"* || $errors == *"Unable to acquire"* ]] && ((SECONDS < deadline)); then
      echo "another apt or dpkg is running; waiting for it to finish..."
      sleep "$APT_LOCK_POLL"
      continue
    fi
    printf '%s\n' "$errors" >&2
    return 1
  done
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  local missing=() pkg
  for pkg in "${system_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    apt_get update -qq
    apt_get install -y -qq --no-install-recommends "${missing[@]}"
  fi

  local python=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  # The report font (GB 2312 + Latin subset of Noto Sans CJK, TrueType outlines) is built once, here.
  .venv/bin/auditapp fonts build
}

sudo_cmd=()
# Sourced (by the tests of apt_get), it only defines the functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
