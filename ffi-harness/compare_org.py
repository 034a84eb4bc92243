#!/usr/bin/env python3
"""Compare what the Genesys Cloud emulator's org holds with the CIC dataset the host sent.

usage: compare_org.py DATASET.json ORG_USERS.json [ORG_QUEUES.json ORG_WRAPUP_CODES.json [PRESENCES.json]]

For each dataset user with a business email, a Genesys user (state not "deleted") must exist with
that email, name = display_name (trimmed) or the CIC id, and PHONE addresses WORK / WORK2 / MOBILE /
HOME / OTHER equal to business_phone / business_phone_2 / mobile_phone / home_phone / fax (compared
after dropping spaces, dashes, dots and parentheses; an empty CIC field means no address of that type).
A dataset user without a business email must not exist in the org. Prints the org as a table and
every mismatch; exits 1 on any mismatch. With PRESENCES.json (GET /__emulator/presences) each agent
status of the dataset must show as its presence from the default table, in gcsync's own source.

With the queue and wrap-up code dumps (GET /__emulator/queues, /__emulator/wrapupcodes): each
dataset wrap-up code exists exactly once under its name (or id when it has none); each dataset
workgroup is exactly one queue of that name whose direct members are the Genesys users of its
members (by their emails; members without an email are not expected) and whose wrap-up codes are
the Genesys codes of its codes.
"""
import json
import re
import sys

PHONES = [("business_phone", "WORK"), ("business_phone_2", "WORK2"), ("mobile_phone", "MOBILE"),
          ("home_phone", "HOME"), ("fax", "OTHER")]


def norm(p):
    return re.sub(r"[\s\-.()]", "", p or "")


def present(v):
    return v is not None and v.strip() != ""


def phones_of(g):
    out = {}
    for a in g.get("addresses") or []:
        if a.get("mediaType") == "PHONE":
            out[a.get("type")] = a.get("address") or a.get("display") or ""
    return out


def compare_routing(data, org_users, queues, codes, problems):
    """Queues, their members and wrap-up codes, and wrap-up codes, against the dataset."""
    users = {u["id"]: u for u in data["users"]}
    gid_of_email = {(g.get("email") or "").lower(): g["id"] for g in org_users if g.get("state") != "deleted"}
    code_ids = {}
    print(f"Genesys wrap-up codes ({len(codes)}): " + ", ".join(sorted(c["name"] for c in codes)))
    for c in data.get("wrapup_codes", []):
        name = c.get("name") or c["id"]
        found = [x for x in codes if x["name"] == name]
        if len(found) != 1:
            problems.append(f"wrap-up code {c['id']}: {len(found)} Genesys codes named {name!r} (want 1)")
        else:
            code_ids[c["id"]] = found[0]["id"]
    print(f"Genesys queues ({len(queues)}):")
    for q in queues:
        direct = [m for m in q.get("members", []) if m.get("memberBy") == "user"]
        print(f"  {q['name']:<16} {len(direct)} member(s), {len(q.get('wrapupCodes', []))} wrap-up code(s)")
    for w in data.get("workgroups", []):
        found = [q for q in queues if q["name"] == w["id"]]
        if len(found) != 1:
            problems.append(f"workgroup {w['id']}: {len(found)} queues of that name (want 1)")
            continue
        q = found[0]
        want = set()
        for m in w.get("members", []):
            email = (users.get(m, {}).get("business_email") or "").strip().lower()
            if email:
                want.add(gid_of_email.get(email, f"<no Genesys user for {m}>"))
        have = {m["id"] for m in q.get("members", []) if m.get("memberBy") == "user"}
        if have != want:
            problems.append(f"workgroup {w['id']}: queue members {sorted(have)}, want {sorted(want)}")
        want_codes = {code_ids.get(c, f"<no Genesys code for {c}>") for c in w.get("wrapup_codes", [])}
        if set(q.get("wrapupCodes", [])) != want_codes:
            problems.append(f"workgroup {w['id']}: queue wrap-up codes {sorted(q.get('wrapupCodes', []))}, "
                            f"want {sorted(want_codes)}")
    return len(data.get("workgroups", [])) + len(data.get("wrapup_codes", []))


# The stock CIC statuses the sample dataset uses and the Genesys system presence each must show
# (README "Agent presence": the default table, no ACD).
PRESENCE_OF = {
    "Available": "Available",
    "At Lunch": "Meal",
    "Do Not Disturb": "Busy",
    "Away from Desk": "Away",
    "In a Meeting": "Meeting",
    "Gone Home": "Offline",
}


