"""Issue, list and revoke API keys, and add members, from the command line (reads DATABASE_URL)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from uuid import UUID

import orjson

from beacon_shared.auth.keys import issue_key, list_keys, revoke_key
from beacon_shared.auth.members import add_member
from beacon_shared.auth.roles import ROLES
from beacon_shared.db import create_engine, create_sessionmaker


async def _main(args: argparse.Namespace) -> None:
    engine = create_engine(os.environ["DATABASE_URL"], pool_size=1, app_name="beacon-keys")
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if args.command == "create":
                issued = await issue_key(
                    session,
                    tenant_id=args.tenant,
                    name=args.name,
                    scopes=args.scope or ["*"],
                    rate_limit_per_minute=args.rate_limit,
                )
                out: object = {
                    "id": str(issued.id),
                    "tenant_id": issued.tenant_id,
                    "scopes": issued.scopes,
                    "rate_limit_per_minute": issued.rate_limit_per_minute,
                    "key": issued.key,
                }
            elif args.command == "member":
                added = await add_member(
                    session,
                    tenant_id=args.tenant,
                    issuer=args.issuer,
                    subject=args.subject,
                    role=args.role,
                    email=args.email,
                )
                out = {
                    "tenant_id": added.tenant_id,
                    "user_id": str(added.user_id),
                    "role": added.role,
                }
            elif args.command == "list":
                out = await list_keys(session, tenant_id=args.tenant)
            else:
                await revoke_key(session, tenant_id=args.tenant, key_id=UUID(args.key_id))
                out = {"revoked": args.key_id}
    finally:
        await engine.dispose()
    sys.stdout.buffer.write(orjson.dumps(out, option=orjson.OPT_INDENT_2, default=str) + b"\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main() -> None:
    """Entry point of `python -m beacon_shared.auth`."""
    parser = argparse.ArgumentParser(prog="python -m beacon_shared.auth", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="issue a key (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", default="default")
    create.add_argument("--scope", action="append", help="repeatable; default '*'")
    create.add_argument(
        "--rate-limit",
        type=_positive_int,
        metavar="PER_MINUTE",
        help="requests a minute per API process; default: API_RATE_LIMIT_PER_MINUTE",
    )
    member = sub.add_parser("member", help="make a user of the OpenID Connect issuer a member")
    member.add_argument("--tenant", required=True)
    member.add_argument("--issuer", required=True, help="the issuer URL, as in OIDC_ISSUER")
    member.add_argument("--subject", required=True, help="the user's `sub` at the issuer")
    member.add_argument("--role", required=True, choices=ROLES)
    member.add_argument("--email")
    listing = sub.add_parser("list", help="list a tenant's keys")
    listing.add_argument("--tenant", required=True)
    revoke = sub.add_parser("revoke", help="revoke a key")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("key_id")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
