"""Request dependencies of the receive path.

Coroutines, so that FastAPI does not hand them to its thread pool on every delivery.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ingest.accounts.directory import AccountDirectory
from ingest.interactions.group_commit import GroupCommitter


async def _committer(request: Request) -> GroupCommitter:
    committer: GroupCommitter = request.app.state.committer
    return committer


async def _accounts(request: Request) -> AccountDirectory:
    directory: AccountDirectory = request.app.state.accounts
    return directory


Committer = Annotated[GroupCommitter, Depends(_committer)]
Accounts = Annotated[AccountDirectory, Depends(_accounts)]
