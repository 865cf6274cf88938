"""Third-party Zoom clients from PyPI driven against `roster sim serve`, configured as for
Zoom with only the base URL and the token URL changed.

Clients: zoomus (Server-to-Server OAuth, users/groups/roles components), pyzoom (typed
users, its generic client for the rest; it takes a ready token, fetched from the token URL)
and zoom-python-client (Server-to-Server OAuth, get user, generic GET). Every HTTP answer
they receive is checked against Zoom's published specs (status, JSON, closed response
schema), and what they read is compared with the seed (more than 1,000 users, so lists page).

Prints one line per call (client, call, result) and exits non-zero on any unexpected
failure. Calls that fail because of the client itself, against Zoom's spec, are listed in
KNOWN_CLIENT_FAULTS with the reason.
"""

from __future__ import annotations

import base64
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))

import requests  # noqa: E402

import zoomspec  # noqa: E402
from sim import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Sim  # noqa: E402

ACTIVE = 1050
DOMAIN = "clients.example"

# Calls expected to fail because the client contradicts Zoom's published spec.
KNOWN_CLIENT_FAULTS = {
    ("pyzoom", "users.get_users('pending')"):
        "pyzoom's ZoomUser model requires `id` and `pmi` on every listed user, but users-api.json "
        "says GET /users does not return `id` for pending users (nor has a pending user a PMI yet)",
}


def seed() -> dict:
    users = [{"email": f"owner@{DOMAIN}", "id": "uOwner", "type": "licensed", "firstName": "Olga",
              "lastName": "Owner", "groups": ["everyone"]},
             {"email": f"admin@{DOMAIN}", "id": "uAdmin", "role": "admin", "type": "licensed",
              "firstName": "Ada", "lastName": "Admin", "groups": ["everyone", "ops"], "department": "IT"}]
    for i in range(ACTIVE - 2):
        users.append({"email": f"u{i:04}@{DOMAIN}", "id": f"u{i:04}", "type": "basic",
                      "firstName": f"U{i:04}", "lastName": "Many",
                      "groups": ["everyone"] + (["ops"] if i % 10 == 0 else []),
                      **({"role": "Helpdesk"} if i < 35 else {}),
                      **({"department": "Sales"} if i % 7 == 0 else {})})
    for i in range(6):
        users.append({"email": f"off{i}@{DOMAIN}", "id": f"off{i}", "status": "inactive", "type": "basic",
                      "firstName": f"Off{i}", "lastName": "Line"})
    for i in range(4):
        users.append({"email": f"wait{i}@{DOMAIN}", "status": "pending", "type": "basic",
                      "firstName": f"Wait{i}", "invitedAt": "2026-10-20T09:00:00Z"})
    return {
        "clock": "2026-11-01T09:00:00Z",
        "accounts": [{
            "id": ACCOUNT, "owner": f"owner@{DOMAIN}", "plan": "business",
            "seats": {"licensed": 50, "largeMeeting": 5, "webinar": 5},
            "groups": [{"id": "gEveryone", "name": "everyone"}, {"id": "gOps", "name": "ops"}],
            "roles": [{"id": "rHelpdesk", "name": "Helpdesk", "privileges": ["User:Read"]}],
            "users": users,
        }],
    }


class Recorder:
    """Every answer the clients get, through `requests`, checked against the specs."""

    def __init__(self, base: str):
        self.base = base
        self.specs = zoomspec.Specs("responses")
        self.problems: list[str] = []
        self.answers = 0
        original = requests.Session.send
        recorder = self

        def send(session, request, **kwargs):
            response = original(session, request, **kwargs)
            recorder.observe(request, response)
            return response

        requests.Session.send = send

    def observe(self, request, response) -> None:
        url = request.url or ""
        if not url.startswith(self.base):
            return
        path = url[len(self.base) - 3:].split("?")[0]  # keep the /v2 prefix
        self.answers += 1
        self.problems += zoomspec.check_answer(
            self.specs, request.method, path, response.status_code,
            response.headers.get("content-type", ""), response.content)


