//! Items to and from the domain's serde types: the one mapping between a stored item's attributes
//! and a type (the table stores the API's camelCase shape).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::domain::error::{ChatError, ChatResult};
use crate::ports::store::{Attrs, TTL_ATTR};

pub fn to_attrs<T: Serialize>(value: &T) -> ChatResult<Attrs> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ChatError::Internal("item did not serialize to an object".into())),
        Err(e) => Err(ChatError::Internal(format!("serialize item: {e}"))),
    }
}

/// Reads the item in place: no copy of its attributes (fan-out and catch-up read many items per
/// request), and a type that names only some attributes reads only those.
/// An item that expires (DynamoDB TTL, and the embedded store's twin) at `expires_at`, epoch
/// seconds.
pub fn to_expiring_attrs<T: Serialize>(value: &T, expires_at: i64) -> ChatResult<Attrs> {
    let mut attrs = to_attrs(value)?;
    attrs.insert(TTL_ATTR.into(), expires_at.into());
    Ok(attrs)
}

pub fn from_attrs<T: DeserializeOwned>(attrs: &Attrs) -> ChatResult<T> {
    use serde::de::IntoDeserializer;
    T::deserialize(attrs.into_deserializer()).map_err(ChatError::corrupt)
}
