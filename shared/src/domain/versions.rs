//! Edit history: the earlier texts of an edited message.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::UserId;

/// Earlier texts kept per message: the edit that would keep one more drops the oldest. Enough
/// for any honest editing; a message edited in a loop cannot grow its partition without bound.
pub const MAX_KEPT_VERSIONS: u64 = 50;

/// A text a message had before an edit replaced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageVersion {
    pub body: String,
    #[schema(value_type = Vec<String>)]
    pub mentions: Vec<UserId>,
    /// When this text was written: the message's creation, or the edit before.
    pub written_at: String,
    /// When the edit that replaced it was made.
    pub replaced_at: String,
}
