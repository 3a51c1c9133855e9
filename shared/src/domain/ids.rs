//! Typed identifiers: a tenant id can never be passed where a user id goes, and every id that
//! reaches a key has been parsed, so no `#` (the key delimiter) or control character slips in.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::InvalidInput;

/// Characters allowed in external ids (tenants, users, client message ids): the Cognito `sub`
/// (a UUID) and slugs fit; the key delimiter `#` and anything that needs escaping do not.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// API Gateway connection ids are base64 (`L0SM9cOFvHcCIhw=`).
fn is_connection_id_char(c: char) -> bool {
    is_id_char(c) || matches!(c, '=' | '+' | '/')
}

fn parse_external_id(field: &'static str, raw: &str, max_len: usize) -> Result<String, InvalidInput> {
    let allowed = if field == "connectionId" { is_connection_id_char } else { is_id_char };
    if raw.is_empty() || raw.len() > max_len || !raw.chars().all(allowed) {
        return Err(InvalidInput::new(
            field,
            format!("must be 1-{max_len} characters of letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(raw.to_owned())
}

macro_rules! external_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
                parse_external_id($field, raw, $max).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidInput;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

external_id!(
    /// A tenant: taken only from a verified token, never from a request body or path.
    TenantId, "tenantId", 64
);
external_id!(
    /// A user of a tenant (the identity provider's subject).
    UserId, "userId", 128
);
external_id!(
    /// Chosen by the client before it sends, so a retried send is recognised as the same message.
    ClientMessageId, "clientMessageId", 64
);
external_id!(
    /// An API Gateway WebSocket connection id (or the local emulator's).
    ConnectionId, "connectionId", 128
);

/// A conversation: `C` + ULID for channels, `D` + a hash of its people for direct messages
/// (a pair or a group DM), so opening a DM twice lands on the same id without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConversationId(String);

impl ConversationId {
    pub fn new_channel() -> Self {
        Self(format!("C{}", ulid::Ulid::new()))
    }

    /// The DM id of a pair is the same whichever of the two opens it.
    pub fn for_dm(tenant: &TenantId, a: &UserId, b: &UserId) -> Self {
        Self::for_dm_of(tenant, [a, b])
    }

    /// The DM id of a set of people (a pair or a group DM): the same in whatever order they
    /// are named and whoever opens it. A pair hashes as `for_dm` always has, so a two-person
    /// set is the ordinary DM.
    pub fn for_dm_of<'a>(tenant: &TenantId, people: impl IntoIterator<Item = &'a UserId>) -> Self {
        let mut people: Vec<&UserId> = people.into_iter().collect();
        people.sort();
        people.dedup();
        let mut hasher = Sha256::new();
        // The tenant is part of the hash so equal user ids in two tenants never share an id.
        for part in std::iter::once(tenant.as_str()).chain(people.iter().map(|u| u.as_str())) {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Self(format!("D{hex}"))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let valid = match raw.as_bytes().first() {
            Some(b'C') => raw.len() == 27 && ulid::Ulid::from_string(&raw[1..]).is_ok(),
            Some(b'D') => raw.len() == 33 && raw[1..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            _ => false,
        };
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidInput::new("conversationId", "is not a conversation id"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_dm(&self) -> bool {
        self.0.starts_with('D')
    }
}

impl TryFrom<String> for ConversationId {
    type Error = InvalidInput;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}
impl From<ConversationId> for String {
    fn from(id: ConversationId) -> String {
        id.0
    }
}
impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message id is a ULID: it sorts by creation time, so history pages and retention sweeps are
/// key-range queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(ulid::Ulid);

impl MessageId {
    pub fn new() -> Self {
        Self(ulid::Ulid::new())
    }
    pub fn from_ulid(id: ulid::Ulid) -> Self {
        Self(id)
    }
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        ulid::Ulid::from_string(raw).map(Self).map_err(|_| InvalidInput::new("messageId", "is not a message id (ULID)"))
    }
    pub fn timestamp_ms(&self) -> u64 {
        self.0.timestamp_ms()
    }
}

impl Default for MessageId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for MessageId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dm_id_is_symmetric_and_tenant_scoped() {
        let acme = TenantId::parse("acme").unwrap();
        let globex = TenantId::parse("globex").unwrap();
        let a = UserId::parse("alice").unwrap();
        let b = UserId::parse("bob").unwrap();
        let ab = ConversationId::for_dm(&acme, &a, &b);
        assert_eq!(ab, ConversationId::for_dm(&acme, &b, &a));
        assert_ne!(ab, ConversationId::for_dm(&globex, &a, &b));
        assert_eq!(ConversationId::parse(ab.as_str()).unwrap(), ab);
    }

    #[test]
    fn a_pair_keeps_the_id_it_always_had() {
        let acme = TenantId::parse("acme").unwrap();
        let (a, b) = (UserId::parse("alice").unwrap(), UserId::parse("bob").unwrap());
        // The id DMs opened before group DMs existed were stored under.
        let mut hasher = Sha256::new();
        for part in ["acme", "alice", "bob"] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let hex: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
        assert_eq!(ConversationId::for_dm(&acme, &b, &a).as_str(), format!("D{hex}"));
        assert_eq!(ConversationId::for_dm_of(&acme, [&b, &a, &b]), ConversationId::for_dm(&acme, &a, &b));
    }

    #[test]
    fn a_group_dm_id_is_order_independent_and_tenant_scoped() {
        let acme = TenantId::parse("acme").unwrap();
        let globex = TenantId::parse("globex").unwrap();
        let people: Vec<UserId> = ["dave", "bob", "carol", "alice"].iter().map(|u| UserId::parse(u).unwrap()).collect();
        let id = ConversationId::for_dm_of(&acme, &people);
        let mut reversed = people.clone();
        reversed.reverse();
        assert_eq!(id, ConversationId::for_dm_of(&acme, &reversed));
        assert_eq!(id, ConversationId::for_dm_of(&acme, people.iter().chain(&people[..2])));
        assert_ne!(id, ConversationId::for_dm_of(&globex, &people));
        assert_ne!(id, ConversationId::for_dm_of(&acme, &people[..3]));
        assert_ne!(
            ConversationId::for_dm_of(&acme, &people[..3]),
            ConversationId::for_dm(&acme, &people[0], &people[1])
        );
        assert_eq!(ConversationId::parse(id.as_str()).unwrap(), id);
        // No joining of ids can make two sets hash alike ("a", "bc" against "ab", "c").
        let split = |xs: &[&str]| xs.iter().map(|u| UserId::parse(u).unwrap()).collect::<Vec<_>>();
        assert_ne!(
            ConversationId::for_dm_of(&acme, &split(&["a", "bc"])),
            ConversationId::for_dm_of(&acme, &split(&["ab", "c"]))
        );
    }

    #[test]
    fn ids_refuse_key_delimiters_and_junk() {
        assert!(UserId::parse("a#b").is_err());
        assert!(UserId::parse("").is_err());
        assert!(TenantId::parse(&"x".repeat(65)).is_err());
        assert!(ConversationId::parse("C123").is_err());
        assert!(ConversationId::parse("Dabc").is_err());
        assert!(MessageId::parse("not-a-ulid").is_err());
        let c = ConversationId::new_channel();
        assert_eq!(ConversationId::parse(c.as_str()).unwrap(), c);
    }
}
