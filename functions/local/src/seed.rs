//! Demo data for `make dev`: tenant `acme` (alice, bob, carol) and tenant `globex` (dave), so
//! tenant isolation can be tried by hand. Idempotent: a second run changes nothing.

use shared::domain::caller::Caller;
use shared::domain::ids::{TenantId, UserId};
use shared::domain::values::{ChannelName, DisplayName, Handle, Topic};
use shared::domain::{ConversationKind, UserProfile, Visibility};
use shared::{Chat, ChatError, ChatResult, Role};

pub const DEMO_USERS: &[(&str, &str, &str)] = &[
    ("acme", "alice", "Alice Anderson"),
    ("acme", "bob", "Bob Brown"),
    ("acme", "carol", "Carol Chen"),
    ("globex", "dave", "Dave Davis"),
];

fn caller(tenant: &str, user: &str, name: &str) -> ChatResult<Caller> {
    Ok(Caller {
        tenant: TenantId::parse(tenant)?,
        user: UserId::parse(user)?,
        roles: vec![Role::TenantAdmin],
        display_name: DisplayName::parse(name)?,
        suggested_handle: Handle::parse(user)?,
    })
}

async fn channel(
    chat: &Chat,
    owner: &Caller,
    name: &str,
    visibility: Visibility,
    topic: &str,
    members: &[&str],
) -> ChatResult<()> {
    // Private names are not unique (a name is no oracle), so a rerun recognises its own channel
    // by the owner's sidebar, not by a name conflict.
    let already_seeded = chat
        .list_conversations(owner)
        .await?
        .iter()
        .any(|c| c.kind != ConversationKind::Dm && c.name.as_deref() == Some(name));
    if already_seeded {
        return Ok(());
    }
    match chat.create_channel(owner, ChannelName::parse(name)?, visibility, Some(Topic::parse(topic)?)).await {
        Ok(created) => {
            for member in members {
                chat.invite(owner, &created.id, &UserId::parse(member)?).await?;
            }
            Ok(())
        }
        Err(ChatError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn demo(chat: &Chat) -> ChatResult<()> {
    for (tenant, user, name) in DEMO_USERS {
        let profile =
            UserProfile { id: UserId::parse(user)?, handle: user.to_string(), display_name: name.to_string() };
        chat.upsert_profile(&TenantId::parse(tenant)?, &profile).await?;
    }
    let alice = caller("acme", "alice", "Alice Anderson")?;
    channel(chat, &alice, "general", Visibility::Public, "Company-wide announcements and chat", &["bob", "carol"])
        .await?;
    channel(chat, &alice, "random", Visibility::Public, "Anything goes", &["bob"]).await?;
    channel(chat, &alice, "leadership", Visibility::Private, "Private: alice and bob", &["bob"]).await?;
    let dave = caller("globex", "dave", "Dave Davis")?;
    channel(chat, &dave, "general", Visibility::Public, "Globex general", &[]).await?;
    Ok(())
}
