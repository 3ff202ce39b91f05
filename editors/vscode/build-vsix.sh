#!/usr/bin/env bash
# Packages the VS Code extension as a .vsix with @vscode/vsce, its runtime dependency
# (vscode-languageclient) installed by npm from package-lock.json.
#
# Usage: editors/vscode/build-vsix.sh [OUT.vsix]   (default: editors/vscode/dist/infrac-VERSION.vsix)
# Prints the path of the .vsix. Needs node >= 20 and npm (and the npm registry, or its cache).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
vsce_version=3.9.2
version=$(node -p 'require("./package.json").version')
out=${1:-$here/dist/infrac-$version.vsix}
mkdir -p "$(dirname "$out")"

# Install the locked dependencies unless they are there already.
wanted=$(node -p 'require("./package-lock.json").packages["node_modules/vscode-languageclient"].version' 2>/dev/null || true)
have=$(node -p 'require("./node_modules/vscode-languageclient/package.json").version' 2>/dev/null || true)
if [ -z "$wanted" ]; then
  npm install --omit=dev --no-audit --no-fund --no-update-notifier --loglevel=error >&2
elif [ "$wanted" != "$have" ]; then
  npm ci --omit=dev --no-audit --no-fund --no-update-notifier --loglevel=error >&2
fi

npx --yes "@vscode/vsce@$vsce_version" package --out "$out" >&2
echo "$out"
