#!/usr/bin/env python3
# Regenerates libdurar/src/config/compat_keys.txt from the original's schema, so the list of
# keys it accepts is data, not hand-typed:
#   HOME=$(mktemp -d) node openclaw.mjs config schema > schema.json
#   python3 scripts/gen_compat_keys.py schema.json openclaw-VERSION > libdurar/src/config/compat_keys.txt
import json
import sys

schema = json.load(open(sys.argv[1]))
version = sys.argv[2] if len(sys.argv) > 2 else "unknown"


def resolve(node, defs):
    while isinstance(node, dict) and "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    return node


def alternatives(node, defs):
    node = resolve(node, defs)
    if not isinstance(node, dict):
        return [node]
    out = []
    for k in ("anyOf", "oneOf", "allOf"):
        for a in node.get(k, []):
            out += alternatives(a, defs)
    rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf", "allOf")}
    if "properties" in rest or "additionalProperties" in rest or "items" in rest or not out:
        out.append(rest)
    return out


def build(node, defs):
    """A tree: {name: subtree}; '*' any key, '**' anything below, '[]' array items."""
    if isinstance(node, dict) and "$defs" in node:
        defs = {**defs, **node["$defs"]}
    tree = {}
    props, extra, items, is_object = {}, [], [], False
    for a in alternatives(node, defs):
        if not isinstance(a, dict):
            continue
        if "properties" in a or a.get("type") == "object" or "additionalProperties" in a:
            is_object = True
            for k, v in a.get("properties", {}).items():
                props.setdefault(k, []).append(v)
            ap = a.get("additionalProperties", None if "properties" in a else True)
            if ap is True or ap == {} or ap is None:
                if a.get("type") == "object" or "properties" in a:
                    extra.append(True)
            elif ap is not False:
                extra.append(ap)
        if "items" in a:
            it = a["items"]
            items += it if isinstance(it, list) else [it]
    if is_object:
        for k, vs in props.items():
            sub = {}
            for v in vs:
                merge(sub, build(v, defs))
            tree[k] = sub
        if any(x is True for x in extra):
            tree["**"] = {}
        elif extra:
            sub = {}
            for v in extra:
                merge(sub, build(v, defs))
            tree["*"] = sub
    if items:
        sub = {}
        for it in items:
            merge(sub, build(it, defs))
        tree["[]"] = sub
    return tree


def merge(into, other):
    for k, v in other.items():
        merge(into.setdefault(k, {}), v)


tree = build(schema, {})
# The runtime checks channel ids against its bundled channels (the schema says "any").
channels = tree.setdefault("channels", {})
channels.pop("**", None)
channels["defaults"] = {"groupPolicy": {}, "contextVisibility": {},
                        "heartbeat": {"showOk": {}, "showAlerts": {}, "useIndicator": {}}}
channels["modelByChannel"] = {"*": {"*": {}}}


def emit(node, depth, out):
    for k in sorted(node, key=lambda k: (k in ("*", "**", "[]"), k)):
        out.append(" " * depth + k)
        emit(node[k], depth + 1, out)


print("# Every config key the original (%s) accepts, from `openclaw config schema`." % version)
print("# Regenerate with scripts/gen_compat_keys.py; do not edit by hand.")
print("# One key per line, indented one space per level; '*' stands for any key, '**' for anything")
print("# below, '[]' for array items.")
for top in tree:
    lines = []
    emit({top: tree[top]}, 0, lines)
    print("\n".join(lines))
