#!/usr/bin/env bash
# Copy the browser-ready files of the npm packages (package.json, package-lock.json) into app/static/vendor/
# (gitignored). Runs `npm ci` first when node_modules is missing or older than the lock file.
# No bundler: every file copied is a ready-made distributable (UMD / minified bundle / CSS).
# Without npm it prints a loud warning and exits 0 (1 when STRICT=1); pages needing the files will lack them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
    echo "!!!! scripts/assets.sh: npm not found: app/static/vendor/ NOT built (bpmn-js, echarts missing) !!!!" >&2
    [ "${STRICT:-0}" = 1 ] && exit 1
    exit 0
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
        || [ package.json -nt node_modules/.package-lock.json ]; then
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
fi

out=app/static/vendor
rm -rf "$out.tmp"
mkdir -p "$out.tmp/bpmn-js" "$out.tmp/bpmn-js-properties-panel" "$out.tmp/echarts" "$out.tmp/diagram-js-minimap"
nm=node_modules
cp "$nm/bpmn-js/dist/bpmn-modeler.production.min.js" \
   "$nm/bpmn-js/dist/bpmn-navigated-viewer.production.min.js" "$out.tmp/bpmn-js/"
cp -r "$nm/bpmn-js/dist/assets" "$out.tmp/bpmn-js/assets"
# The properties panel ships a self-contained UMD build (preact and @bpmn-io/properties-panel inlined),
# global `BpmnJSPropertiesPanel`; its stylesheet comes from @bpmn-io/properties-panel.
cp "$nm/bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js" "$out.tmp/bpmn-js-properties-panel/"
cp "$nm/@bpmn-io/properties-panel/dist/assets/properties-panel.css" "$out.tmp/bpmn-js-properties-panel/"
cp "$nm/echarts/dist/echarts.min.js" "$out.tmp/echarts/"
# The modeler's minimap: UMD build, global `DiagramJSMinimap`.
cp "$nm/diagram-js-minimap/dist/diagram-minimap.umd.prod.js" "$nm/diagram-js-minimap/assets/diagram-js-minimap.css" \
   "$out.tmp/diagram-js-minimap/"
node -e '
const fs = require("fs");
const v = n => JSON.parse(fs.readFileSync(`node_modules/${n}/package.json`)).version;
const names = ["bpmn-js", "bpmn-js-properties-panel", "@bpmn-io/properties-panel", "echarts", "diagram-js-minimap"];
fs.writeFileSync(process.argv[1], JSON.stringify(Object.fromEntries(names.map(n => [n, v(n)])), null, 2) + "\n");
' "$out.tmp/VERSIONS.json"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "scripts/assets.sh: app/static/vendor/ ready ($(tr -d '\n ' < "$out/VERSIONS.json"))" >&2
