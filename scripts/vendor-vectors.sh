#!/usr/bin/env bash
# Regenerate runtime/tests/vendor-vectors.json from the vendors' own libraries (PyPI, npm). Kept out
# of the default test run: the vectors are checked in, and the tests read them.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENDOR_VENV:-${TMPDIR:-/tmp}/hookgen-vendor-libs}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet svix==2.9.1 standardwebhooks==1.1.0 stripe==16.1.0 slack_sdk==3.48.0 Adyen==16.0.0 dropbox-sign==2.0.0 \
  vonage-jwt==1.1.5 PyJWT==2.15.1 sendgrid==6.12.5 cryptography==50.0.2 twilio==9.13.0 \
  paddle-python-sdk==1.16.1
# GitHub's signer is JavaScript: @octokit/webhooks-methods from npm.
node_dir="${VENDOR_NODE_DIR:-${TMPDIR:-/tmp}/hookgen-vendor-node}"
mkdir -p "$node_dir"
npm install --silent --prefix "$node_dir" @octokit/webhooks-methods@6.0.0
OCTOKIT_DIR="$node_dir" "$venv/bin/python" scripts/vendor-vectors.py