class Run:
    def __init__(self):
        self.results: list[tuple[str, str, str]] = []
        self.unexpected: list[str] = []

    def call(self, client: str, name: str, fn):
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - any failure of a client call is a result
            reason = f"{type(e).__name__}: {e}"[:300]
            known = KNOWN_CLIENT_FAULTS.get((client, name))
            self.results.append((client, name, f"FAILS as known: {known} [{reason[:160]}]" if known else f"FAILED {reason}"))
            if not known:
                self.unexpected.append(f"{client} {name}: {reason}\n{traceback.format_exc(limit=3)}")
            return None
        if (client, name) in KNOWN_CLIENT_FAULTS:
            self.results.append((client, name, "ok (listed as a known client fault: remove it)"))
            self.unexpected.append(f"{client} {name}: passes but is listed in KNOWN_CLIENT_FAULTS")
        else:
            self.results.append((client, name, "ok"))
        return out

    def expect(self, what: str, got, want) -> None:
        if got != want:
            raise AssertionError(f"{what}: read {got!r}, the seed has {want!r}")


def ok(resp, *codes):
    if resp.status_code not in codes:
        raise AssertionError(f"HTTP {resp.status_code}: {resp.text[:200]}")
    return resp


def seeded(status: str) -> set[str]:
    return {u["email"] for u in seed()["accounts"][0]["users"] if u.get("status", "active") == status}


