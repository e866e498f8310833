#!/usr/bin/env python3
"""Seeded LDIF for the two test directories (source.test and target.test).

    gen_directory.py --side source|target --users N --groups G [--seed S]

Writes LDIF for `ldapadd` on stdout: OU=Staff (users), OU=Groups (groups),
N bulk users and G bulk groups per side, and the traps of issue 19, each a
named account so the golden report names them:

  upn.mismatch      same sAMAccountName, different UPN: matched by `sam`
  jdoe.old          renamed; only the UPN's name part agrees: matched by `upn`
  mailbox.src       only a mail that two target users share: ambiguous 1->n
  leaver            the target account is disabled: a warning, still mapped
  contractor        the target account expired in 2012: a warning, still mapped
  legacy-app-users  a group that exists only in the source: unmatched
  mkline            renamed user matched only by employeeID
  sidh.user         renamed everything; the target carries its SID in
                    sIDHistory (written by sid_history.py: Samba drops
                    sIDHistory written over LDAP, see docs/directory.md)
  jsmith, john.smith  two sources, one target (by sam and by mail): n->1
  ghost             a source user with no counterpart: unmatched

Bulk users u00001..: 4 % are renamed on the target with the same UPN name
part (matched by `upn`), 2 % renamed with only the mail in common (`mail`);
the rest keep their sAMAccountName. All users share the mail domain
example.com on both sides. Group members are drawn from the seed; the group
all-staff holds every bulk user (ranged retrieval with a small range size).
"""
import argparse
import random
import sys

TRAPS_SOURCE = [
    # sam, upn name, mail, employeeID, uac
    ("upn.mismatch", "upn.mismatch", "upn.mismatch@example.com", "T000001", 544),
    ("jdoe.old", "jane.doe", "jdoe.old@example.com", "T000002", 544),
    ("mailbox.src", "mailbox.src", "shared.box@example.com", "", 544),
    ("leaver", "leaver", "leaver@example.com", "T000004", 544),
    ("contractor", "contractor", "contractor@example.com", "T000005", 544),
    ("mkline", "mkline", "m.kline@example.com", "E777777", 544),
    ("sidh.user", "sidh.user", "sidh.user@example.com", "", 544),
    ("jsmith", "jsmith", "j.smith@example.com", "T000008", 544),
    ("john.smith", "john.smith", "john.smith@example.com", "", 544),
    ("ghost", "ghost", "ghost@example.com", "T000010", 544),
]
TRAPS_TARGET = [
    ("upn.mismatch", "u.mismatch", "upn.mismatch@example.com", "T000001", 544),
    ("jane.doe2", "jane.doe", "jane.doe2@example.com", "T000102", 544),
    ("dup.a", "dup.a", "shared.box@example.com", "", 544),
    ("dup.b", "dup.b", "shared.box@example.com", "", 544),
    ("leaver", "leaver", "leaver@example.com", "T000004", 546),
    ("contractor", "contractor", "contractor@example.com", "T000005", 544),
    ("mkline-smith", "m.kline-smith", "m.kline-smith@example.com", "E777777", 544),
    ("sidh.renamed", "sidh.renamed", "sidh.renamed@example.com", "", 544),
    ("jsmith", "jsmith", "john.smith@example.com", "T000108", 544),
]
EXPIRED = 130000000000000000  # 2012-12-15, as a FILETIME


def dc(realm):
    return ",".join("DC=" + p for p in realm.split("."))


def user(out, base, realm, sam, upn, mail, emp, uac, expires=None):
    out.append("dn: CN=%s,OU=Staff,%s" % (sam, base))
    out.append("objectClass: user")
    out.append("sAMAccountName: %s" % sam)
    out.append("userPrincipalName: %s@%s" % (upn, realm))
    if mail:
        out.append("mail: %s" % mail)
    if emp:
        out.append("employeeID: %s" % emp)
    out.append("userAccountControl: %d" % uac)
    if expires:
        out.append("accountExpires: %d" % expires)
    out.append("")


def group(out, base, name, members):
    out.append("dn: CN=%s,OU=Groups,%s" % (name, base))
    out.append("objectClass: group")
    out.append("sAMAccountName: %s" % name)
    for m in members:
        out.append("member: CN=%s,OU=Staff,%s" % (m, base))
    out.append("")


def bulk_user(i, side, rng_pick):
    """(sam, upn name, mail, employeeID) of bulk user i on one side."""
    sam = "u%05d" % i
    mail = "user%05d@example.com" % i
    emp = "E%06d" % i
    if side == "target" and rng_pick < 0.04:
        return ("x-" + sam, sam, mail if rng_pick < 0.02 else "x" + mail, emp)
    if side == "target" and rng_pick < 0.06:
        return ("y-" + sam, "y-" + sam, mail, "")
    return (sam, sam, mail, emp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", choices=["source", "target"], required=True)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    a = ap.parse_args()
    realm = a.side + ".test"
    base = dc(realm)
    rng = random.Random(a.seed)
    picks = [rng.random() for _ in range(a.users + 1)]
    out = ["dn: OU=Staff,%s" % base, "objectClass: organizationalUnit", "",
           "dn: OU=Groups,%s" % base, "objectClass: organizationalUnit", ""]
    names = []
    for i in range(1, a.users + 1):
        sam, upn, mail, emp = bulk_user(i, a.side, picks[i])
        user(out, base, realm, sam, upn, mail, emp, 544)
        names.append(sam)
    for sam, upn, mail, emp, uac in (TRAPS_SOURCE if a.side == "source" else TRAPS_TARGET):
        user(out, base, realm, sam, upn, mail, emp, uac,
             EXPIRED if a.side == "target" and sam == "contractor" else None)
    # Memberships come from one stream of the seed, so both sides agree.
    grng = random.Random(a.seed * 7919)
    for g in range(1, a.groups + 1):
        members = sorted(grng.sample(range(1, a.users + 1), min(a.users, grng.randrange(0, 12))))
        group(out, base, "g%04d" % g, [names[m - 1] for m in members])
    group(out, base, "all-staff", names)
    if a.side == "source":
        group(out, base, "legacy-app-users", ["ghost", "mkline"])
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
