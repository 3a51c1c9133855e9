//! The domain: the product's types and rules — typed ids and values, conversations, messages,
//! profiles, events, the caller and its permissions, errors, limits — and nothing about storage.

pub mod caller;
pub mod conversation;
pub mod dm;
pub mod error;
pub mod event;
pub mod files;
pub mod ids;
pub mod limits;
pub mod markdown;
pub mod message;
pub mod presence;
pub mod profile;
pub mod reaction;
pub mod retention;
pub mod search;
pub mod time;
pub mod values;
pub mod versions;

pub use conversation::*;
pub use event::*;
pub use message::*;
pub use profile::*;
pub use reaction::{Emoji, Reaction, ReactionChange};
pub use time::format_time;
pub use versions::MessageVersion;
