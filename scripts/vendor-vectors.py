#!/usr/bin/env python3
"""Signed deliveries made by the vendors' own libraries, written as test vectors.

Installs nothing itself: run through scripts/vendor-vectors.sh, which makes a virtualenv with
the pinned libraries. Output: runtime/tests/vendor-vectors.json (checked in). Each vector
names the preset it is for, the library and version that signed it, and how.
"""
import datetime
import importlib.metadata as md
import json
import pathlib

BODY = '{"id":"evt_hookgen_1","type":"invoice.paid","data":{"amount":4200,"currency":"eur","note":"caf\\u00e9 \\u2603"}}'
TS = 1_700_000_000
OUT = pathlib.Path(__file__).resolve().parent.parent / "runtime" / "tests" / "vendor-vectors.json"


def version(dist):
    return f"{dist} {md.version(dist)}"


def svix_vector():
    from svix.webhooks import Webhook

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sig = Webhook(secret).sign("msg_svix_1", datetime.datetime.fromtimestamp(TS, datetime.timezone.utc), BODY)
    headers = {"svix-id": "msg_svix_1", "svix-timestamp": str(TS), "svix-signature": sig}
    return {"preset": "svix", "library": version("svix"), "how": "svix.webhooks.Webhook.sign",
            "secret": secret, "headers": headers}


def standardwebhooks_vector():
    from standardwebhooks.webhooks import Webhook

    secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    sig = Webhook(secret).sign("msg_sw_1", datetime.datetime.fromtimestamp(TS, datetime.timezone.utc), BODY)
    headers = {"webhook-id": "msg_sw_1", "webhook-timestamp": str(TS), "webhook-signature": sig}
    return {"preset": "standard-webhooks", "library": version("standardwebhooks"),
            "how": "standardwebhooks.webhooks.Webhook.sign", "secret": secret, "headers": headers}


def stripe_vector():
    import stripe

    secret = "whsec_stripe_hookgen_test"
    payload = f"{TS}.{BODY}"
    # stripe-python signs only inside its test helpers; this is the function its verifier uses.
    sig = stripe.WebhookSignature._compute_signature(payload, secret)
    header = f"t={TS},v1={sig}"
    import time
    # The library's own check, with its clock moved to the signing time.
    real = time.time
    time.time = lambda: TS + 10
    try:
        stripe.WebhookSignature.verify_header(BODY, header, secret, tolerance=300)
    finally:
        time.time = real
    return {"preset": "stripe", "library": version("stripe"),
            "how": "stripe.WebhookSignature._compute_signature, accepted by verify_header",
            "secret": secret, "headers": {"Stripe-Signature": header}}


def slack_vector():
    from slack_sdk.signature import SignatureVerifier

    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    verifier = SignatureVerifier(secret, clock=type("C", (), {"now": staticmethod(lambda: TS + 10)})())
    sig = verifier.generate_signature(timestamp=str(TS), body=BODY)
    headers = {"X-Slack-Request-Timestamp": str(TS), "X-Slack-Signature": sig}
    assert verifier.is_valid(body=BODY, timestamp=str(TS), signature=sig)
    return {"preset": "slack", "library": version("slack_sdk"),
            "how": "slack_sdk.signature.SignatureVerifier.generate_signature",
            "secret": secret, "headers": headers}


def main():
    vectors = []
    for make in (svix_vector, standardwebhooks_vector, stripe_vector, slack_vector):
        v = make()
        v.update({"body": BODY, "now": TS + 10})
        vectors.append(v)
    OUT.write_text(json.dumps({
        "about": "Deliveries signed by the vendors' own libraries (scripts/vendor-vectors.sh). "
                 "now = the verifier clock. Each must verify; a copy with one body byte changed must not.",
        "vectors": vectors,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
