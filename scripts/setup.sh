#!/usr/bin/env bash
# Installs everything auditapp needs on a fresh Debian/Ubuntu machine: system libraries and fonts for
# the PDF reports, a virtual environment in .venv with the package and its test tools.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

system_packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fontconfig   # WeasyPrint's text layout
  libharfbuzz-subset0                                         # fast font subsetting in WeasyPrint
  fonts-noto-cjk                                              # Chinese glyphs for the reports
  poppler-utils                                               # pdffonts / pdftotext / pdftoppm (tests)
)
missing=()
for pkg in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# The report font (GB 2312 + Latin subset of Noto Sans CJK, TrueType outlines) is built once, here.
.venv/bin/auditapp fonts build
