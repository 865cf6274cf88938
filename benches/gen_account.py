#!/usr/bin/env python3
"""gen_account.py DIR USERS CHANGED [NAME]
An account of USERS users that the manifests (DIR/NAME, default DIR/m: 100 files under
users/) already match, except CHANGED users whose department differs: the apply is
CHANGED profile edits on a USERS-user account, so it observes, plans and saves the whole
account but sends few requests. The seed (embedded simulator) is DIR/seed.yaml, outside
the manifest folder as an admin keeps it; several NAMEs share it. 10% of the users are
licensed; each is in one of 10 groups with a department and a cost centre."""
import os, sys
d, n, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
m = os.path.join(d, sys.argv[4] if len(sys.argv) > 4 else "m")
os.makedirs(os.path.join(m, "users"), exist_ok=True)
groups = [f"team-{g:02d}" for g in range(10)]
open(os.path.join(m, "account.yaml"), "w").write("""kind: Account
name: big
owner: owner@big.example
provider:
  sim:
    seed: ../seed.yaml
defaults:
  userType: basic
customAttributes: [costCenter]
policy:
  prune: false
  removeAction: disassociate
  maxRemovals: 10
""")
open(os.path.join(m, "groups.yaml"), "w").write(
    "\n---\n".join(f"kind: Group\nname: {g}\n" for g in groups))
def user(i):
    kind = "licensed" if i % 10 == 0 else "basic"
    return (f"u{i:06d}@big.example", kind, f"First{i}", f"Last{i}", groups[i % 10], f"Dept{i % 37}", f"{1000 + i % 50}")
users = [user(i) for i in range(n)]
per = max(1, -(-n // 100))
for f in range(0, n, per):
    rows = []
    for i in range(f, min(n, f + per)):
        e, kind, fn, ln, g, dept, cc = users[i]
        if i < changed:
            dept = f"Moved{i % 7}"
        rows.append(f"  - {{ email: {e}, type: {kind}, firstName: {fn}, lastName: {ln}, group: {g}, department: {dept}, customAttributes: {{ costCenter: \"{cc}\" }} }}\n")
    open(os.path.join(m, "users", f"u{f // per:03d}.yaml"), "w").write("kind: Users\nitems:\n" + "".join(rows))
open(os.path.join(m, "users", "owner.yaml"), "w").write(
    "kind: User\nemail: owner@big.example\nfirstName: Olivia\nlastName: Owner\ntype: licensed\ngroup: team-00\n")
lines = ["kind: SimulatorSeed", "clock: 2026-11-01T09:00:00Z", "accounts:", "  - id: big", "    owner: owner@big.example",
         "    plan: business", f"    seats: {{ licensed: {n // 10 + 2} }}", "    customAttributes: [costCenter]", "    groups:"]
lines += [f"      - {{ name: {g} }}" for g in groups]
lines += ["    users:", "      - { email: owner@big.example, role: owner, type: licensed, firstName: Olivia, lastName: Owner, groups: [team-00] }"]
lines += [f"      - {{ email: {e}, type: {kind}, firstName: {fn}, lastName: {ln}, groups: [{g}], department: {dept}, customAttributes: {{ costCenter: \"{cc}\" }} }}"
          for e, kind, fn, ln, g, dept, cc in users]
open(os.path.join(d, "seed.yaml"), "w").write("\n".join(lines) + "\n")
