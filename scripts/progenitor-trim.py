#!/usr/bin/env python3
"""Trim an OpenAPI 3.0 JSON document to what progenitor 0.15 can read (scripts/bench-build.sh):
run on PagerDuty it lists each trim, and both generators then read the trimmed file.

usage: progenitor-trim.py IN.json OUT.json"""
# Inline every $ref that points below a top-level component (`#/components/schemas/Tag/allOf/0`):
# typify resolves only `#/components/<kind>/<name>`.
import json, sys, copy
doc = json.load(open(sys.argv[1]))
def resolve(ptr):
    node = doc
    for seg in ptr.lstrip('#/').split('/'):
        seg = seg.replace('~1', '/').replace('~0', '~')
        node = node[int(seg)] if isinstance(node, list) else node[seg]
    return node
def deep(ref):
    return ref.startswith('#/') and len(ref.lstrip('#/').split('/')) > 3
count = 0
def walk(node, depth=0):
    global count
    if isinstance(node, dict):
        r = node.get('$ref')
        if isinstance(r, str) and deep(r) and depth < 50:
            target = copy.deepcopy(resolve(r))
            node.clear(); node.update(target); count += 1
            walk(node, depth + 1)
            return
        for v in node.values(): walk(v, depth)
    elif isinstance(node, list):
        for v in node: walk(v, depth)
walk(doc)
print('inlined', count, 'deep references', file=sys.stderr)
# One media type per request body and response (progenitor: "more media types than expected").
def one_media_type(content):
    if isinstance(content, dict) and len(content) > 1:
        keep = 'application/json' if 'application/json' in content else next(iter(content))
        for k in list(content):
            if k != keep: del content[k]
        return 1
    return 0
trimmed = 0
for path in doc.get('paths', {}).values():
    for op in path.values():
        if not isinstance(op, dict): continue
        trimmed += one_media_type(op.get('requestBody', {}).get('content'))
        for r in op.get('responses', {}).values():
            if isinstance(r, dict): trimmed += one_media_type(r.get('content'))
print('trimmed', trimmed, 'multi-media-type bodies in operations', file=sys.stderr)
trimmed = 0
for kind in ('requestBodies', 'responses'):
    for body in doc.get('components', {}).get(kind, {}).values():
        if isinstance(body, dict): trimmed += one_media_type(body.get('content'))
print('trimmed', trimmed, 'multi-media-type bodies in components', file=sys.stderr)
# Operations whose request body progenitor cannot send (multipart/form-data) are removed.
def body_of(op):
    b = op.get('requestBody')
    if isinstance(b, dict) and '$ref' in b: b = resolve(b['$ref'])
    return (b or {}).get('content', {})
removed = []
for p, item in doc.get('paths', {}).items():
    for m in list(item):
        op = item[m]
        if isinstance(op, dict) and any(k.startswith('multipart/') for k in body_of(op)):
            removed.append(op.get('operationId', m + ' ' + p)); del item[m]
print('removed', len(removed), 'multipart operations:', ' '.join(removed), file=sys.stderr)
# A response that refers to a request body (a vendor slip) gets that body's content inline.
fixed = 0
for item in doc.get('paths', {}).values():
    for op in item.values():
        if not isinstance(op, dict): continue
        for code, r in list(op.get('responses', {}).items()):
            if isinstance(r, dict) and r.get('$ref', '').startswith('#/components/requestBodies/'):
                target = copy.deepcopy(resolve(r['$ref']))
                op['responses'][code] = {'description': target.get('description', code), 'content': target.get('content', {})}
                fixed += 1
print('inlined', fixed, 'responses that refer to request bodies', file=sys.stderr)
# A default that is not of its schema's type (typify: TypeError(InvalidValue)) is dropped.
types = {'string': str, 'integer': int, 'number': (int, float), 'boolean': bool, 'array': list, 'object': dict}
dropped = []
def drop_bad_defaults(n, path):
    if isinstance(n, dict):
        t = n.get('type')
        if 'default' in n and isinstance(t, str) and t in types:
            v = n['default']
            if not isinstance(v, types[t]) or (t in ('integer', 'number') and isinstance(v, bool)):
                dropped.append(path); del n['default']
        for k, v in n.items(): drop_bad_defaults(v, path + '/' + k)
    elif isinstance(n, list):
        for i, v in enumerate(n): drop_bad_defaults(v, path + '/' + str(i))
drop_bad_defaults(doc, '#')
print('dropped defaults of the wrong type at', ' '.join(dropped), file=sys.stderr)
# Progenitor needs one success type per operation: only the first 2xx response is kept.
narrowed = 0
for item in doc.get('paths', {}).values():
    for op in item.values():
        if not isinstance(op, dict): continue
        rs = op.get('responses', {})
        ok = sorted(c for c in rs if str(c).startswith('2'))
        for c in ok[1:]:
            del rs[c]; narrowed += 1
print('removed', narrowed, 'second success responses', file=sys.stderr)
# ... and one error type: only the first 4xx/5xx response is kept.
narrowed = 0
for item in doc.get('paths', {}).values():
    for op in item.values():
        if not isinstance(op, dict): continue
        rs = op.get('responses', {})
        errors = sorted(c for c in rs if str(c)[0] in '45' or c == 'default')
        for c in errors[1:]:
            del rs[c]; narrowed += 1
print('removed', narrowed, 'further error responses', file=sys.stderr)
json.dump(doc, open(sys.argv[2], 'w'))
