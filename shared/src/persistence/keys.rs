//! The table's keys, in one place. Every partition key starts with the tenant, and everything a
//! message send writes lives in that conversation's partition (plus the sender's own membership
//! item), so no per-tenant item is written on the hot path.
//!
//! Every item, with its attributes, is in docs/CHAT.md's data model; `keys_doc_tests` checks
//! that table against these functions.
//!
//! Connection items carry a TTL past API Gateway's 2-hour limit: TTL sweeps what `$disconnect` missed.

use crate::domain::ids::{ClientMessageId, ConversationId, MessageId, TenantId, UserId};
use crate::ports::store::Key;

/// Every tenant-scoped partition key starts `T#{tenant}#`.
pub const TENANT_PK_PREFIX: &str = "T#";
pub const META: &str = "META";
pub const MEMBER_PREFIX: &str = "MEM#";
pub const MESSAGE_PREFIX: &str = "MSG#";
pub const CHANGE_PREFIX: &str = "CHG#";
pub const MEMBERSHIP_PREFIX: &str = "CONV#";
pub const PUBLIC_CHANNEL_PREFIX: &str = "PUBCHAN#";

pub fn conversation_pk(t: &TenantId, c: &ConversationId) -> String {
    format!("T#{t}#C#{c}")
}
pub fn conversation_meta(t: &TenantId, c: &ConversationId) -> Key {
    Key::new(conversation_pk(t, c), META)
}
pub fn member(t: &TenantId, c: &ConversationId, u: &UserId) -> Key {
    Key::new(conversation_pk(t, c), format!("{MEMBER_PREFIX}{u}"))
}
pub fn message_sk(m: &MessageId) -> String {
    format!("{MESSAGE_PREFIX}{m}")
}
pub fn message(t: &TenantId, c: &ConversationId, m: &MessageId) -> Key {
    Key::new(conversation_pk(t, c), message_sk(m))
}
/// Replies live under their thread (`RPL#{root}#{reply}`), not under `MSG#`: the main history
/// is one query that never reads a thread's replies, and a thread is one query of its own. A
/// reply also sent to the conversation has a copy at `MSG#{reply}` too (written with it).
pub const REPLY_PREFIX: &str = "RPL#";
pub fn thread_prefix(root: &MessageId) -> String {
    format!("{REPLY_PREFIX}{root}#")
}
pub fn reply_sk(root: &MessageId, reply: &MessageId) -> String {
    format!("{REPLY_PREFIX}{root}#{reply}")
}
pub fn reply(t: &TenantId, c: &ConversationId, root: &MessageId, reply: &MessageId) -> Key {
    Key::new(conversation_pk(t, c), reply_sk(root, reply))
}
/// Where a reply is, by its id alone (edits, deletes and reads by id), in reply-id order: the
/// retention sweep finds old replies here without reading any thread.
pub const REPLY_LOCATOR_PREFIX: &str = "RLOC#";
pub fn reply_locator_sk(reply: &MessageId) -> String {
    format!("{REPLY_LOCATOR_PREFIX}{reply}")
}
pub fn reply_locator(t: &TenantId, c: &ConversationId, reply: &MessageId) -> Key {
    Key::new(conversation_pk(t, c), reply_locator_sk(reply))
}
/// An earlier text of an edited message, numbered by edit (`n` = 1 for the first edit). Not
/// under `MSG#`: history pages, the search indexer and the archiver's stream filter see messages only.
pub fn version_prefix(m: &MessageId) -> String {
    format!("VERSION#{m}#")
}
pub fn version(t: &TenantId, c: &ConversationId, m: &MessageId, n: u64) -> Key {
    Key::new(conversation_pk(t, c), format!("VERSION#{m}#{n:06}"))
}
/// Scoped by author: two people who happen to pick the same client id never collide.
pub fn client_message(t: &TenantId, c: &ConversationId, author: &UserId, cmid: &ClientMessageId) -> Key {
    Key::new(conversation_pk(t, c), format!("CMID#{author}#{cmid}"))
}
/// An upload intent, in the conversation it was made for (TTL until attached).
pub fn upload(t: &TenantId, c: &ConversationId, upload_id: &str) -> Key {
    Key::new(conversation_pk(t, c), format!("UPLOAD#{upload_id}"))
}

/// The object key of an attachment: hierarchical and tenant-scoped.
pub fn attachment_object(t: &TenantId, c: &ConversationId, upload_id: &str, filename: &str) -> String {
    format!("tenants/{t}/conversations/{c}/{upload_id}/{filename}")
}

