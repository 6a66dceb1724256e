#!/usr/bin/env bash
# Installs the Debian packages ussd-otp needs, only those missing (sourced by scripts/run and scripts/test).
set -euo pipefail

USSD_OTP_PACKAGES=(
  build-essential cmake pkg-config
  libpistache-dev libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev catch2
  libsodium-dev libcli11-dev libcurl4-openssl-dev libssl-dev libreadline-dev
  curl sqlite3 wrk tmux clang-format
)

ussd_otp_install_deps() {
  local missing=()
  for pkg in "${USSD_OTP_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ussd_otp_build() {
  local build_dir="$1"
  cmake -S "$USSD_OTP_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" -j "$(nproc)"
}

# The sanitizer build: -O1 keeps the tests' timing close to real while ASan stays precise; -g1
# gives reports file:line without full debug information.
ussd_otp_build_sanitized() {
  local build_dir="$1"
  cmake -S "$USSD_OTP_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DUSSD_OTP_SANITIZE=ON >/dev/null
  cmake --build "$build_dir" -j "$(nproc)"
}
