//! Reactions: an emoji a member puts on a message. One per (user, emoji, message): adding it
//! twice or removing one not held changes nothing. The message carries the summary (emoji in the
//! order they were first used, each with who reacted), so history needs no extra read.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::InvalidInput;
use super::ids::{MessageId, UserId};

/// Distinct emoji on one message (Slack's limit).
pub const MAX_DISTINCT_EMOJI: usize = 50;
/// Reactions (user, emoji pairs) on one message in all: the summary lives on the message item,
/// which must stay under DynamoDB's 400 KB with a 40,000-character body and 128-byte user ids.
pub const MAX_REACTIONS_PER_MESSAGE: usize = 1_000;
/// Bytes of the longest emoji accepted (a family or flag sequence with modifiers is ~35).
pub const MAX_EMOJI_BYTES: usize = 64;

/// One emoji, as Unicode defines it (any version the `emojis` data knows, skin tones included),
/// stored fully qualified: "❤" and "❤️" are the same reaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        if raw.is_empty() || raw.len() > MAX_EMOJI_BYTES {
            return Err(InvalidInput::new("emoji", format!("must be one emoji (at most {MAX_EMOJI_BYTES} bytes)")));
        }
        emojis::get(raw)
            .map(|e| Self(e.as_str().to_owned()))
            .ok_or_else(|| InvalidInput::new("emoji", "must be exactly one Unicode emoji"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Emoji {
    type Error = InvalidInput;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Emoji> for String {
    fn from(e: Emoji) -> String {
        e.0
    }
}

/// One emoji on a message: how many reacted with it, and who, in the order they did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    #[schema(value_type = String)]
    pub emoji: Emoji,
    /// Always `userIds.length`; kept so a client need not count.
    pub count: u32,
    #[schema(value_type = Vec<String>)]
    pub user_ids: Vec<UserId>,
}

/// `data` of `chat:reactionAdded` and `chat:reactionRemoved`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactionChange {
    #[schema(value_type = String)]
    pub message_id: MessageId,
    #[schema(value_type = String)]
    pub emoji: Emoji,
    #[schema(value_type = String)]
    pub user_id: UserId,
}

/// Why a reaction cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionLimit {
    DistinctEmoji,
    Total,
}

/// A message's reactions after `user` adds `emoji`: `Ok(None)` when they already had (nothing
/// to write), `Err` past a limit.
pub fn with_reaction(
    reactions: &[Reaction],
    emoji: &Emoji,
    user: &UserId,
) -> Result<Option<Vec<Reaction>>, ReactionLimit> {
    let mut out = reactions.to_vec();
    if out.iter().map(|r| r.user_ids.len()).sum::<usize>() >= MAX_REACTIONS_PER_MESSAGE {
        return match out.iter().any(|r| r.emoji == *emoji && r.user_ids.contains(user)) {
            true => Ok(None),
            false => Err(ReactionLimit::Total),
        };
    }
    let distinct = out.len();
    match out.iter_mut().find(|r| r.emoji == *emoji) {
        Some(r) if r.user_ids.contains(user) => return Ok(None),
        Some(r) => r.user_ids.push(user.clone()),
        None if distinct >= MAX_DISTINCT_EMOJI => return Err(ReactionLimit::DistinctEmoji),
        None => out.push(Reaction { emoji: emoji.clone(), count: 0, user_ids: vec![user.clone()] }),
    }
    Ok(Some(recount(out)))
}

/// A message's reactions after `user` removes `emoji`: `None` when they had not reacted so.
/// An emoji nobody holds any more leaves the summary.
pub fn without_reaction(reactions: &[Reaction], emoji: &Emoji, user: &UserId) -> Option<Vec<Reaction>> {
    let mut out = reactions.to_vec();
    let r = out.iter_mut().find(|r| r.emoji == *emoji && r.user_ids.contains(user))?;
    r.user_ids.retain(|u| u != user);
    out.retain(|r| !r.user_ids.is_empty());
    Some(recount(out))
}

