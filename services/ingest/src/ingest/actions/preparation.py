"""Before an action's network call: the call to make, or why the action ends without one.

Nothing here writes: the executor records a refusal (its final outcome) in the transaction that
records any other outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionOutcome
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.crypto import SecretsUnreadable
from beacon_shared.messaging import no_dm_api, reply_window, window_closed
from ingest.accounts import service as accounts
from ingest.accounts.exceptions import AccountNotFound
from ingest.accounts.schemas import AccountStatus
from ingest.actions.networks.base import NetworkClient, Target
from ingest.actions.schemas import ClaimedAction

NO_CLIENT = {
    Network.custom: "custom sources have no network Beacon can act on",
    Network.linkedin: "Beacon does not act on LinkedIn comments yet",
}


@dataclass(frozen=True)
class Finish:
    """No call: the action ends with this outcome."""

    outcome: ActionOutcome
    reason: str


@dataclass(frozen=True)
class Prepared:
    """The call to make: the network's client, what it acts on and with which credentials."""

    client: NetworkClient
    target: Target
    credentials: Mapping[str, str]
    # The registry's version of the credentials (None for ingest's own accounts).
    version: int | None
    # An earlier attempt may have acted unseen (its answer lost, or its worker gone mid-call).
    uncertain: bool


async def prepare(
    action: ClaimedAction,
    *,
    now: datetime,
    clients: Mapping[Network, NetworkClient],
    sessionmaker: async_sessionmaker[AsyncSession],
    credentials_key: SecretStr | None,
) -> Prepared | Finish:
    """The call to make for a claimed action, or why it ends without one."""
    client = clients.get(action.network)
    if client is None:
        reason = NO_CLIENT.get(action.network, f"Beacon cannot act on {action.network.value}")
        return Finish(ActionOutcome.unsupported, reason)
    cannot = client.unsupported(action.action)
    if cannot is not None:
        return Finish(ActionOutcome.unsupported, cannot)
    if action.action is NetworkAction.reply and not (action.reply_text or "").strip():
        return Finish(ActionOutcome.failed, "a reply needs reply_text")
    message_tag = None
    if action.private:
        refused = _private_refusal(action, now)
        if refused is not None:
            return refused
        message_tag = reply_window(
            action.network, action.last_inbound_at, human_agent=action.human_agent, now=now
        ).tag
    uncertain = (action.uncertain_since or action.attempt_started_at) is not None
    if uncertain and not may_resend(client, action, now):
        return Finish(
            ActionOutcome.failed,
            "outcome unknown: an earlier attempt got no answer and "
            f"{action.network.value} cannot dedupe a resent reply; check the thread before "
            "asking again",
        )
    found = (
        await _account(sessionmaker, credentials_key, action)
        if client.needs_account
        else ("", {}, None)
    )
    if isinstance(found, str):
        return Finish(ActionOutcome.failed, found)
    account_external_id, credentials, version = found
    target = Target(
        action_id=action.id,
        action=action.action,
        external_id=action.external_id,
        thread_external_id=action.thread_external_id,
        reply_text=action.reply_text,
        author_handle=action.author_handle,
        account_external_id=account_external_id,
        private=action.private,
        recipient_external_id=action.recipient_external_id,
        message_tag=message_tag,
    )
    return Prepared(client, target, credentials, version, uncertain)


def may_resend(client: NetworkClient, action: ClaimedAction, now: datetime) -> bool:
    """Whether a call that may already have acted can be made again: hides and deletes
    always can (doing one twice changes nothing), a reply only under an idempotency key
    the network still remembers."""
    if action.action is not NetworkAction.reply:
        return True
    window = client.idempotency_window(action.action)
    first = action.first_attempt_at or action.uncertain_since or action.attempt_started_at
    return window is not None and first is not None and now - first < window


async def _account(
    sessionmaker: async_sessionmaker[AsyncSession],
    credentials_key: SecretStr | None,
    action: ClaimedAction,
) -> tuple[str, Mapping[str, str], int | None] | str:
    """The account's own network id, credentials and the registry's version of them (None
    for ingest's own account), or why it cannot act."""
    if not action.account_id:
        return "the request names no connected account"
    try:
        account_id = UUID(action.account_id)
    except ValueError:
        return f"no connected account {action.account_id}"
    async with sessionmaker() as session:
        try:
            account = await accounts.get(session, tenant_id=action.tenant_id, account_id=account_id)
            if account.network != action.network.value:
                return f"account {account_id} is on {account.network}, not {action.network}"
            if account.status == AccountStatus.needs_reauth.value:
                return "the account needs re-authorisation: reconnect it"
            if account.status == AccountStatus.paused.value:
                return "the account is paused"
            if account.status == AccountStatus.disconnected.value:
                return "the account was disconnected in the workspace: connect it again"
            credentials = await accounts.decrypt_credentials(
                session, account_id=account_id, key=credentials_key
            )
        except AccountNotFound:
            return f"no connected account {account_id} (was it disconnected?)"
        except SecretsUnreadable as exc:
            return f"the account's credentials cannot be read: {exc}"
    if credentials is None:
        return "the account has no credentials: reconnect it with them"
    return str(account.external_account_id), credentials, account.workspace_version


def _private_refusal(action: ClaimedAction, now: datetime) -> Finish | None:
    """Why an action on a private message cannot be carried out now, before any call: hiding
    or deleting one (no network offers it), a reply on a network without a messaging API Beacon
    speaks, or outside the network's messaging window."""
    network = action.network
    if action.action is not NetworkAction.reply:
        done = "hidden" if action.action is NetworkAction.hide else "deleted"
        return Finish(
            ActionOutcome.unsupported,
            f"a private message cannot be {done} on {network.value}: only comments can",
        )
    cannot = no_dm_api(network)
    if cannot is not None:
        return Finish(ActionOutcome.unsupported, cannot)
    if not action.recipient_external_id:
        return Finish(ActionOutcome.failed, "a private reply needs its recipient's id")
    window = reply_window(network, action.last_inbound_at, human_agent=action.human_agent, now=now)
    if not window.open:
        return Finish(
            ActionOutcome.failed, window_closed(network, window, human_agent=action.human_agent)
        )
    return None
