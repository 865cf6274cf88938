"""Starting `roster sim serve` for the conformance suite and the client tests, and the
rich account they seed it with."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from zoomspec import ROOT

CLIENT_ID = "conformance"
CLIENT_SECRET = "conformance-secret"
ACCOUNT = "fidelity"
CLOCK = "2026-11-01T09:00:00Z"


def roster_bin() -> str:
    """The roster binary: $ROSTER_BIN, else the debug build."""
    path = os.environ.get("ROSTER_BIN") or str(ROOT / "target" / "debug" / "roster")
    if not Path(path).exists():
        raise SystemExit(f"{path} does not exist: run `cargo build` first (or set ROSTER_BIN)")
    return path


def rich_seed(extra_users: int = 40) -> dict:
    """An account with users in every status and type, groups with members and admins,
    custom roles with privileges, custom attributes and contact groups."""
    users = [
        {"email": "owner@fidelity.example", "id": "uOwner", "type": "licensed", "firstName": "Olga",
         "lastName": "Owner", "groups": ["staff"], "chatGroups": ["everyone"], "department": "Board",
         "customAttributes": {"costCenter": "1000", "site": "Paris"}},
        {"email": "admin@fidelity.example", "id": "uAdmin", "role": "admin", "type": "licensed",
         "firstName": "Ada", "lastName": "Admin", "addons": ["large-meeting"], "groups": ["staff", "eng"],
         "chatGroups": ["everyone", "eng-chat"], "jobTitle": "IT lead", "location": "Paris",
         "manager": "owner@fidelity.example"},
        {"email": "helper@fidelity.example", "id": "uHelper", "role": "Helpdesk", "type": "licensed",
         "firstName": "Hal", "lastName": "Helper", "groups": ["support"], "chatGroups": ["everyone"],
         "customAttributes": {"costCenter": "2000"}},
        {"email": "basic@fidelity.example", "id": "uBasic", "type": "basic", "firstName": "Bea",
         "groups": ["eng"], "chatGroups": ["everyone", "eng-chat"]},
        {"email": "noname@fidelity.example", "id": "uNoName", "type": "basic"},
        {"email": "gone@fidelity.example", "id": "uInactive", "status": "inactive", "type": "basic",
         "firstName": "Ivo", "lastName": "Inactive", "department": "Sales"},
        {"email": "pending@fidelity.example", "id": "uPending", "status": "pending", "type": "licensed",
         "firstName": "Pia", "lastName": "Pending", "invitedAt": "2026-10-20T09:00:00Z"},
        {"email": "invited@fidelity.example", "status": "pending", "type": "basic",
         "invitedAt": "2026-10-25T09:00:00Z"},
    ]
    for i in range(extra_users):
        users.append({"email": f"user{i:03}@fidelity.example", "id": f"uUser{i:03}", "type": "basic",
                      "firstName": f"User{i:03}", "lastName": "Filler", "groups": ["staff"],
                      "chatGroups": ["everyone"]})
    return {
        "clock": CLOCK,
        "accounts": [{
            "id": ACCOUNT,
            "owner": "owner@fidelity.example",
            "plan": "business",
            "seats": {"licensed": 20, "largeMeeting": 5, "webinar": 5},
            "customAttributes": ["costCenter", "site"],
            "groups": [
                {"id": "gStaff", "name": "staff", "admins": ["admin@fidelity.example"]},
                {"id": "gEng", "name": "eng"},
                {"id": "gSupport", "name": "support"},
                {"id": "gEmpty", "name": "empty"},
            ],
            "chatGroups": [
                {"id": "cEveryone", "name": "everyone", "description": "All of us"},
                {"id": "cEngChat", "name": "eng-chat", "privacy": 2},
            ],
            "roles": [
                {"id": "rHelpdesk", "name": "Helpdesk", "description": "First line",
                 "privileges": ["User:Read", "User:Edit"]},
                {"id": "rAuditor", "name": "Auditor", "privileges": ["Report:Read"]},
            ],
            "users": users,
            "expiredInvitations": {"late@fidelity.example": "2026-09-01T09:00:00Z"},
        }],
        "individuals": [{"email": "solo@example.org", "type": "licensed", "firstName": "Sol"}],
    }


class Sim:
    """A `roster sim serve` process on a free loopback port, stopped by `stop()`."""

    def __init__(self, seed: dict | Path, *extra: str):
        self.dir = tempfile.TemporaryDirectory(prefix="roster-sim-")
        if isinstance(seed, Path):
            seed_path = seed
        else:
            seed_path = Path(self.dir.name) / "seed.yaml"
            seed_path.write_text(json.dumps(seed))  # JSON is YAML
        self.proc = subprocess.Popen(
            [roster_bin(), "--state", str(Path(self.dir.name) / "state"), "sim", "serve",
             "--listen", "127.0.0.1:0", "--seed", str(seed_path), "--client-id", CLIENT_ID,
             "--client-secret", CLIENT_SECRET, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        if not line.startswith("listening on "):
            self.stop()
            raise SystemExit(f"roster sim serve did not start: {line!r}")
        self.url = line.removeprefix("listening on ")
        self.base = f"{self.url}/v2"
        self.token_url = f"{self.url}/oauth/token"

    def token(self) -> str:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        req = urllib.request.Request(
            f"{self.token_url}?grant_type=account_credentials&account_id={ACCOUNT}",
            method="POST", headers={"Authorization": f"Basic {basic}"},
        )
        with urllib.request.urlopen(req) as r:
            return json.load(r)["access_token"]

    def requests(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/_sim/requests") as r:
            return json.load(r)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.dir.cleanup()

    def __enter__(self) -> "Sim":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
