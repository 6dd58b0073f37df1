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


def adyen_vector():
    import Adyen.util as util

    key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
    items = []
    for psp, value in (("7914073381342284", 1130), ("8815329842815468", 2500)):
        item = {"pspReference": psp, "originalReference": "", "merchantAccountCode": "HookgenECOM",
                "merchantReference": f"order-{psp[-4:]}", "amount": {"value": value, "currency": "EUR"},
                "eventCode": "AUTHORISATION", "success": "true",
                "eventDate": "2024-01-01T12:00:00+01:00"}
        item["additionalData"] = {"hmacSignature": util.generate_notification_sig(item, key).decode()}
        assert util.is_valid_hmac_notification({"notificationItems": [{"NotificationRequestItem": item}]}, key)
        items.append({"NotificationRequestItem": item})
    body = json.dumps({"live": "false", "notificationItems": items}, separators=(",", ":"))
    return {"preset": "adyen", "library": version("Adyen"), "how": "Adyen.util.generate_notification_sig per item",
            "secret": key, "headers": {}, "body": body, "tamper": ["2500", "2501"]}


def adyen_platform_vector():
    import Adyen.util as util

    key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
    sig = util.generate_payload_sig(BODY.encode(), key).decode()
    assert util.is_valid_hmac_payload(sig, key, BODY.encode())
    return {"preset": "adyen-platform", "library": version("Adyen"), "how": "Adyen.util.generate_payload_sig",
            "secret": key, "headers": {"HmacSignature": sig}}


def dropbox_sign_vector():
    import hashlib
    import hmac

    from dropbox_sign import EventCallbackHelper
    from dropbox_sign.models import EventCallbackRequest

    api_key = "hookgen_test_api_key_0123456789"
    event = {"event_time": "1700000000", "event_type": "signature_request_signed",
             "event_metadata": {"related_signature_id": "sig_1", "reported_for_account_id": "acc_1"}}
    # The library only verifies: the hash is made from its documented formula, and the
    # library's own check must accept it.
    event["event_hash"] = hmac.new(api_key.encode(), (event["event_time"] + event["event_type"]).encode(),
                                   hashlib.sha256).hexdigest()
    payload = {"event": event}
    assert EventCallbackHelper.is_valid(api_key, EventCallbackRequest.init(payload))
    return {"preset": "dropbox-sign", "library": version("dropbox-sign"),
            "how": "HMAC from the documented formula, accepted by EventCallbackHelper.is_valid",
            "secret": api_key, "headers": {}, "body": json.dumps(payload, separators=(",", ":")),
            "tamper": ["signature_request_signed", "signature_request_viewed"]}


def vonage_vector():
    import hashlib

    import jwt
    from vonage_jwt.verify_jwt import verify_signature

    secret = "hookgen-vonage-signature-secret-0123456789abcdef"
    claims = {"iat": TS, "jti": "6e0a3a0f-hookgen", "iss": "Vonage", "application_id": "app-1",
              "payload_hash": hashlib.sha256(BODY.encode()).hexdigest()}
    # Vonage's library only verifies: the token is made with PyJWT as Vonage documents it, and
    # vonage-jwt must accept it.
    token = jwt.encode(claims, secret, algorithm="HS256")
    assert verify_signature(token, secret)
    return {"preset": "vonage", "library": f"{version('vonage-jwt')} (PyJWT {md.version('PyJWT')} signs)",
            "how": "PyJWT HS256 with payload_hash, accepted by vonage_jwt.verify_signature",
            "secret": secret, "headers": {"Authorization": f"Bearer {token}"}}


def sendgrid_vector():
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from sendgrid.helpers.eventwebhook import EventWebhook

    # A fixed private scalar, so the vector is the same on every run.
    private = ec.derive_private_key(0x1F2E3D4C5B6A798897A6B5C4D3E2F1000102030405060708090A0B0C0D0E0F10, ec.SECP256R1())
    public_der = private.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    public_b64 = base64.b64encode(public_der).decode()
    body = '[{"email":"user@example.com","event":"delivered","sg_event_id":"evt_1","timestamp":1700000000}]'
    # SendGrid's library only verifies: signed with `cryptography` as SendGrid documents it, and
    # sendgrid's EventWebhook must accept it. Deterministic ECDSA (RFC 6979) keeps the vector
    # the same on every run.
    signature = base64.b64encode(private.sign((str(TS) + body).encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))).decode()
    assert EventWebhook(public_b64).verify_signature(body, signature, str(TS))
    return {"preset": "sendgrid", "library": f"{version('sendgrid')} (cryptography {md.version('cryptography')} signs)",
            "how": "ECDSA P-256 over timestamp+body, accepted by sendgrid EventWebhook.verify_signature",
            "secret": public_b64, "body": body,
            "headers": {"X-Twilio-Email-Event-Webhook-Signature": signature,
                        "X-Twilio-Email-Event-Webhook-Timestamp": str(TS)}}


