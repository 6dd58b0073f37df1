#!/usr/bin/env python3
"""Write an OpenAPI Overlay that brings a vendor's spec in line with the vendor's own payloads.

Where a payload the vendor itself published breaks the vendor's schema (a `required` field it
omits, a type it sends in place of the declared one), the payload is the evidence: the overlay
drops that `required` entry or adds that type, and says which payload proved it. Everything the
payloads do not contradict stays as the spec says. Enum values are left alone: generated enums are
open, so an unlisted value is kept, not a break.

Layout read (as in ../shared/payloads/github): <payloads>/<event header value>/<name>.json, the
body's `action` naming the sub-event; the webhook is `<header>-<action>` or `<header>`, compared
without case or separators, or else the one webhook whose key starts with the header value.

    python3 scripts/overlay-from-payloads.py SPEC PAYLOAD_DIR > OVERLAY.yaml

Needs `jsonschema` and `PyYAML` (pip). The output is checked in; CI never runs this script.
"""
import collections
import json
import os
import re
import sys

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
import referencing.jsonschema


def loose(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


def index_pointers(node, pointer, out):
    """Map each schema object's identity to its JSON pointer in the document."""
    if isinstance(node, dict):
        out[id(node)] = pointer
        for k, v in node.items():
            index_pointers(v, pointer + [k], out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            index_pointers(v, pointer + [i], out)


def json_path(pointer):
    parts = []
    for seg in pointer:
        if isinstance(seg, int):
            parts.append(f"[{seg}]")
        else:
            parts.append("['" + seg.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "$" + "".join(parts)


def webhook_for(doc, folder, body):
    keys = {loose(k): k for k in doc.get("webhooks", {})}
    action = body.get("action") if isinstance(body, dict) else None
    if isinstance(action, str) and loose(f"{folder}-{action}") in keys:
        return keys[loose(f"{folder}-{action}")]
    if loose(folder) in keys:
        return keys[loose(folder)]
    prefixed = [k for k in doc.get("webhooks", {}) if loose(k).startswith(loose(folder))]
    return prefixed[0] if len(prefixed) == 1 else None


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def tolerated(schema, field):
    """hookgen reads an absent field as its declared `default`, or as null when nullable."""
    prop = schema.get("properties", {}).get(field)
    if not isinstance(prop, dict):
        return False
    types = prop.get("type")
    nullable = prop.get("nullable") or (isinstance(types, list) and "null" in types)
    return "default" in prop or bool(nullable)


def fixes(error, pointers):
    """The spec changes that make one validation error go away, or None when there are none."""
    if error.context:
        # anyOf/oneOf: the branch the payload was meant for is one whose own shape it has (no
        # type error at the branch root) and that needs the fewest changes.
        branches = collections.defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        best = None
        for subs in branches.values():
            if any(s.validator == "type" and len(s.relative_schema_path) == 2 for s in subs):
                continue
            found = [fixes(s, pointers) for s in subs]
            if any(f is None for f in found):
                continue
            flat = [f for part in found for f in part]
            if best is None or len(flat) < len(best):
                best = flat
        return best
    at = pointers.get(id(error.schema))
    if at is None:
        return None
    if error.validator == "required":
        return [
            ("drop", tuple(at), field)
            for field in error.validator_value
            if isinstance(error.instance, dict)
            and field not in error.instance
            and not tolerated(error.schema, field)
        ]
    if error.validator == "type":
        declared = error.validator_value
        return [("widen", tuple(at), declared, json_type(error.instance))]
    if error.validator == "enum":
        return []
    return None


def record(fix, proof, dropped, widened):
    if fix[0] == "drop":
        dropped.setdefault((fix[1], fix[2]), proof)
    else:
        _, at, declared, seen = fix
        entry = widened.setdefault(at, ([], proof))
        if seen not in entry[0]:
            entry[0].append(seen)


def resolve_pointer(doc, pointer):
    node = doc
    for seg in pointer:
        node = node[seg]
    return node


def main(spec_path, payload_dir):
    with open(spec_path) as f:
        doc = json.load(f)
    pointers = {}
    index_pointers(doc, [], pointers)
    resource = Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT202012)
    registry = Registry().with_resource("urn:spec", resource)
    dropped = collections.OrderedDict()  # (schema pointer, field) -> first payload
    widened = collections.OrderedDict()  # (schema pointer) -> (types, first payload)
    skipped = []
    for folder in sorted(os.listdir(payload_dir)):
        for name in sorted(os.listdir(os.path.join(payload_dir, folder))):
            path = os.path.join(payload_dir, folder, name)
            rel = os.path.relpath(path, payload_dir)
            with open(path) as f:
                body = json.load(f)
            key = webhook_for(doc, folder, body)
            if key is None:
                skipped.append(f"{rel}: no webhook")
                continue
            for media in doc["webhooks"][key]["post"]["requestBody"]["content"].values():
                validator = Draft202012Validator(media["schema"], registry=registry)
                if "$ref" in media["schema"]:
                    validator = Draft202012Validator(
                        {"$ref": "urn:spec" + media["schema"]["$ref"]}, registry=registry
                    )
                for error in validator.iter_errors(body):
                    found = fixes(error, pointers)
                    if found is None:
                        skipped.append(f"{rel}: {error.message[:100]}")
                    for fix in found or []:
                        record(fix, rel, dropped, widened)
                break
    actions = []
    for (at, field), proof in dropped.items():
        actions.append({
            "target": json_path(list(at) + ["required"]) + f"[?@ == '{field}']",
            "description": f"`{field}` is absent from the vendor's own payload {proof}",
            "remove": True,
        })
    for at, (types, proof) in widened.items():
        # One branch per type, each keeping what the spec says of it (a string's `format`):
        # the declared `type` and `format` make way for a `oneOf` of them.
        schema = resolve_pointer(doc, at)
        declared = schema.get("type")
        declared = declared if isinstance(declared, list) else [declared]
        branches = []
        for t in declared + [t for t in types if t not in declared]:
            branch = {"type": t}
            if t == "string" and "format" in schema:
                branch["format"] = schema["format"]
            branches.append(branch)
        description = f"the vendor's own payload {proof} sends {types[-1]} here"
        for key in ["type", "format"]:
            if key in schema:
                actions.append({"target": json_path(list(at) + [key]), "description": description, "remove": True})
        actions.append({"target": json_path(list(at)), "description": description, "update": {"oneOf": branches}})
    header = (
        "# Generated by scripts/overlay-from-payloads.py from the vendor's own payloads: do not edit.\n"
        f"# {len(dropped)} required fields the payloads omit, {len(widened)} types they widen.\n"
    )
    for line in skipped:
        header += f"# not handled: {line}\n"
    overlay = {
        "overlay": "1.0.0",
        "info": {"title": f"{os.path.basename(spec_path)}: what the vendor's payloads show", "version": "1"},
        "actions": actions,
    }
    sys.stdout.write(header + yaml.safe_dump(overlay, sort_keys=False, width=100))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
