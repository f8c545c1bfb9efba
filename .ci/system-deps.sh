#!/usr/bin/env bash
# Installs the system programs valuegrad's demo and tests use, or says how to.
#   system-deps.sh graphviz           Graphviz's `dot`, for drawing (make demo)
#   system-deps.sh graphviz chromium  and headless Chromium, for the player's browser test (make test)
# Under CI=true a missing program is a failure, never a silent skip.
set -euo pipefail

missing=()
for want in "$@"; do
    case "$want" in
        graphviz) command -v dot >/dev/null 2>&1 || missing+=(graphviz) ;;
        chromium) { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } \
                      || missing+=(chromium chromium-driver) ;;
        *) echo "system-deps.sh: unknown component '$want' (expected graphviz or chromium)" >&2; exit 2 ;;
    esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing with apt-get: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
fi

cat >&2 <<MSG
Missing system packages: ${missing[*]}
  Debian/Ubuntu: sudo apt-get install ${missing[*]}
  macOS:         brew install graphviz   (and Chromium, for the player's browser test)
  conda:         conda install graphviz
Drawing needs Graphviz's 'dot'; without it draw_dot still builds the DOT source.
MSG
if [ "${CI:-}" = true ]; then
    exit 1
fi