def zoomus_calls(run: Run, sim: Sim) -> None:
    from zoomus import ZoomClient

    c = "zoomus"
    z = run.call(c, "ZoomClient(S2S)", lambda: ZoomClient(CLIENT_ID, CLIENT_SECRET, ACCOUNT,
                                                         base_uri=sim.base, oauth_uri=sim.token_url))
    if z is None:
        return

    def list_by_token(status):
        emails, token = [], ""
        while True:
            page = ok(z.user.list(status=status, page_size=300, next_page_token=token), 200).json()
            emails += [u["email"] for u in page["users"]]
            token = page["next_page_token"]
            if not token:
                return emails

    def list_by_page_number():
        first = ok(z.user.list(status="active", page_size=1000, page_number=1), 200).json()
        emails = [u["email"] for u in first["users"]]
        for n in range(2, first["page_count"] + 1):
            emails += [u["email"] for u in ok(z.user.list(status="active", page_size=1000, page_number=n), 200).json()["users"]]
        return emails

    for status in ("active", "inactive", "pending"):
        emails = run.call(c, f"user.list(status={status}) by next_page_token", lambda: list_by_token(status))
        if emails is not None:
            run.call(c, f"  = seed ({status}, {len(emails)} users, none twice)",
                     lambda: run.expect("emails", (sorted(emails), len(set(emails))), (sorted(seeded(status)), len(emails))))
    paged = run.call(c, "user.list(page_size=1000, page_number=N..page_count)", list_by_page_number)
    if paged is not None:
        run.call(c, f"  = seed (active, {len(paged)} users)", lambda: run.expect("emails", sorted(paged), sorted(seeded("active"))))

    def get_user():
        u = ok(z.user.get(id="uAdmin"), 200).json()
        run.expect("user", (u["id"], u["email"], u["first_name"], u["last_name"], u["type"], u["status"], u["role_id"], u["dept"], sorted(u["group_ids"])),
                   ("uAdmin", f"admin@{DOMAIN}", "Ada", "Admin", 2, "active", "1", "IT", ["gEveryone", "gOps"]))
    run.call(c, "user.get(id)", get_user)
    run.call(c, "user.get(pending email)", lambda: run.expect(
        "status", ok(z.user.get(id=f"wait0@{DOMAIN}"), 200).json()["status"], "pending"))
    run.call(c, "user.check_email", lambda: run.expect(
        "existed", ok(z.user.check_email(email=f"u0001@{DOMAIN}"), 200).json()["existed_email"], True))

    created = run.call(c, "user.create(action=create)", lambda: ok(z.user.create(
        action="create", user_info={"email": f"new@{DOMAIN}", "type": 1, "first_name": "Nia", "last_name": "New"}), 201).json())
    if created:
        run.call(c, "  new user read back by its id", lambda: run.expect(
            "user", (lambda u: (u["email"], u["status"]))(ok(z.user.get(id=created["id"]), 200).json()), (f"new@{DOMAIN}", "pending")))
    run.call(c, "user.update(first_name, dept)", lambda: ok(z.user.update(id="u0002", first_name="Renamed", dept="Ops"), 204))
    run.call(c, "  update read back", lambda: run.expect(
        "user", (lambda u: (u["first_name"], u["dept"]))(ok(z.user.get(id="u0002"), 200).json()), ("Renamed", "Ops")))
    run.call(c, "user.update_status(deactivate)", lambda: ok(z.user.update_status(id="u0003", action="deactivate"), 200))
    run.call(c, "  status read back", lambda: run.expect("status", ok(z.user.get(id="u0003"), 200).json()["status"], "inactive"))
    run.call(c, "user.update_status(activate)", lambda: ok(z.user.update_status(id="u0003", action="activate"), 200))
    run.call(c, "user.get_settings", lambda: ok(z.user.get_settings(id="uAdmin"), 200).json()["feature"])
    run.call(c, "user.update_settings(feature.webinar)", lambda: ok(z.user.update_settings(id="uOwner", feature={"webinar": True}), 204))
    run.call(c, "user.delete(action=disassociate)", lambda: ok(z.user.delete(id="u0004", action="disassociate"), 204))
    run.call(c, "user.delete(action=delete)", lambda: ok(z.user.delete(id="u0005", action="delete"), 204))
    run.call(c, "  deleted user is gone (404)", lambda: ok(z.user.get(id="u0005"), 404))

    run.call(c, "group.list", lambda: run.expect(
        "groups", sorted(g["name"] for g in ok(z.group.list(), 200).json()["groups"]), ["everyone", "ops"]))
    run.call(c, "group.get", lambda: run.expect(
        "group", (lambda g: (g["name"], g["total_members"]))(ok(z.group.get(id="gOps"), 200).json()), ("ops", 106)))

    def members_all():
        out, token = [], ""
        while True:
            page = ok(z.group.list_members(groupid="gEveryone", page_size=300, next_page_token=token), 200).json()
            out += [m["email"] for m in page["members"]]
            token = page["next_page_token"]
            if not token:
                return out
    everyone = run.call(c, "group.list_members (paged)", members_all)
    if everyone is not None:
        run.call(c, f"  = seed ({len(everyone)} members)", lambda: run.expect("members", len(everyone), ACTIVE - 2))
    gid = run.call(c, "group.create", lambda: ok(z.group.create(name="clients"), 201).json()["id"])
    if gid:
        run.call(c, "group.add_members(by email) answers the ids", lambda: run.expect(
            "ids", ok(z.group.add_members(groupid=gid, members=[{"email": f"u0010@{DOMAIN}"}, {"id": "u0011"}]), 201).json()["ids"], "u0010,u0011"))
        run.call(c, "group.delete_member", lambda: ok(z.group.delete_member(groupid=gid, memberid="u0010"), 204))
        run.call(c, "group.delete", lambda: ok(z.group.delete(id=gid), 204))

    run.call(c, "role.list", lambda: run.expect(
        "roles", sorted(r["name"] for r in ok(z.role.list(), 200).json()["roles"]), ["Admin", "Helpdesk", "Member", "Owner"]))
    run.call(c, "role.get (trailing slash)", lambda: run.expect(
        "privileges", ok(z.role.get(id="rHelpdesk"), 200).json()["privileges"], ["User:Read"]))
    # 35 seeded holders, less u0004 and u0005 removed above.
    run.call(c, "role.get_members", lambda: run.expect(
        "members", ok(z.role.get_members(id="rHelpdesk", page_size=300), 200).json()["total_records"], 33))
    run.call(c, "role.create", lambda: ok(z.role.create(name="Auditor", description="Reads reports", privileges=["Report:Read"]), 200))
    rid = run.call(c, "  created role found by name", lambda: next(
        r["id"] for r in ok(z.role.list(), 200).json()["roles"] if r["name"] == "Auditor"))
    if rid:
        run.call(c, "role.assign", lambda: run.expect("ids", ok(z.role.assign(id=rid, members=[{"id": "u0020"}]), 201).json()["ids"], "u0020"))
        run.call(c, "role.unassign", lambda: ok(z.role.unassign(id=rid, member="u0020"), 204))
        run.call(c, "role.update", lambda: ok(z.role.update(id=rid, name="Auditors", description="Reads", privileges=["Report:Read", "User:Read"]), 200))
        run.call(c, "role.delete", lambda: ok(z.role.delete(id=rid), 204))


