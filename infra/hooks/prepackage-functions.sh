#!/bin/sh
# azd prepackage hook of the functions service, run in the service's folder: the repository root.
# Builds the Functions deployment package into dist/functions-package/ (`npm run package:functions`:
# host.json, package.json, the compiled handlers and what they import, the dashboard, production
# node_modules without onnxruntime), which azd then zips as it is: azure.yaml's `dist` names the
# folder and `remoteBuild: false` keeps its node_modules. npm prefers its cache.
set -eu
npm run package:functions
