//! A user as the tenant's other users see them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::UserId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[schema(value_type = String)]
    pub id: UserId,
    pub handle: String,
    pub display_name: String,
}
