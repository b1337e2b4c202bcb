#!/usr/bin/env bash
# The test suite drives two Python tools: moto_server (a local AWS on loopback) and cfn-lint.
# They are preinstalled on the project's machines; anywhere else, install them from the Python registry.
set -euo pipefail

need=()
command -v moto_server >/dev/null 2>&1 || need+=("moto[server]==5.2.1")
command -v cfn-lint >/dev/null 2>&1 || need+=("cfn-lint")
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing missing test tools: ${need[*]}" >&2
# An install that fails (no network, an externally managed Python) falls through to the plain message below.
if command -v pipx >/dev/null 2>&1; then
  for package in "${need[@]}"; do pipx install "$package" || echo "warning: pipx could not install $package" >&2; done
elif command -v python3 >/dev/null 2>&1; then
  python3 -m pip install --user "${need[@]}" || echo "warning: pip could not install ${need[*]}" >&2
fi

for tool in moto_server cfn-lint; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is still missing. Install it with: pipx install \"moto[server]==5.2.1\" cfn-lint" >&2
    exit 1
  fi
done
