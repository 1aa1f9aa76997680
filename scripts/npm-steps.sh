# Shared by the scripts that need npm packages (sourced; `root` must be the repository root):
#   ci_when_stale DIR MARKER   npm ci in DIR from its lock file, only when node_modules is
#                              missing, lacks MARKER or is older than the lock file
#   build_node_binding         npm install in bindings/node (cmake-js, incremental); its
#                              output only when it fails
# Progress goes to stderr.

npm_flags=(--no-audit --no-fund --loglevel=error)

ci_when_stale() {
  local dir=$root/$1 marker=$2
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ -e "$dir/node_modules/$marker" ] \
     && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return 0
  fi
  echo "npm ci in $1" >&2
  (cd "$dir" && npm ci "${npm_flags[@]}")
}

build_node_binding() {
  echo "building the Node binding (npm install in bindings/node)" >&2
  local out
  if ! out=$(cd "$root/bindings/node" && npm install "${npm_flags[@]}" 2>&1); then
    printf '%s\n' "$out" >&2
    return 1
  fi
}
