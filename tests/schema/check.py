"""`roster schema` checked with an independent validator (Python `jsonschema`, draft
2020-12): every manifest under examples/ is valid, it names the schema in its
`yaml-language-server` modeline, the committed docs/manifests.schema.json is what
`roster schema` prints, and broken documents (an unknown field, a wrong value) are
rejected. Prints one line per check; exits non-zero on any failure.

examples/ci/ (a GitHub Actions workflow) and examples/deploy/*.yaml (Kubernetes, compose) are
not manifests and are not checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROSTER = ROOT / "target" / "debug" / "roster"
MANIFESTS = [ROOT / "examples" / "acme", ROOT / "examples" / "deploy" / "compose" / "manifests"]
MODELINE = "# yaml-language-server: $schema="


class Loader(yaml.SafeLoader):
    """YAML 1.2 as roster reads it: `2026-10-31` is a string, not a date."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main() -> int:
    printed = subprocess.run([str(ROSTER), "schema"], check=True, capture_output=True, text=True).stdout
    schema = json.loads(printed)
    committed = json.loads((ROOT / "docs" / "manifests.schema.json").read_text())
    failures = 0
    if committed != schema:
        print("docs/manifests.schema.json differs from `roster schema`: regenerate it")
        failures += 1
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    documents = 0
    for folder in MANIFESTS:
        for path in sorted(folder.rglob("*.yaml")):
            text = path.read_text()
            rel = path.relative_to(ROOT)
            expected = Path("../" * (len(path.relative_to(ROOT).parts) - 1)) / "docs" / "manifests.schema.json"
            if not text.startswith(MODELINE + str(expected)):
                print(f"{rel}: first line is not `{MODELINE}{expected}`")
                failures += 1
            for n, doc in enumerate(yaml.load_all(text, Loader=Loader)):
                if doc is None:
                    continue
                documents += 1
                errors = list(validator.iter_errors(doc))
                for e in errors:
                    print(f"{rel} document {n + 1}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
                failures += len(errors)
    broken = {
        "an unknown field": {"kind": "User", "email": "a@acme.com", "emial": "a@acme.com"},
        "a user type that does not exist": {"kind": "User", "email": "a@acme.com", "type": "gold"},
        "a missing required field": {"kind": "Group"},
        "an unknown kind": {"kind": "Usr", "email": "a@acme.com"},
        "an inline secret": {"kind": "Account", "name": "a", "owner": "o@a.com",
                             "provider": {"zoom": {"accountId": "x", "clientId": {"env": "I"},
                                                   "clientSecret": {"env": "S"}}}},
    }
    for what, doc in broken.items():
        if validator.is_valid(doc):
            print(f"accepted {what}: {doc}")
            failures += 1
        else:
            print(f"rejected {what}: ok")
    print(f"schema: {documents} example documents valid, {len(broken)} broken documents rejected, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
