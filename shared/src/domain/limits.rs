//! Rate limits (counted in the store by `persistence::counters`, so they hold across Lambda
//! instances): a fixed window per
//! user (and conversation, or connection) and action, and one per conversation for every change
//! that takes its sequence, whoever makes it. Slack's posting limit of about one message a second
//! per channel is the reference: the default lets a burst of 10 sends through per 10 seconds.
//!
//! The conversation's budget is counted only after the caller's own limit passed, so a member
//! refused for flooding spends none of it; and it is several times one member's send limit, so
//! it takes that many members at full speed to fill it.

use std::str::FromStr;

/// `count` actions per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub window_secs: u32,
}

impl FromStr for Rate {
    type Err = String;
    /// `"10/10"`: ten per ten seconds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (count, window) = s.split_once('/').ok_or("expected COUNT/SECONDS")?;
        let count: u32 = count.trim().parse().map_err(|_| "bad count")?;
        let window_secs: u32 = window.trim().parse().map_err(|_| "bad seconds")?;
        if count == 0 || window_secs == 0 {
            return Err("count and seconds must be positive".into());
        }
        Ok(Rate { count, window_secs })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Sends per user per conversation.
    pub sends: Option<Rate>,
    /// Upload intents per user.
    pub uploads: Option<Rate>,
    /// Subscribe frames per connection.
    pub subscribes: Option<Rate>,
    /// Edits and deletes of messages, per user.
    pub message_changes: Option<Rate>,
    /// Joins, leaves, invites and removals, per user (the one acting).
    pub membership: Option<Rate>,
    /// Channels created, per user.
    pub channels: Option<Rate>,
    /// DMs opened for the first time, per user (opening an existing one takes nothing).
    pub dms: Option<Rate>,
    /// Read-position updates, per user (each tells the user's own connections).
    pub reads: Option<Rate>,
    /// Reactions added or removed, per user (each takes the conversation's sequence).
    pub reactions: Option<Rate>,
    /// Renames, topic edits, archives and unarchives of channels, per user.
    pub channel_settings: Option<Rate>,
    /// Every change that takes a conversation's sequence (sends, edits, deletes, membership),
    /// all members together, per conversation.
    pub conversation_writes: Option<Rate>,
    /// `typing` frames, per connection (a client sends one per 3 s per conversation at most).
    pub typing: Option<Rate>,
    /// `presence` and `presenceSubscribe` frames, per connection.
    pub presence: Option<Rate>,
    /// Notification levels set, per user (each tells the user's own connections).
    pub notification_levels: Option<Rate>,
}

impl RateLimits {
    pub fn production() -> Self {
        Self {
            sends: Some(Rate { count: 10, window_secs: 10 }),
            uploads: Some(Rate { count: 30, window_secs: 60 }),
            subscribes: Some(Rate { count: 30, window_secs: 60 }),
            message_changes: Some(Rate { count: 30, window_secs: 60 }),
            membership: Some(Rate { count: 30, window_secs: 60 }),
            channels: Some(Rate { count: 20, window_secs: 600 }),
            dms: Some(Rate { count: 30, window_secs: 600 }),
            // A reader marks each message that arrives in the conversation on screen: as many
            // as a conversation's budget lets in (50 per 10 s).
            reads: Some(Rate { count: 300, window_secs: 60 }),
            // Clicking through a few emoji and back is fine; a script toggling is not.
            reactions: Some(Rate { count: 30, window_secs: 30 }),
            // A few corrections in a row are fine; a script renaming in a loop is not.
            channel_settings: Some(Rate { count: 20, window_secs: 60 }),
            // Five members sending at their limit fill it.
            conversation_writes: Some(Rate { count: 50, window_secs: 10 }),
            // Composing in two conversations at once stays under it; a script does not.
            typing: Some(Rate { count: 30, window_secs: 60 }),
            // Switching conversations re-subscribes the people on screen.
            presence: Some(Rate { count: 60, window_secs: 60 }),
            // A person clicks through the three levels of a few conversations; a script does more.
            notification_levels: Some(Rate { count: 30, window_secs: 60 }),
        }
    }

    /// Each limit, by the environment variable that overrides it (`COUNT/SECONDS` or `off`).
    pub fn by_variable(&mut self) -> [(&'static str, &mut Option<Rate>); 14] {
        [
            ("RATE_LIMIT_SENDS", &mut self.sends),
            ("RATE_LIMIT_UPLOADS", &mut self.uploads),
            ("RATE_LIMIT_SUBSCRIBES", &mut self.subscribes),
            ("RATE_LIMIT_MESSAGE_CHANGES", &mut self.message_changes),
            ("RATE_LIMIT_MEMBERSHIP", &mut self.membership),
            ("RATE_LIMIT_CHANNELS", &mut self.channels),
            ("RATE_LIMIT_DMS", &mut self.dms),
            ("RATE_LIMIT_READS", &mut self.reads),
            ("RATE_LIMIT_REACTIONS", &mut self.reactions),
            ("RATE_LIMIT_CHANNEL_SETTINGS", &mut self.channel_settings),
            ("RATE_LIMIT_CONVERSATION_WRITES", &mut self.conversation_writes),
            ("RATE_LIMIT_TYPING", &mut self.typing),
            ("RATE_LIMIT_PRESENCE", &mut self.presence),
            ("RATE_LIMIT_NOTIFICATION_LEVELS", &mut self.notification_levels),
        ]
    }
}

/// Subscribed connections up to which a sender pushes itself (`FANOUT_INLINE_MAX`).
pub const DEFAULT_INLINE_MAX: usize = 64;
/// Posts in flight in the fan-out function (`FANOUT_CONCURRENCY`): 10,000 connections at 20 ms
/// take 40 waves, 800 ms, at 256 (README "Where fan-out runs" has the arithmetic).
pub const DEFAULT_CONSUMER_CONCURRENCY: usize = 256;
/// Connections per slice when the fan-out function splits an audience (`FANOUT_SLICE_SIZE`):
/// 1,000 at 256 in flight is 4 waves, ~80 ms at 20 ms a post.
pub const DEFAULT_SLICE_SIZE: usize = 1_000;

/// Where fan-out runs (`realtime::queued`): pushed from the sender's request up to `inline_max`
/// subscribed connections, past it queued to the fan-out function, which posts
/// `consumer_concurrency` at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanoutSettings {
    pub inline_max: usize,
    pub consumer_concurrency: usize,
    /// Past this many recipients the fan-out function splits the audience into slices, posts
    /// one itself and queues the others to the slice queue (when it has one).
    pub slice_size: usize,
}

impl Default for FanoutSettings {
    fn default() -> Self {
        Self {
            inline_max: DEFAULT_INLINE_MAX,
            consumer_concurrency: DEFAULT_CONSUMER_CONCURRENCY,
            slice_size: DEFAULT_SLICE_SIZE,
        }
    }
}