def twilio_vector():
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    token = "12345678901234567890123456789012"
    url = "https://receiver.example.com/webhooks/twilio?tenant=acme"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212", "Body": "caf\u00e9 & more"}
    validator = RequestValidator(token)
    sig = validator.compute_signature(url, params)
    assert validator.validate(url, params, sig)
    return {"preset": "twilio", "library": version("twilio"), "how": "twilio RequestValidator.compute_signature",
            "secret": token, "url": url, "body": urlencode(params),
            "headers": {"X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"},
            "tamper": ["Digits=1234", "Digits=1235"]}


def paddle_vector():
    from paddle_billing.Notifications import PaddleSignature, Secret

    secret = "pdl_ntfset_hookgen_test_secret"
    sig = PaddleSignature.calculate_hmac(secret, f"{TS}:{BODY}".encode()).hexdigest()
    header = f"ts={TS};h1={sig}"
    assert PaddleSignature().verify(header, BODY, Secret(secret))
    return {"preset": "paddle", "library": version("paddle-python-sdk"),
            "how": "paddle_billing PaddleSignature.calculate_hmac, accepted by PaddleSignature.verify",
            "secret": secret, "headers": {"Paddle-Signature": header}}


def octokit_vector():
    """GitHub's own JavaScript signer, @octokit/webhooks-methods (installed by vendor-vectors.sh)."""
    import os
    import subprocess

    node_dir = os.environ.get("OCTOKIT_DIR")
    if not node_dir:
        return None
    secret = "It's a Secret to Everybody (hookgen)"
    script = ("import { sign, verify } from '@octokit/webhooks-methods';"
              "const [secret, body] = [process.argv[1], process.argv[2]];"
              "const s = await sign(secret, body); if (!(await verify(secret, body, s))) process.exit(1);"
              "console.log(s);")
    sig = subprocess.run(["node", "--input-type=module", "-e", script, secret, BODY], cwd=node_dir,
                         check=True, capture_output=True, text=True).stdout.strip()
    pkg = json.loads((pathlib.Path(node_dir) / "node_modules/@octokit/webhooks-methods/package.json").read_text())
    return {"preset": "github", "library": f"@octokit/webhooks-methods {pkg['version']} (npm)",
            "how": "@octokit/webhooks-methods sign", "secret": secret,
            "headers": {"X-Hub-Signature-256": sig}}


def docs_vectors():
    """Vendors without a signing library on PyPI: signed by code written from their docs (each
    vector says so). hmac is Python's standard library."""
    import base64
    import hashlib
    import hmac

    def mac(secret, message, algo=hashlib.sha256):
        return hmac.new(secret.encode(), message.encode(), algo)

    out = []
    secret = "hookgen_docs_secret_0123456789"
    ts = str(TS)
    sig = mac(secret, f"v0:{ts}:{BODY}").hexdigest()
    out.append({"preset": "zoom", "headers": {"x-zm-signature": f"v0={sig}", "x-zm-request-timestamp": ts}})
    sig = mac(secret, BODY).hexdigest()
    out.append({"preset": "pagerduty", "headers": {"X-PagerDuty-Signature": f"v1=00{sig[2:]},v1={sig}"}})
    out.append({"preset": "lago", "headers": {"X-Lago-Signature": base64.b64encode(mac(secret, BODY).digest()).decode()}})
    out.append({"preset": "xero", "headers": {"x-xero-signature": base64.b64encode(mac(secret, BODY).digest()).decode()}})
    ms = str(TS * 1000 + 123)
    sig = mac(secret, f"{ms}.{BODY}").hexdigest()
    out.append({"preset": "lob", "headers": {"Lob-Signature": sig, "Lob-Signature-Timestamp": ms}})
    out.append({"preset": "shopify", "headers": {"X-Shopify-Hmac-Sha256": base64.b64encode(mac(secret, BODY).digest()).decode()}})
    for v in out:
        v.update({"library": "signer written from the vendor's docs (no signing library)",
                  "how": "Python hmac, per the preset's documentation link", "secret": secret})
    return out


def main():
    vectors = []
    for make in (svix_vector, standardwebhooks_vector, stripe_vector, slack_vector,
                 adyen_vector, adyen_platform_vector, dropbox_sign_vector, vonage_vector,
                 sendgrid_vector, twilio_vector, paddle_vector, octokit_vector):
        v = make()
        if v is None:
            continue
        v.setdefault("body", BODY)
        v["now"] = TS + 10
        vectors.append(v)
    for v in docs_vectors():
        v.setdefault("body", BODY)
        v["now"] = TS + 10
        vectors.append(v)
    OUT.write_text(json.dumps({
        "about": "Deliveries signed by the vendors' own libraries (scripts/vendor-vectors.sh). "
                 "now = the verifier clock. Each must verify; a tampered copy (tamper: [from, to] replaced in "
                 "the body, else byte 10 flipped) must not.",
        "vectors": vectors,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
