#!/usr/bin/env bash
# Seed corpora for the fuzz targets, from specs/, generated crates' examples and ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/seeds/{spec_load,overlay,verify,event_decode}
for f in specs/*/*.{yml,yaml,json} generator/tests/fixtures/*.yaml; do
  [ -f "$f" ] && cp "$f" "fuzz/seeds/spec_load/$(echo "$f" | tr '/' '_')"
done
if [ -d ../shared/corpus ]; then
  for f in ../shared/corpus/*/*; do
    # Large specs make slow inputs: keep seeds under the 64 KiB max_len.
    [ "$(stat -c %s "$f")" -le 65536 ] || continue
    case "$f" in *.json|*.yml|*.yaml) cp "$f" "fuzz/seeds/spec_load/corpus_$(basename "$(dirname "$f")")_$(basename "$f")" ;; esac
  done
fi
printf '{"openapi":"3.1.0","info":{"title":"t","version":"1"},"tags":[{"name":"a"}]}\0{"overlay":"1.0.0","actions":[{"target":"$.tags","update":{"name":"b"}},{"target":"$.info","remove":true}]}' > fuzz/seeds/overlay/basic
printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\0msg_p5jXN8AQM9LWM0D4loKWxJek\0001614265330\0v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\0{"test": 2432232314}' > fuzz/seeds/verify/sw
printf 'whsec_test_secret\0\0\0\0t=1614265330,v1=af4ead0627a34a8cca29808e8de9ada8e41a92e6237c63cef6eacf51d36cca34\0{}' > fuzz/seeds/verify/stripe
for f in generated/*/tests/spec_examples.rs; do
  python3 - "$f" <<'PY'
import re, sys, pathlib
text = pathlib.Path(sys.argv[1]).read_text()
for i, body in enumerate(re.findall(r'let body = "((?:[^"\\]|\\.)*)";', text)):
    raw = bytes(body, "utf-8").decode("unicode_escape").encode("latin-1", "ignore")
    pathlib.Path("fuzz/seeds/event_decode", f"{pathlib.Path(sys.argv[1]).parts[1]}_{i}").write_bytes(raw)
PY
done
printf '{"id":"4f6aa5b6-8d68-4b48-b779-861fba5c20ba","type":"workspace.status.updated","timestamp":"2024-02-02T09:13:44+0000","workspaceId":"df801b47-b7be-48e8-8e21-20e20c75906c"}' > fuzz/seeds/event_decode/roomz_legacy