def compare_presences(data, org_users, presences, problems):
    """Each agent status of the dataset shows as its table row's presence, in gcsync's own
    (primary) source, on the agent's Genesys user."""
    by_email = {(g.get("email") or "").lower(): g["id"] for g in org_users}
    emails = {u["id"]: (u.get("business_email") or "").strip().lower() for u in data["users"]}
    print(f"Genesys presences ({len(presences)} users):")
    for s in data.get("agent_statuses", []):
        gid = by_email.get(emails.get(s["id"], ""))
        p = presences.get(gid or "", {}).get("presence", {})
        have = p.get("presenceDefinition", {}).get("systemPresence")
        print(f"  {s['id']:<12} {s['status']:<16} -> {have} ({p.get('source', '?')})")
        want = PRESENCE_OF[s["status"]]
        if have != want:
            problems.append(f"agent {s['id']}: presence {have!r}, want {want!r} for status {s['status']!r}")
        if p.get("source") == "PURECLOUD" or not p.get("primary", False):
            problems.append(f"agent {s['id']}: presence not in gcsync's own primary source ({p.get('source')!r})")
    return len(data.get("agent_statuses", []))


def main():
    if len(sys.argv) not in (3, 5, 6):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    data = json.load(open(sys.argv[1], encoding="utf-8"))
    dataset = data["users"]
    org = json.load(open(sys.argv[2], encoding="utf-8"))
    live = [g for g in org if g.get("state") != "deleted"]

    print(f"Genesys org ({len(org)} users, {len(live)} not deleted):")
    print(f"  {'name':<28} {'email':<30} {'state':<8} phones")
    for g in org:
        ph = ", ".join(f"{t}={n}" for t, n in sorted(phones_of(g).items()))
        print(f"  {g.get('name', ''):<28} {g.get('email', ''):<30} {g.get('state', ''):<8} {ph}")
    print()

    by_email = {}
    for g in live:
        by_email.setdefault((g.get("email") or "").lower(), []).append(g)
    problems, checked = [], 0
    for u in dataset:
        uid = u["id"]
        want_name = u.get("display_name").strip() if present(u.get("display_name")) else uid
        email = u.get("business_email")
        if not present(email):
            ghosts = [g for g in live if g.get("name") == want_name]
            if ghosts:
                problems.append(f"{uid}: has no business email but the org holds {len(ghosts)} user(s) named {want_name!r}")
            checked += 1
            continue
        found = by_email.get(email.strip().lower(), [])
        if len(found) != 1:
            problems.append(f"{uid}: {len(found)} org users with email {email!r} (want exactly 1)")
            continue
        g = found[0]
        checked += 1
        if g.get("email") != email.strip():
            problems.append(f"{uid}: email {g.get('email')!r}, want {email!r}")
        if g.get("name") != want_name:
            problems.append(f"{uid}: name {g.get('name')!r}, want {want_name!r}")
        have = phones_of(g)
        for field, gtype in PHONES:
            want = norm(u.get(field)) if present(u.get(field)) else None
            got = norm(have.get(gtype)) if gtype in have else None
            if want != got:
                problems.append(f"{uid}: {gtype} phone {have.get(gtype)!r}, want {u.get(field)!r} ({field})")
        extra = set(have) - {t for _, t in PHONES}
        if extra:
            problems.append(f"{uid}: unexpected phone types {sorted(extra)}")
    known = {(u.get("business_email") or "").strip().lower() for u in dataset}
    others = [g for g in live if (g.get("email") or "").lower() not in known]
    if others:
        print(f"note: {len(others)} org user(s) not from the dataset (pre-existing): "
              + ", ".join(g.get("email", "?") for g in others))
    if len(sys.argv) == 5:
        queues = json.load(open(sys.argv[3], encoding="utf-8"))
        codes = json.load(open(sys.argv[4], encoding="utf-8"))
        checked += compare_routing(data, org, queues, codes, problems)
    if len(sys.argv) == 6:
        presences = json.load(open(sys.argv[5], encoding="utf-8"))
        checked += compare_presences(data, org, presences, problems)
    for p in problems:
        print(f"MISMATCH {p}")
    print(f"compare_org: {checked} dataset objects checked, {len(problems)} mismatch(es)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
