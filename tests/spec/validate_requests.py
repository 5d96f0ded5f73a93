#!/usr/bin/env python3
"""Validates the request bodies durar_dump_requests writes against the vendors' official specs.

    validate_requests.py --specs DIR --out DIR [--dump PATH/TO/durar_dump_requests]

With --dump, runs the dump program into --out first. Bodies are <out>/<api>/<name>.json; each
api maps to one schema below. Exit status: 0 all valid, 1 a body is invalid (each failure names
the file, the path inside the body and the schema's message), 77 the specs or the Python
modules are missing (CTest reports a skip).
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys

SKIP = 77

# api -> (spec file, schema pointer or a function of the body, JSON Schema dialect)
SCHEMAS = {
    "openai-completions": ("openai.openapi.yaml.gz", "#/components/schemas/CreateChatCompletionRequest", "2020-12"),
    "openai-responses": ("openai.openapi.yaml.gz", "#/components/schemas/CreateResponse", "2020-12"),
    "anthropic-messages": (
        "anthropic.wire.schema.json",
        lambda body: "#/definitions/MessageCreateParamsStreaming"
        if body.get("stream") is True
        else "#/definitions/MessageCreateParamsNonStreaming",
        "draft7",
    ),
    "google-generative-ai": ("gemini.v1beta.schema.json", "#/definitions/GenerateContentRequest", "draft7"),
    "ollama": ("ollama.openapi.yaml", "#/components/schemas/ChatRequest", "2020-12"),
    # Embedding requests, one folder per wire (transports/embeddings.hpp).
    "openai-embeddings": ("openai.openapi.yaml.gz", "#/components/schemas/CreateEmbeddingRequest", "2020-12"),
    "google-embeddings": ("gemini.v1beta.schema.json", "#/definitions/BatchEmbedContentsRequest", "draft7"),
    "ollama-embeddings": ("ollama.openapi.yaml", "#/components/schemas/EmbedRequest", "2020-12"),
}

# Bodies of these apis may not carry top-level fields the schema does not name: an unknown
# field is how an OpenAI-only option leaks to a server that rejects it.
CLOSED_TOP_LEVEL = {"openai-completions", "openai-embeddings", "ollama-embeddings"}


def load_modules():
    try:
        import jsonschema  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        print(f"SKIP: python module missing: {e.name} (apt install python3-jsonschema python3-yaml)")
        sys.exit(SKIP)


def load_spec(path):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return yaml.load(f, Loader=loader)
    with open(path, encoding="utf-8") as f:
        if path.endswith((".yaml", ".yml")):
            return yaml.load(f, Loader=loader)
        return json.load(f)


class Spec:
    """One spec document and validators for pointers into it, $refs resolved in the document."""

    def __init__(self, name, document, dialect):
        import jsonschema

        self.uri = f"urn:durar-spec:{name}"
        self.document = document
        self.cls = jsonschema.Draft202012Validator if dialect == "2020-12" else jsonschema.Draft7Validator
        if name.endswith((".yaml", ".yaml.gz")):
            # OpenAPI's oneOf means "the one the discriminator names"; read as JSON Schema it
            # rejects bodies the official SDKs send, wherever one branch is a superset of
            # another (OpenAI's EasyInputMessage vs InputMessage). A body matching no branch
            # still fails.
            self.cls = jsonschema.validators.extend(self.cls, {"oneOf": self.cls.VALIDATORS["anyOf"]})
        self.cache = {}
        try:  # jsonschema >= 4.18: the referencing registry
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT7, DRAFT202012

            spec = DRAFT202012 if dialect == "2020-12" else DRAFT7
            resource = Resource.from_contents(document, default_specification=spec)
            self.registry = Registry().with_resource(self.uri, resource)
            self.resolver = None
        except ImportError:  # jsonschema 4.10 (Debian 12): RefResolver over the document
            self.registry = None
            self.resolver = jsonschema.RefResolver(base_uri=self.uri, referrer=document,
                                                   store={self.uri: document})

    def validator(self, pointer):
        if pointer not in self.cache:
            schema = {"$ref": self.uri + pointer}
            if self.registry is not None:
                self.cache[pointer] = self.cls(schema, registry=self.registry)
            else:
                self.cache[pointer] = self.cls(schema, resolver=self.resolver)
        return self.cache[pointer]

    def resolve(self, pointer):
        node = self.document
        for part in pointer.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def property_names(self, node, seen=None):
        """Every property a schema names, through $ref and allOf/anyOf/oneOf."""
        seen = seen if seen is not None else set()
        names = set()
        if not isinstance(node, dict) or id(node) in seen:
            return names
        seen.add(id(node))
        if "$ref" in node and node["$ref"].startswith("#"):
            names |= self.property_names(self.resolve(node["$ref"]), seen)
        names |= set(node.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key, []):
                names |= self.property_names(sub, seen)
        return names


def json_path(parts):
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def deepest(error):
    """For anyOf/oneOf: the branch that matched furthest into the body, down to its own error."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
    return error


def describe(error):
    leaf = deepest(error)
    text = f"{json_path(leaf.absolute_path)}: {shorten(leaf.message)}"
    if leaf is not error:
        text += f"\n      (under {json_path(error.absolute_path)}: no alternative of its {error.validator} matched)"
    return text


def shorten(message, limit=400):
    return message if len(message) <= limit else message[:limit] + " ..."


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dump")
    args = ap.parse_args()

    if not os.path.isdir(args.specs):
        print(f"SKIP: no specs directory at {args.specs}")
        return SKIP
    load_modules()

    if args.dump:
        shutil.rmtree(args.out, ignore_errors=True)  # no stale bodies from removed cases
        run = subprocess.run([args.dump, args.out], capture_output=True, text=True)
        sys.stdout.write(run.stdout)
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            print(f"FAIL: {args.dump} exited with {run.returncode}")
            return 1

    specs = {}
    failures = 0  # files (or apis) that failed
    checked = 0
    valid = 0
    for api in sorted(os.listdir(args.out)):
        folder = os.path.join(args.out, api)
        if not os.path.isdir(folder):
            continue
        if api not in SCHEMAS:
            print(f"FAIL: {api}: no schema is mapped for this api in validate_requests.py")
            failures += 1
            continue
        spec_file, pointer, dialect = SCHEMAS[api]
        if spec_file not in specs:
            path = os.path.join(args.specs, spec_file)
            if not os.path.exists(path):
                print(f"SKIP: {path} is missing")
                return SKIP
            specs[spec_file] = Spec(spec_file, load_spec(path), dialect)
        spec = specs[spec_file]
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            file = os.path.join(folder, name)
            with open(file, encoding="utf-8") as f:
                body = json.load(f)
            where = pointer(body) if callable(pointer) else pointer
            errors = sorted(spec.validator(where).iter_errors(body), key=lambda e: list(e.absolute_path))
            if api in CLOSED_TOP_LEVEL and isinstance(body, dict):
                known = spec.property_names(spec.resolve(where))
                for key in body:
                    if key not in known:
                        errors.append(None)
                        print(f"FAIL: {api}/{name}\n    $.{key}: not a field of {where.rsplit('/', 1)[-1]}")
            checked += 1
            real = [e for e in errors if e is not None]
            for e in real:
                print(f"FAIL: {api}/{name} against {spec_file}{where}\n    {describe(e)}")
            if errors:
                failures += 1
            else:
                valid += 1
                print(f"ok   {api}/{name}")

    if checked == 0:
        print(f"FAIL: no request bodies under {args.out}")
        return 1
    print(f"{valid} of {checked} request bodies valid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
