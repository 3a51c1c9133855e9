//! The tenant-scoped IAM policy (`infra/iam/tenant-scoped-table-policy.json`, docs/TENANT_IAM.md)
//! against the keys the code writes: every tenant key is inside its tenant's `LeadingKeys`
//! patterns and outside every other tenant's, including tenants whose id extends it (`acme` vs
//! `acme2`: a pattern `T#acme*` would let one read the other).

use serde_json::Value;

use crate::domain::ids::{ClientMessageId, ConnectionId, ConversationId, MessageId, TenantId, UserId};
use crate::persistence::keys;

const POLICY: &str = include_str!("../../../infra/iam/tenant-scoped-table-policy.json");

fn leading_key_patterns(tenant: &str) -> Vec<String> {
    let policy: Value = serde_json::from_str(POLICY).expect("policy is JSON");
    policy["Statement"][0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        .as_array()
        .expect("LeadingKeys patterns")
        .iter()
        .map(|p| p.as_str().expect("pattern").replace("${aws:PrincipalTag/tenant}", tenant))
        .collect()
}

/// IAM's StringLike: `*` is any run of characters, `?` one character.
fn string_like(pattern: &str, value: &str) -> bool {
    fn go(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('*', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
            Some(('?', rest)) => !v.is_empty() && go(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
        }
    }
    go(&pattern.chars().collect::<Vec<_>>(), &value.chars().collect::<Vec<_>>())
}

fn allowed(tenant: &str, pk: &str) -> bool {
    leading_key_patterns(tenant).iter().any(|p| string_like(p, pk))
}

/// Every partition key the request path builds for one tenant.
fn tenant_partition_keys(t: &TenantId) -> Vec<String> {
    let c = ConversationId::parse("C01JD8Z6V3Q0000000000000000").expect("conversation id");
    let u = UserId::parse("alice").expect("user id");
    let m = MessageId::parse("01JD8Z6V3Q0000000000000000").expect("message id");
    let cmid = ClientMessageId::parse("2f1c8a4e-0000-4000-8000-000000000001").expect("client id");
    let conn = ConnectionId::parse("conn-1").expect("connection id");
    vec![
        keys::conversation_meta(t, &c).pk,
        keys::member(t, &c, &u).pk,
        keys::message(t, &c, &m).pk,
        keys::client_message(t, &c, &u, &cmid).pk,
        keys::upload(t, &c, "u1").pk,
        keys::change(t, &c, 1).pk,
        keys::membership(t, &u, &c).pk,
        keys::mention(t, &u, &c, 1).pk,
        keys::archive_watermark(t, &c).pk,
        keys::archive_purge(t, &c, "2026/12/03").pk,
        keys::archive_policy(t).pk,
        keys::audit(t, "2026-12-03T10:00:00.000Z", "01JE0000000000000000000000").pk,
        keys::rate_counter(keys::user_pk(t, &u), "send#c", 0).pk,
        keys::rate_counter(keys::conversation_pk(t, &c), "write", 0).pk,
        keys::tenant_policy(t).pk,
        keys::conversation_policy(t, &c).pk,
        keys::dm_directory(t, &c).pk,
        keys::user_profile(t, &u).pk,
        keys::handle(t, "alice").pk,
        keys::channel_directory(t, "general", &c).pk,
        keys::legacy_channel_name(t, "general").pk,
        keys::public_channel(t, "general").pk,
        keys::user_index(t, "ali", &u).pk,
        keys::user_connection(t, &u, &conn).pk,
        keys::subscription(t, &c, &conn).pk,
    ]
}

#[test]
fn a_tenant_scoped_role_reaches_its_own_tenants_keys_and_no_others() {
    for tenant in ["acme", "acme2", "a", "acme-eu"] {
        let t = TenantId::parse(tenant).expect("tenant id");
        for pk in tenant_partition_keys(&t) {
            assert!(allowed(tenant, &pk), "{tenant} must reach {pk}");
            for other in ["acme", "acme2", "a", "acme-eu", "globex"] {
                if other != tenant {
                    assert!(!allowed(other, &pk), "{other} must not reach {pk}");
                }
            }
        }
    }
}

/// What the scoped role cannot reach, and so stays with the function's own role (the design's
/// cost, docs/TENANT_IAM.md): the cross-tenant partitions.
#[test]
fn the_cross_tenant_partitions_are_outside_every_tenants_scope() {
    let conn = ConnectionId::parse("conn-1").expect("connection id");
    let global = [
        keys::connection(&conn).pk,
        keys::metrics("2026-12-03T01:00", "i-1").pk,
        keys::retention_tenant(&TenantId::parse("acme").expect("tenant")).pk,
    ];
    for pk in global {
        assert!(!allowed("acme", &pk), "{pk} is not a tenant key");
    }
    assert!(string_like("T#a#*", "T#a#C#1") && !string_like("T#a#*", "T#ab#C#1") && string_like("T#?", "T#a"));
}
