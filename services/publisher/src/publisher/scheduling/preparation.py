"""Everything a claimed target needs before its network call: the account, as whom it goes out,
and the content, its media fetched from public addresses only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from beacon_shared.crypto import SecretBox, SecretsUnreadable
from publisher.campaigns.service import CampaignRow, utm_for
from publisher.campaigns.utm import tag_link, tag_links_in_text
from publisher.connectors.base import Account, MediaFile, PublishContent
from publisher.delivery.service import ClaimedTarget
from publisher.delivery.variants import Variant, variant_for
from publisher.media import MediaRefused, fetch_media
from publisher.media.fetch import DEFAULT_MEDIA_TYPES

_LINK_CARD_NETWORKS = frozenset({Network.facebook, Network.linkedin})


class NotPublishable(Exception):
    """The target cannot go out as it stands; `kind` is the failure kind it is recorded with."""

    def __init__(self, reason: str, *, kind: str, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        # A media host that timed out or answered 5xx may answer later.
        self.retryable = retryable


@dataclass(frozen=True)
class MediaLimits:
    """What a post's media may be."""

    max_bytes: int = 100 * 1024 * 1024
    allowed_types: frozenset[str] = DEFAULT_MEDIA_TYPES


def account_for(claimed: ClaimedTarget, rows: Mapping[UUID, Row[Any]], box: SecretBox) -> Account:
    """The target's account, decrypted; NotPublishable when it is gone, paused or refused."""
    try:
        row = rows.get(UUID(claimed.account_id))
    except ValueError:
        row = None
    if row is None:
        raise NotPublishable(
            f"the publishing account {claimed.account_id} was disconnected", kind="account"
        )
    if row.status == "needs_reauth":
        raise NotPublishable(
            f"the account needs reconnecting: {row.status_reason or 'its token was refused'}",
            kind="credentials",
        )
    if row.status == "disconnected":
        raise NotPublishable("the account was disconnected in the workspace", kind="account")
    if row.status == "paused":
        raise NotPublishable("the account is paused", kind="account")
    try:
        credentials = box.decrypt(row.credentials_encrypted) if row.credentials_encrypted else {}
    except SecretsUnreadable as exc:
        raise NotPublishable(
            f"the account's credentials cannot be read: {exc}", kind="account"
        ) from exc
    return Account(
        id=row.id,
        tenant_id=row.tenant_id,
        network=Network(row.network),
        external_account_id=row.external_account_id,
        handle=row.handle,
        instance_url=row.instance_url,
        credentials=credentials,
        credentials_version=row.workspace_version,
    )


def tagged_variant(claimed: ClaimedTarget, campaign: CampaignRow | None) -> Variant:
    """The network's variant of the post, its links tagged with the campaign's UTM values."""
    variant = variant_for(
        claimed.network,
        text=claimed.text,
        link=claimed.link,
        media=claimed.media,
        first_comment=claimed.first_comment,
        variants=claimed.variants,
    )
    if campaign is None:
        return variant
    utm = utm_for(campaign, claimed.network.value)
    # utm_content names the post, so conversions are attributed to it as well.
    return replace(
        variant,
        text=tag_links_in_text(variant.text, **utm, content=str(claimed.post_id)),
        link=tag_link(variant.link, **utm, content=str(claimed.post_id)) if variant.link else None,
    )


def published_text(claimed: ClaimedTarget, variant: Variant) -> str:
    """The text as it goes out: Facebook and LinkedIn show the link as a card of its own,
    elsewhere it goes in the text."""
    return variant.text if claimed.network in _LINK_CARD_NETWORKS else variant.text_with_link


async def content_for(
    claimed: ClaimedTarget,
    *,
    http: httpx.AsyncClient,
    limits: MediaLimits,
    campaign: CampaignRow | None,
) -> PublishContent:
    """The tagged variant of the post, with its media fetched."""
    variant = tagged_variant(claimed, campaign)
    files = []
    for item in variant.media:
        try:
            fetched = await fetch_media(
                item.url,
                client=http,
                max_bytes=limits.max_bytes,
                allowed_types=limits.allowed_types,
            )
        except MediaRefused as exc:
            raise NotPublishable(
                f"media {item.url}: {exc.detail}", kind="media", retryable=exc.retryable
            ) from exc
        files.append(MediaFile(item.url, fetched.content_type, fetched.content, item.alt_text))
    return PublishContent(
        text=published_text(claimed, variant),
        link=variant.link,
        media=files,
        first_comment=variant.first_comment,
    )