def s2s_token(sim: Sim) -> str:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    r = requests.post(sim.token_url, params={"grant_type": "account_credentials", "account_id": ACCOUNT},
                      headers={"Authorization": f"Basic {basic}"})
    return ok(r, 200).json()["access_token"]


def pyzoom_calls(run: Run, sim: Sim) -> None:
    from pyzoom import ZoomClient

    c = "pyzoom"
    z = run.call(c, "ZoomClient(access_token)", lambda: ZoomClient(access_token=s2s_token(sim), base_url=sim.base))
    if z is None:
        return
    for status in ("active", "inactive", "pending"):
        users = run.call(c, f"users.get_users({status!r})", lambda: z.users.get_users(status))
        if users is not None:
            run.call(c, f"  = seed ({status}, {len(users.users)} typed users)", lambda: run.expect(
                "emails", sorted(u.email for u in users.users), sorted(seeded(status) - {f"u0004@{DOMAIN}", f"u0005@{DOMAIN}"})))
    run.call(c, "users.delete_user", lambda: run.expect("deleted", z.users.delete_user("u0006"), True))
    run.call(c, "raw.get_all_pages('/groups/{id}/members')", lambda: run.expect(
        "members", len(z.raw.get_all_pages("/groups/gOps/members", query={"page_size": 30})["members"]), 106))
    run.call(c, "raw.get('/roles')", lambda: len(z.raw.get("/roles").json()["roles"]))


def zoom_python_client_calls(run: Run, sim: Sim) -> None:
    from zoom_python_client.zoom_api_client import ZoomApiClient
    from zoom_python_client.zoom_auth_api.zoom_auth_api_client import ZoomAuthApiClient

    c = "zoom-python-client"
    ZoomAuthApiClient.oauth_base_url = sim.token_url.removesuffix("/token")  # the token URL
    z = run.call(c, "ZoomApiClient(S2S)", lambda: ZoomApiClient(ACCOUNT, CLIENT_ID, CLIENT_SECRET, api_endpoint=sim.base))
    if z is None:
        return
    run.call(c, "users.get_user", lambda: run.expect(
        "user", (lambda u: (u["email"], u["type"], u["role_id"]))(z.users.get_user("u0001")), (f"u0001@{DOMAIN}", 1, "rHelpdesk")))

    def all_users():
        emails, token = [], None
        while True:
            page = z.make_get_request("/users", {"status": "active", "page_size": 500, "next_page_token": token}).json()
            emails += [u["email"] for u in page["users"]]
            token = page["next_page_token"]
            if not token:
                return emails
    emails = run.call(c, "make_get_request('/users') by next_page_token", all_users)
    if emails is not None:
        run.call(c, f"  = listing without repeats ({len(emails)} users)", lambda: run.expect("repeats", len(emails), len(set(emails))))
    run.call(c, "make_get_request('/groups')", lambda: run.expect(
        "groups", z.make_get_request("/groups").json()["total_records"], 2))


def main() -> int:
    run = Run()
    # The per-second limits are Zoom's (Business: 60 Medium requests a second) and none of
    # these clients waits on a 429, so on a fast machine the run would measure the limiter,
    # not the answers' shapes; the limiter has its own tests (src/provider/sim/serve/tests.rs).
    with Sim(seed(), "--no-rate-limit") as sim:
        recorder = Recorder(sim.base)
        zoomus_calls(run, sim)
        pyzoom_calls(run, sim)
        zoom_python_client_calls(run, sim)
    for client, name, result in run.results:
        print(f"{client:20} {name:55} {result}")
    problems = list(dict.fromkeys(recorder.problems))
    for p in problems:
        print(f"SPEC VIOLATION {p}")
    for u in run.unexpected:
        print(f"UNEXPECTED {u}")
    calls = sum(1 for r in run.results if not r[1].startswith("  "))
    print(f"clients: {len({r[0] for r in run.results})} clients, {calls} calls, "
          f"{len(run.results) - calls} read-back checks, {recorder.answers} answers checked against the spec, "
          f"{len(problems)} spec violations, {len(run.unexpected)} unexpected failures, "
          f"{sum(1 for r in run.results if r[2].startswith('FAILS'))} known client faults")
    return 1 if problems or run.unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
