"""Schemathesis against `roster sim serve`'s Calendly fake (`/calendly`, issue 13): every
Calendly API v2 operation the fake serves that Calendly's published OpenAPI file
(contracts/calendly/, April 2023) describes, checked against that file: status codes,
content types, headers, closed response schemas (no undocumented field), server errors
and the rejection of invalid parameters.

Checked: `GET /users/me` and `GET /organization_memberships`. Not checked, because the
2023 file has no such path: `POST /oauth/token` (the file names Calendly's token URL,
`https://auth.calendly.com/oauth/token`, only as the OAuth flow of its security scheme;
the fake's stands for a member's consent) and `GET /locations` (added by Calendly after
April 2023; the fake's shape is a guess, docs/calendly.md).

The fake is seeded with a Calendly organization larger than one page, so that `count`
and `page_token` are exercised; requests carry an owner's token.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import yaml

from schema_check import summarize
from sim import Sim
from zoomspec import HTTP_METHODS, ROOT, close

CONTRACT = ROOT / "contracts" / "calendly" / "calendly-api-v2-openapi.yaml"

# The operations the fake serves that the file describes: (method, path).
IMPLEMENTED = [("get", "/users/me"), ("get", "/organization_memberships")]

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
])

OWNER = "owner@calendly.example"
MEMBERS = 45  # more than a default page (20)
# The fake's URI of the seeded organization (Calendly's are opaque ids).
ORGANIZATION = "https://api.calendly.com/organizations/FIDELITY"


def _enum_as_list(spec: dict) -> None:
    resp = spec["components"]["responses"]["UNAUTHENTICATED"]
    for part in resp["content"]["application/json"]["schema"]["allOf"]:
        msg = part.get("properties", {}).get("message", {})
        if isinstance(msg.get("enum"), str):
            msg["enum"] = [msg["enum"]]


# Where the file is not valid JSON Schema, the in-memory copy is repaired, each change
# named and explained; nothing else is relaxed. (Its `value` keywords, not JSON Schema,
# are ignored by every validator: they constrain nothing and need no change.)
TOLERATED = [
    {
        "pointer": "/components/responses/UNAUTHENTICATED/content/application~1json/schema/allOf/1/properties/message/enum",
        "why": "the file's `enum` is a string, not a list (invalid JSON Schema); read as the "
        "one-value list it means, so a 401's message must be \"The access token is invalid\".",
        "apply": _enum_as_list,
    },
]


def contract() -> dict:
    """The file reduced to the implemented operations, tolerated repairs applied, every
    response schema closed."""
    spec = yaml.safe_load(CONTRACT.read_text())
    for t in TOLERATED:
        t["apply"](spec)
    keep = set(IMPLEMENTED)
    paths = {}
    for path, item in spec["paths"].items():
        ops = {m: o for m, o in item.items() if (m, path) in keep}
        if ops:
            shared = {k: v for k, v in item.items() if k not in HTTP_METHODS}
            paths[path] = {**shared, **ops}
    missing = keep - {(m, p) for p, i in paths.items() for m in i if m in HTTP_METHODS}
    if missing:
        raise SystemExit(f"operations listed as implemented are not in the file: {sorted(missing)}")
    spec["paths"] = paths
    # Valid cases list the seeded organization (its pages, filters), not unknown ones (403).
    for p in paths["/organization_memberships"]["get"]["parameters"]:
        if p.get("name") == "organization":
            p["schema"] = {"enum": [ORGANIZATION]}
            p.pop("example", None)
    spec["components"]["responses"] = close(spec["components"]["responses"])
    spec["components"]["schemas"] = close(spec["components"]["schemas"])
    for item in paths.values():
        for m, op in item.items():
            if m in HTTP_METHODS:
                op["responses"] = close(op["responses"])
    return copy.deepcopy(spec)


def seed() -> dict:
    members = {OWNER: {"role": "owner"}, "admin@calendly.example": {"role": "admin"}}
    for i in range(MEMBERS):
        members[f"member{i:02}@calendly.example"] = {"role": "user", "personalZoom": i % 3 == 0}
    return {
        "clock": "2026-11-01T09:00:00Z",
        "accounts": [{
            "id": "fidelity",
            "owner": "owner@fidelity.example",
            "users": [{"email": "owner@fidelity.example", "type": "licensed"}],
            "calendly": {"organization": "fidelity", "tokenUser": OWNER, "members": members},
        }],
    }


def calendly_token(sim: Sim, user: str) -> str:
    req = urllib.request.Request(
        f"{sim.url}/calendly/oauth/token", method="POST",
        data=f"grant_type=password&username={user}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)["access_token"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--examples", type=int, default=50, help="test cases per operation and phase")
    ap.add_argument("--seed", type=int, default=20261101)
    ap.add_argument("--work", help="keep the spec and the event stream in this folder")
    args = ap.parse_args()
    print(f"Contract: {CONTRACT.relative_to(ROOT)}; checked: "
          + ", ".join(f"{m.upper()} {p}" for m, p in IMPLEMENTED)
          + "; not in the file, not checked: POST /oauth/token, GET /locations")
    print("Tolerated repairs of the file:")
    for t in TOLERATED:
        print(f"  - {t['pointer']}: {t['why']}")
    with tempfile.TemporaryDirectory(prefix="roster-calendly-") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        spec_file = work / "calendly.json"
        spec_file.write_text(json.dumps(contract()))
        report = work / "calendly.ndjson"
        # Calendly's 500 requests per user per minute would be spent by the fuzzer: the
        # limiter is off (its headers stay), as for the Zoom check.
        with Sim(seed(), "--no-rate-limit") as sim:
            token = calendly_token(sim, OWNER)
            cmd = [
                "schemathesis", "run", str(spec_file),
                "--url", f"{sim.url}/calendly", "-H", f"Authorization: Bearer {token}",
                "--checks", CHECKS, "--max-examples", str(args.examples), "--seed", str(args.seed),
                "--workers", "1", "--no-shrink", "--phases", "examples,coverage,fuzzing",
                "--report", "ndjson", "--report-ndjson-path", str(report),
                "--suppress-health-check", "all", "--warnings", "off",
            ]
            out = subprocess.run(cmd, text=True, capture_output=True, cwd=work)
        counts = summarize(report)
        print(f"schemathesis (Calendly): {counts['operations']} operations, {counts['cases']} cases, "
              f"{counts['checks']} checks, {counts['failures']} failures, {counts['excused']} excused "
              f"(answers: {counts['2xx']} 2xx, {counts['4xx']} 4xx, {counts['other']} other)")
        if out.returncode != 0 or counts["failures"] or counts["operations"] != len(IMPLEMENTED):
            print(out.stdout[-20000:])
            print(out.stderr[-5000:], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