/// Zero-padded so the sort key orders like the number.
pub fn change_sk(seq: u64) -> String {
    format!("{CHANGE_PREFIX}{seq:016}")
}
pub fn change(t: &TenantId, c: &ConversationId, seq: u64) -> Key {
    Key::new(conversation_pk(t, c), change_sk(seq))
}

pub fn user_pk(t: &TenantId, u: &UserId) -> String {
    format!("T#{t}#U#{u}")
}
pub fn membership(t: &TenantId, u: &UserId, c: &ConversationId) -> Key {
    Key::new(user_pk(t, u), format!("{MEMBERSHIP_PREFIX}{c}"))
}

/// One per unread message that mentions the user: the mention badge's count is a counter on the
/// membership, and these say which messages it counts, so reading, editing and deleting keep it exact.
pub fn mention_prefix(c: &ConversationId) -> String {
    format!("MENTION#{c}#")
}
pub fn mention_sk(c: &ConversationId, ordinal: u64) -> String {
    format!("MENTION#{c}#{ordinal:012}")
}
pub fn mention(t: &TenantId, u: &UserId, c: &ConversationId, ordinal: u64) -> Key {
    Key::new(user_pk(t, u), mention_sk(c, ordinal))
}

/// An unread mention in a thread reply that is not in the conversation's main list: cleared
/// when the thread is read (not by reading the conversation, which `mention_sk`'s ordinals are
/// for: `T` sorts after every digit, so "through ordinal n" never reaches these).
pub fn thread_mention_prefix(c: &ConversationId, root: &MessageId) -> String {
    format!("MENTION#{c}#T#{root}#")
}
pub fn reply_mention(t: &TenantId, u: &UserId, c: &ConversationId, root: &MessageId, reply: &MessageId) -> Key {
    Key::new(user_pk(t, u), format!("{}{reply}", thread_mention_prefix(c, root)))
}

/// A thread the user follows (the Threads view), with how many of its replies they have read.
pub const FOLLOW_PREFIX: &str = "THREAD#";
pub fn follow(t: &TenantId, u: &UserId, c: &ConversationId, root: &MessageId) -> Key {
    Key::new(user_pk(t, u), format!("{FOLLOW_PREFIX}{c}#{root}"))
}

/// How far the archive holds a conversation's message versions (updated by the archiver).
pub fn archive_watermark(t: &TenantId, c: &ConversationId) -> Key {
    Key::new(conversation_pk(t, c), "ARCHIVE")
}

/// A day of a conversation's archive that holds a deleted message (`day` is `yyyy/mm/dd`);
/// `marks` counts the deletions archived since the day was last purged.
pub const ARCHIVE_PURGE_PREFIX: &str = "ARCHIVEPURGE#";
pub fn archive_purge(t: &TenantId, c: &ConversationId, day: &str) -> Key {
    Key::new(conversation_pk(t, c), format!("{ARCHIVE_PURGE_PREFIX}{day}"))
}

/// Retention policies: the tenant's default and per-conversation overrides.
pub fn tenant_policy(t: &TenantId) -> Key {
    Key::new(tenant_pk(t), "POLICY#TENANT")
}
pub const CONVERSATION_POLICY_PREFIX: &str = "POLICY#C#";
pub fn conversation_policy(t: &TenantId, c: &ConversationId) -> Key {
    Key::new(tenant_pk(t), format!("{CONVERSATION_POLICY_PREFIX}{c}"))
}
/// The archive's policy: compliance export, how long the archive keeps a day, purging deleted messages.
pub fn archive_policy(t: &TenantId) -> Key {
    Key::new(tenant_pk(t), "POLICY#ARCHIVE")
}
/// Compliance exports and archive policy changes, by time (`at` is ISO 8601, so it sorts).
pub const AUDIT_PREFIX: &str = "AUDIT#";
pub fn audit(t: &TenantId, at: &str, id: &str) -> Key {
    Key::new(tenant_pk(t), format!("{AUDIT_PREFIX}{at}#{id}"))
}
/// Tenants that have set any policy: the retention job's list of work (no Scan).
pub const RETENTION_TENANTS_PK: &str = "RETENTION";
pub fn retention_tenant(t: &TenantId) -> Key {
    Key::new(RETENTION_TENANTS_PK, format!("T#{t}"))
}
/// Every DM of a tenant (channels are listed by their `CHNAME#` items).
pub const DM_DIRECTORY_PREFIX: &str = "DM#";
pub fn dm_directory(t: &TenantId, c: &ConversationId) -> Key {
    Key::new(tenant_pk(t), format!("{DM_DIRECTORY_PREFIX}{c}"))
}
pub const CHANNEL_NAME_PREFIX: &str = "CHNAME#";

