//! docs/CHAT.md's data-model table against the keys the code builds: every key function of
//! `keys.rs` is sampled here (a new one fails until it is), rendered with the table's
//! placeholders, and the table's `PK`/`SK` pairs must be exactly those — so it cannot drift.

use std::collections::BTreeSet;

use crate::domain::ids::{ClientMessageId, ConnectionId, ConversationId, MessageId, TenantId, UserId};
use crate::persistence::keys;
use crate::ports::store::Key;

const CHAT_MD: &str = include_str!("../../../docs/CHAT.md");
const KEYS_RS: &str = include_str!("keys.rs");

const TENANT: &str = "acme";
const CONVERSATION: &str = "C01JD8Z6V3Q0000000000000000";
const USER: &str = "alice";
const MESSAGE: &str = "01JE0000000000000000000000";
const ROOT: &str = "01JD0000000000000000000000";
const CLIENT_MESSAGE: &str = "2f1c8a4e-0000-4000-8000-000000000001";
const CONNECTION: &str = "conn-1";

/// One sample of every key function, by name.
fn samples() -> Vec<(&'static str, Key)> {
    let t = TenantId::parse(TENANT).expect("tenant id");
    let c = ConversationId::parse(CONVERSATION).expect("conversation id");
    let u = UserId::parse(USER).expect("user id");
    let m = MessageId::parse(MESSAGE).expect("message id");
    let root = MessageId::parse(ROOT).expect("root id");
    let cmid = ClientMessageId::parse(CLIENT_MESSAGE).expect("client id");
    let conn = ConnectionId::parse(CONNECTION).expect("connection id");
    vec![
        ("conversation_meta", keys::conversation_meta(&t, &c)),
        ("member", keys::member(&t, &c, &u)),
        ("message", keys::message(&t, &c, &m)),
        ("reply", keys::reply(&t, &c, &root, &m)),
        ("reply_locator", keys::reply_locator(&t, &c, &m)),
        ("client_message", keys::client_message(&t, &c, &u, &cmid)),
        ("version", keys::version(&t, &c, &m, 3)),
        ("upload", keys::upload(&t, &c, "UPLOADID")),
        ("change", keys::change(&t, &c, 7)),
        ("membership", keys::membership(&t, &u, &c)),
        ("mention", keys::mention(&t, &u, &c, 7)),
        ("reply_mention", keys::reply_mention(&t, &u, &c, &root, &m)),
        ("follow", keys::follow(&t, &u, &c, &root)),
        ("archive_watermark", keys::archive_watermark(&t, &c)),
        ("archive_purge", keys::archive_purge(&t, &c, "2026/12/03")),
        ("tenant_policy", keys::tenant_policy(&t)),
        ("conversation_policy", keys::conversation_policy(&t, &c)),
        ("archive_policy", keys::archive_policy(&t)),
        ("audit", keys::audit(&t, "2026-12-03T10:00:00.000Z", "AUDITID")),
        ("retention_tenant", keys::retention_tenant(&t)),
        ("dm_directory", keys::dm_directory(&t, &c)),
        ("user_profile", keys::user_profile(&t, &u)),
        ("handle", keys::handle(&t, "thehandle")),
        ("channel_directory", keys::channel_directory(&t, "thename", &c)),
        ("legacy_channel_name", keys::legacy_channel_name(&t, "thename")),
        ("public_channel", keys::public_channel(&t, "thename")),
        ("user_index", keys::user_index(&t, "thetoken", &u)),
        ("connection", keys::connection(&conn)),
        ("metrics", keys::metrics("202612031000", "INSTANCE")),
        ("user_connection", keys::user_connection(&t, &u, &conn)),
        ("subscription", keys::subscription(&t, &c, &conn)),
        ("presence", keys::presence(&t, &u)),
        ("presence_watch", keys::presence_watch(&t, &u, &conn)),
        ("rate_counter", keys::rate_counter(keys::user_pk(&t, &u), "send#ACTIONSCOPE", 1_796_000_000)),
        ("rate_counter", keys::rate_counter(keys::conversation_pk(&t, &c), "write", 1_796_000_000)),
    ]
}

/// A key as the table writes it: the sample values replaced by the table's placeholders.
fn pattern(raw: &str) -> String {
    let mut out = raw.to_owned();
    for (value, placeholder) in [
        (CONVERSATION, "{c}"),
        (MESSAGE, "{ulid}"),
        (ROOT, "{root}"),
        (CLIENT_MESSAGE, "{clientMessageId}"),
        (CONNECTION, "{id}"),
        ("UPLOADID", "{uploadId}"),
        ("0000000000000007", "{seq:016}"),
        ("000000000007", "{ordinal:012}"),
        ("000003", "{n:06}"),
        ("2026/12/03", "{yyyy/mm/dd}"),
        ("2026-12-03T10:00:00.000Z", "{at}"),
        ("AUDITID", "{ulid}"),
        ("thehandle", "{handle}"),
        ("thename", "{name}"),
        ("thetoken", "{token}"),
        ("202612031000", "{minute}"),
        ("INSTANCE", "{instance}"),
        ("send#ACTIONSCOPE", "{action}#{scope}"),
        ("1796000000", "{windowStart}"),
        (TENANT, "{t}"),
        (USER, "{u}"),
    ] {
        out = out.replace(value, placeholder);
    }
    // The registry shard is a hash of the connection id.
    match out.strip_prefix("CONNS#") {
        Some(shard) if shard.parse::<u32>().is_ok() => "CONNS#{n}".to_owned(),
        _ => out,
    }
}

/// The `PK`/`SK` pairs of the data-model table.
fn documented() -> BTreeSet<(String, String)> {
    let section = CHAT_MD.split("\n## Data model").nth(1).expect("a data model section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let cell = |c: &str| c.trim().trim_matches('`').to_owned();
    section
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| item "))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            (cell(cells[2]), cell(cells[3]))
        })
        .collect()
}

#[test]
fn every_key_function_is_sampled() {
    let sampled: BTreeSet<&str> = samples().iter().map(|(name, _)| *name).collect();
    let defined: BTreeSet<&str> = KEYS_RS
        .lines()
        .filter(|l| l.contains(") -> Key"))
        .filter_map(|l| l.strip_prefix("pub fn ")?.split('(').next())
        .collect();
    assert_eq!(defined, sampled, "keys.rs functions without a sample here (or samples of nothing)");
}

#[test]
fn the_data_model_table_names_exactly_the_keys_the_code_builds() {
    let built: BTreeSet<(String, String)> = samples().iter().map(|(_, k)| (pattern(&k.pk), pattern(&k.sk))).collect();
    let documented = documented();
    let missing: Vec<_> = built.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&built).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/CHAT.md lacks {missing:?}; describes keys no code builds: {stale:?}"
    );
}
