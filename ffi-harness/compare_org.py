#!/usr/bin/env python3
"""Compare what the Genesys Cloud emulator's org holds with the CIC dataset the host sent.

usage: compare_org.py DATASET.json ORG_USERS.json

For each dataset user with a business email, a Genesys user (state not "deleted") must exist with
that email, name = display_name (trimmed) or the CIC id, and PHONE addresses WORK / WORK2 / MOBILE /
HOME / OTHER equal to business_phone / business_phone_2 / mobile_phone / home_phone / fax (compared
after dropping spaces, dashes, dots and parentheses; an empty CIC field means no address of that type).
A dataset user without a business email must not exist in the org. Prints the org as a table and
every mismatch; exits 1 on any mismatch.
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


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    dataset = json.load(open(sys.argv[1], encoding="utf-8"))["users"]
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
    for p in problems:
        print(f"MISMATCH {p}")
    print(f"compare_org: {checked} dataset users checked, {len(problems)} mismatch(es)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
