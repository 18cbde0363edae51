"""The product's topics, their partition counts and record keys."""

from __future__ import annotations

from beacon_shared.topics import TopicSpec

COMMENT_RECEIVED = TopicSpec(
    "comment.received",
    12,
    "Comments, replies, mentions and direct messages received by ingest.",
    key="the thread (post or conversation) id, else the interaction's external id",
)
ENGAGEMENT_RECORDED = TopicSpec(
    "engagement.recorded",
    12,
    "Reactions, shares and follows received by ingest.",
    key="the engaged object's external id (post or comment), else the interaction's",
)
COMMENT_MODERATED = TopicSpec(
    "comment.moderated",
    12,
    "Moderation decisions, one per comment.",
    key="the thread id, like comment.received",
)
POST_SCHEDULED = TopicSpec(
    "post.scheduled",
    6,
    "Posts scheduled, rescheduled or cancelled.",
    key="the post id",
)
POST_PUBLISHED = TopicSpec(
    "post.published",
    6,
    "Posts published to a network, one event per target account.",
    key="the post id",
)
POST_FAILED = TopicSpec(
    "post.failed",
    6,
    "Posts that could not be published on a target account, one event per target.",
    key="the post id",
)
ACCOUNT_DEAUTHORIZED = TopicSpec(
    "account.deauthorized",
    3,
    "Accounts whose token the network refused (publishing accounts) or whose refresh it refused "
    "for good (the workspace's connected accounts): they need connecting again.",
    key="the account id",
)
ACCOUNT_CONNECTED = TopicSpec(
    "account.connected",
    3,
    "Network accounts connected (or connected again) to a brand in the workspace, with their "
    "credentials sealed.",
    key="the account id",
)
ACCOUNT_CREDENTIALS_CHANGED = TopicSpec(
    "account.credentials.changed",
    3,
    "Connected accounts' refreshed credentials, sealed.",
    key="the account id",
)
ACCOUNT_DISCONNECTED = TopicSpec(
    "account.disconnected",
    3,
    "Connected accounts disconnected from their brand.",
    key="the account id",
)
ACCOUNT_HANDED_OVER = TopicSpec(
    "account.handover",
    3,
    "Accounts ingest or the publisher connected themselves, handed over once to the workspace's "
    "registry with their credentials sealed.",
    key="the account id",
)
ACCOUNT_REFRESH_REQUESTED = TopicSpec(
    "account.refresh.requested",
    3,
    "Workspace accounts whose token a network refused to a service: the registry refreshes them "
    "at once, or marks them needs-reauth.",
    key="the account id",
)
BRAND_CONFIGURED = TopicSpec(
    "brand.configured",
    3,
    "Brands' publishing settings (time zone, approval, pause on alert), whole each time.",
    key="the brand id",
)
CAMPAIGN_CHANGED = TopicSpec(
    "campaign.changed",
    3,
    "Campaigns created or changed, whole each time.",
    key="the campaign id",
)
POST_METRICS_OBSERVED = TopicSpec(
    "post.metrics.observed",
    12,
    "Public metrics of the brands' own posts and of tracked competitors' posts, as polled.",
    key="the post's external id",
)
ALERT_RAISED = TopicSpec(
    "alert.raised",
    3,
    "Bad-buzz alerts: a brand's negative sentiment or mention volume left its baseline.",
    key="the brand id",
)
ALERT_RESOLVED = TopicSpec(
    "alert.resolved",
    3,
    "Bad-buzz alerts closed.",
    key="the brand id",
)
REPORT_GENERATED = TopicSpec(
    "report.generated",
    3,
    "Scheduled reports ready to download.",
    key="the brand id",
)
ACTION_REQUESTED = TopicSpec(
    "action.requested",
    12,
    "Hide, delete and reply requests from moderation, and replies from the inbox, carried out by "
    "ingest.",
    key="the thread id, like comment.received",
)
ACTION_COMPLETED = TopicSpec(
    "action.completed",
    12,
    "Outcomes of requested network actions, one per request.",
    key="the thread id, like comment.received",
)
OWN_ACTIVITY_RECORDED = TopicSpec(
    "own.activity.recorded",
    12,
    "Comments, replies and private messages the connected accounts made themselves.",
    key="the thread id, like comment.received",
)
SLA_BREACHED = TopicSpec(
    "sla.breached",
    6,
    "Inbox conversations whose SLA clock ran past its due time, once per clock.",
    key="the conversation id",
)
RESPONSE_RECORDED = TopicSpec(
    "response.recorded",
    6,
    "The brand's responses to waiting inbox conversations, timed in business hours.",
    key="the conversation id",
)
RESOLUTION_RECORDED = TopicSpec(
    "resolution.recorded",
    6,
    "Inbox conversations resolved, timed in business hours.",
    key="the conversation id",
)
ERASURE_REQUESTED = TopicSpec(
    "erasure.requested",
    3,
    "Requests to erase one author's data, made in the workspace; every service holding authors' "
    "data reads them.",
    key="the erasure id",
)
ERASURE_COMPLETED = TopicSpec(
    "erasure.completed",
    3,
    "Each service's outcome of an erasure (what it erased, counted by kind), read by the "
    "workspace into the request's receipt.",
    key="the erasure id",
)

CONVERSATION_RESOLVED = TopicSpec(
    "conversation.resolved",
    6,
    "Inbox conversations a member resolved while comments in them still waited for review: "
    "moderation closes their review items.",
    key="the conversation id",
)

ALL_TOPICS = (
    COMMENT_RECEIVED,
    ENGAGEMENT_RECORDED,
    COMMENT_MODERATED,
    POST_SCHEDULED,
    POST_PUBLISHED,
    POST_FAILED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DISCONNECTED,
    ACCOUNT_HANDED_OVER,
    ACCOUNT_REFRESH_REQUESTED,
    BRAND_CONFIGURED,
    CAMPAIGN_CHANGED,
    POST_METRICS_OBSERVED,
    ALERT_RAISED,
    ALERT_RESOLVED,
    REPORT_GENERATED,
    ACTION_REQUESTED,
    ACTION_COMPLETED,
    SLA_BREACHED,
    CONVERSATION_RESOLVED,
    RESPONSE_RECORDED,
    RESOLUTION_RECORDED,
    OWN_ACTIVITY_RECORDED,
    ERASURE_REQUESTED,
    ERASURE_COMPLETED,
)
TOPICS = {t.name: t for t in ALL_TOPICS}
