"""Request dependencies of the interactions package."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ingest.interactions.group_commit import GroupCommitter


def _committer(request: Request) -> GroupCommitter:
    committer: GroupCommitter = request.app.state.committer
    return committer


Committer = Annotated[GroupCommitter, Depends(_committer)]