fn recount(mut reactions: Vec<Reaction>) -> Vec<Reaction> {
    for r in &mut reactions {
        r.count = u32::try_from(r.user_ids.len()).unwrap_or(u32::MAX);
    }
    reactions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).expect("user")
    }

    fn emoji(s: &str) -> Emoji {
        Emoji::parse(s).expect("emoji")
    }

    #[test]
    fn one_emoji_is_accepted_in_its_fully_qualified_form() {
        assert_eq!(emoji("👍").as_str(), "👍");
        assert_eq!(emoji("👍🏽").as_str(), "👍🏽");
        assert_eq!(emoji("❤").as_str(), "❤️");
        assert_eq!(emoji("❤"), emoji("❤️"));
        assert_eq!(emoji("👨‍👩‍👧‍👦").as_str(), "👨‍👩‍👧‍👦");
        assert_eq!(emoji("🇫🇷").as_str(), "🇫🇷");
    }

    #[test]
    fn anything_but_one_emoji_is_refused_naming_the_field() {
        for bad in ["", "a", "👍👍", "👍 ", ":thumbsup:", "x👍", "\u{fe0f}", &"👍".repeat(40)] {
            let err = Emoji::parse(bad).expect_err(bad);
            assert_eq!(err.field, "emoji", "{bad:?}");
        }
    }

    #[test]
    fn adding_appends_in_first_use_order_and_twice_is_nothing() {
        let (a, b) = (user("alice"), user("bob"));
        let one = with_reaction(&[], &emoji("👍"), &a).expect("ok").expect("changed");
        let two = with_reaction(&one, &emoji("🎉"), &b).expect("ok").expect("changed");
        let three = with_reaction(&two, &emoji("👍"), &b).expect("ok").expect("changed");
        assert_eq!(three.iter().map(|r| (r.emoji.as_str(), r.count)).collect::<Vec<_>>(), [("👍", 2), ("🎉", 1)]);
        assert_eq!(three[0].user_ids, [a.clone(), b.clone()]);
        assert_eq!(with_reaction(&three, &emoji("👍"), &a), Ok(None));
    }

    #[test]
    fn removing_takes_only_the_users_own_and_drops_empty_emoji() {
        let (a, b) = (user("alice"), user("bob"));
        let start = with_reaction(&[], &emoji("👍"), &a).expect("ok").expect("changed");
        let both = with_reaction(&start, &emoji("👍"), &b).expect("ok").expect("changed");
        let left = without_reaction(&both, &emoji("👍"), &a).expect("changed");
        assert_eq!((left[0].count, left[0].user_ids.clone()), (1, vec![b.clone()]));
        assert_eq!(without_reaction(&left, &emoji("👍"), &a), None);
        assert_eq!(without_reaction(&left, &emoji("🎉"), &b), None);
        assert_eq!(without_reaction(&left, &emoji("👍"), &b), Some(vec![]));
    }

    #[test]
    fn a_message_holds_fifty_distinct_emoji_and_a_bounded_total() {
        let a = user("alice");
        let mut reactions = Vec::new();
        for e in emojis::iter().filter(|e| e.skin_tone().is_none()).take(MAX_DISTINCT_EMOJI) {
            reactions = with_reaction(&reactions, &emoji(e.as_str()), &a).expect("ok").expect("changed");
        }
        let next = emojis::iter().filter(|e| e.skin_tone().is_none()).nth(MAX_DISTINCT_EMOJI).expect("more emoji");
        assert_eq!(with_reaction(&reactions, &emoji(next.as_str()), &a), Err(ReactionLimit::DistinctEmoji));
        // More people on an emoji already there is fine.
        assert!(with_reaction(&reactions, &reactions[0].emoji.clone(), &user("bob")).expect("ok").is_some());

        let crowd: Vec<UserId> = (0..MAX_REACTIONS_PER_MESSAGE).map(|i| user(&format!("u{i}"))).collect();
        let full = vec![Reaction { emoji: emoji("👍"), count: crowd.len() as u32, user_ids: crowd }];
        assert_eq!(with_reaction(&full, &emoji("👍"), &a), Err(ReactionLimit::Total));
        assert_eq!(with_reaction(&full, &emoji("👍"), &user("u3")), Ok(None));
    }
}
