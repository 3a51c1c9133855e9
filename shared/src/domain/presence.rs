//! Presence: online / away / offline, derived from a user's live connections and their choice.
//! Never part of a conversation's history: presence and typing are ephemeral socket frames.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A tab reports itself idle after this long without a key, pointer or focus event; the user is
/// away once every tab of theirs is idle.
pub const IDLE_AFTER_SECS: u64 = 10 * 60;
/// User ids one `presenceSubscribe` frame may name (what a client displays at once).
pub const MAX_PRESENCE_IDS: usize = 100;
/// A client sends `typing` at most this often per conversation while composing.
pub const TYPING_EVERY_SECS: u64 = 3;
/// A typer is forgotten this long after their last signal.
pub const TYPING_EXPIRES_SECS: u64 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PresenceStatus {
    Online,
    Away,
    Offline,
}

impl PresenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }
}

/// The rule: offline without a live connection; away when chosen or when every connection is
/// idle; online otherwise. `idle` has one entry per live connection.
pub fn status_of(idle: impl IntoIterator<Item = bool>, away_by_choice: bool) -> PresenceStatus {
    let mut any = false;
    let mut active = false;
    for idle in idle {
        any = true;
        active |= !idle;
    }
    match (any, active, away_by_choice) {
        (false, _, _) => PresenceStatus::Offline,
        (true, _, true) | (true, false, false) => PresenceStatus::Away,
        (true, true, false) => PresenceStatus::Online,
    }
}

/// One user's presence as frames carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPresence {
    #[schema(value_type = String)]
    pub user_id: crate::domain::ids::UserId,
    pub status: PresenceStatus,
}

/// `chat:typing`: someone is typing in a conversation (ephemeral: no seq, never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypingFrame {
    /// Always `chat:typing`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "chat:typing")]
    pub kind: &'static str,
    #[schema(value_type = String)]
    pub conversation_id: crate::domain::ids::ConversationId,
    #[schema(value_type = String)]
    pub user_id: crate::domain::ids::UserId,
}

impl TypingFrame {
    pub fn new(conversation_id: crate::domain::ids::ConversationId, user_id: crate::domain::ids::UserId) -> Self {
        Self { kind: "chat:typing", conversation_id, user_id }
    }
}

/// `chat:presence` (a transition, pushed) and `presence` (the answer to a presence frame): the
/// users' statuses; to the user's own tabs also their own `status` and `away` choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceFrame {
    /// `chat:presence` (a transition, pushed) or `presence` (the answer to a presence frame).
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "chat:presence")]
    pub kind: &'static str,
    pub users: Vec<UserPresence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PresenceStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub away: Option<bool>,
}

impl PresenceFrame {
    /// A pushed transition of `users`.
    pub fn pushed(users: Vec<UserPresence>) -> Self {
        Self { kind: "chat:presence", users, status: None, away: None }
    }

    /// The same, to the tabs of the user it is about: with their away choice.
    pub fn pushed_to_self(user: UserPresence, away: bool) -> Self {
        Self { kind: "chat:presence", status: Some(user.status), users: vec![user], away: Some(away) }
    }
}

#[cfg(test)]
mod tests {
    use super::PresenceStatus::*;
    use super::*;

    #[test]
    fn without_a_live_connection_a_user_is_offline_even_if_they_chose_away() {
        assert_eq!(status_of([], false), Offline);
        assert_eq!(status_of([], true), Offline);
    }

    #[test]
    fn one_active_tab_is_enough_to_be_online() {
        assert_eq!(status_of([false], false), Online);
        assert_eq!(status_of([true, false, true], false), Online);
    }

    #[test]
    fn every_tab_idle_is_away() {
        assert_eq!(status_of([true], false), Away);
        assert_eq!(status_of([true, true], false), Away);
    }

    #[test]
    fn away_by_choice_wins_over_activity() {
        assert_eq!(status_of([false, false], true), Away);
    }

    #[test]
    fn statuses_serialize_as_lowercase_words() {
        let json = serde_json::to_value([Online, Away, Offline]).expect("json");
        assert_eq!(json, serde_json::json!(["online", "away", "offline"]));
        assert_eq!(Away.as_str(), "away");
    }
}