pub fn tenant_pk(t: &TenantId) -> String {
    format!("T#{t}")
}
pub fn user_profile(t: &TenantId, u: &UserId) -> Key {
    Key::new(tenant_pk(t), format!("USER#{u}"))
}
/// A handle's owner: put with `attribute_not_exists`, so a handle names one user per tenant.
pub fn handle(t: &TenantId, handle: &str) -> Key {
    Key::new(tenant_pk(t), format!("HANDLE#{handle}"))
}
/// Every channel by name and id. Not unique: only public names are (`PUBCHAN#`), so no name
/// reveals a private channel. Channels made before that hold `CHNAME#{name}` (no id).
pub fn channel_directory(t: &TenantId, name: &str, c: &ConversationId) -> Key {
    Key::new(tenant_pk(t), format!("{CHANNEL_NAME_PREFIX}{name}#{c}"))
}
/// The directory entries a name may have: `CHNAME#{name}#…`, and the older `CHNAME#{name}`.
pub fn channel_name_prefix(name: &str) -> String {
    format!("{CHANNEL_NAME_PREFIX}{name}#")
}
pub fn legacy_channel_name(t: &TenantId, name: &str) -> Key {
    Key::new(tenant_pk(t), format!("{CHANNEL_NAME_PREFIX}{name}"))
}
pub fn public_channel_sk(name: &str) -> String {
    format!("{PUBLIC_CHANNEL_PREFIX}{name}")
}
pub fn public_channel(t: &TenantId, name: &str) -> Key {
    Key::new(tenant_pk(t), public_channel_sk(name))
}

pub fn user_index_pk(t: &TenantId) -> String {
    format!("T#{t}#UIDX")
}
pub fn user_index(t: &TenantId, token: &str, u: &UserId) -> Key {
    Key::new(user_index_pk(t), format!("{token}#{u}"))
}

pub const CONNECTION_PREFIX: &str = "CONN#";

/// Connections are spread over this many registry partitions, by a hash of their id: the debug
/// endpoints list every live connection with this many queries (never a Scan), and connects and
/// disconnects never pile onto one partition.
pub const CONNECTION_SHARDS: u32 = 8;

pub fn connection_shard_pk(shard: u32) -> String {
    format!("CONNS#{shard}")
}

pub fn connection(id: &crate::domain::ids::ConnectionId) -> Key {
    // FNV-1a: stable across processes and releases (std's hasher is not).
    let hash = id.as_str().bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    Key::new(connection_shard_pk(hash % CONNECTION_SHARDS), format!("{CONNECTION_PREFIX}{id}"))
}

/// A rate limit's counter for one window starting at `start` (Unix seconds), in the partition of
/// what it limits: a user (`user_pk`) or a conversation (`conversation_pk`).
pub fn rate_counter(pk: String, action: &str, start: i64) -> Key {
    Key::new(pk, format!("RATE#{action}#{start}"))
}

/// Operational counters, one item per minute per instance that flushed (TTL two days).
pub const METRICS_PK: &str = "METRICS";
pub fn metrics(minute: &str, instance: &str) -> Key {
    Key::new(METRICS_PK, format!("{minute}#{instance}"))
}
pub fn user_connection(t: &TenantId, u: &UserId, id: &crate::domain::ids::ConnectionId) -> Key {
    Key::new(user_pk(t, u), format!("{CONNECTION_PREFIX}{id}"))
}
pub fn subscriptions_pk(t: &TenantId, c: &ConversationId) -> String {
    format!("T#{t}#CS#{c}")
}
pub fn subscription(t: &TenantId, c: &ConversationId, id: &crate::domain::ids::ConnectionId) -> Key {
    Key::new(subscriptions_pk(t, c), format!("{CONNECTION_PREFIX}{id}"))
}

/// A user's presence (the last status published and whether they chose away).
pub const PRESENCE_SK: &str = "PRESENCE";
pub fn presence(t: &TenantId, u: &UserId) -> Key {
    Key::new(user_pk(t, u), PRESENCE_SK)
}
/// The connections showing `u`'s presence (`presenceSubscribe`): who a transition of `u` reaches.
pub fn presence_watchers_pk(t: &TenantId, u: &UserId) -> String {
    format!("T#{t}#PW#{u}")
}
pub fn presence_watch(t: &TenantId, u: &UserId, id: &crate::domain::ids::ConnectionId) -> Key {
    Key::new(presence_watchers_pk(t, u), format!("{CONNECTION_PREFIX}{id}"))
}
