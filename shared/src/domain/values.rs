//! Values that can only hold what is valid: a handler that has a `MessageBody` cannot have
//! forgotten the length check.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::error::InvalidInput;

pub const MAX_MESSAGE_CHARS: usize = 40_000;
pub const MAX_CHANNEL_NAME_CHARS: usize = 80;
pub const MAX_TOPIC_CHARS: usize = 250;
pub const MAX_HANDLE_CHARS: usize = 40;
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

fn has_control_chars(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
}

/// A channel name as Slack shapes them: lowercase letters (any script), digits, `-` and `_`.
/// Unique per tenant, so it is normalised (NFC, lowercase) before it becomes a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelName(String);

impl ChannelName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let name: String = raw.trim().trim_start_matches('#').nfc().collect::<String>().to_lowercase();
        let count = name.chars().count();
        if count == 0 || count > MAX_CHANNEL_NAME_CHARS {
            return Err(InvalidInput::new("name", format!("must be 1-{MAX_CHANNEL_NAME_CHARS} characters")));
        }
        if !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err(InvalidInput::new("name", "may hold only letters, digits, '-' and '_' (no spaces)"));
        }
        Ok(Self(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelName {
    type Error = InvalidInput;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}
impl From<ChannelName> for String {
    fn from(v: ChannelName) -> String {
        v.0
    }
}

/// A channel topic: one line, at most 250 characters; empty means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic(String);

impl Topic {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let topic = raw.trim();
        if topic.chars().count() > MAX_TOPIC_CHARS {
            return Err(InvalidInput::new("topic", format!("must be at most {MAX_TOPIC_CHARS} characters")));
        }
        if has_control_chars(topic, false) {
            return Err(InvalidInput::new("topic", "must be one line without control characters"));
        }
        Ok(Self(topic.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message body: not blank, at most 40,000 characters, no control characters but line breaks
/// and tabs. Kept as written (no trimming inside), so code blocks survive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        if raw.trim().is_empty() {
            return Err(InvalidInput::new("body", "must not be empty"));
        }
        if raw.chars().count() > MAX_MESSAGE_CHARS {
            return Err(InvalidInput::new("body", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        if has_control_chars(raw, true) {
            return Err(InvalidInput::new("body", "must not contain control characters"));
        }
        Ok(Self(raw.trim_end().to_owned()))
    }
    /// A body that may be blank: for messages that carry files.
    pub fn parse_optional(raw: &str) -> Result<Self, InvalidInput> {
        if raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Self::parse(raw)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An @handle: lowercase ASCII letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle(String);

impl Handle {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let handle = raw.trim().trim_start_matches('@').to_ascii_lowercase();
        if handle.is_empty() || handle.len() > MAX_HANDLE_CHARS {
            return Err(InvalidInput::new("handle", format!("must be 1-{MAX_HANDLE_CHARS} characters")));
        }
        if !handle.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(InvalidInput::new("handle", "may hold only a-z, 0-9, '.', '_' and '-'"));
        }
        Ok(Self(handle))
    }

    /// A handle made from whatever the identity provider gave (a username, an email): never
    /// fails, so a user with an odd name still gets one.
    pub fn derive(from: &str, fallback: &str) -> Self {
        let local = from.split('@').next().unwrap_or(from);
        let cleaned: String = local
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .take(MAX_HANDLE_CHARS)
            .collect();
        if cleaned.is_empty() {
            let fallback: String = fallback
                .chars()
                .map(|c| c.to_ascii_lowercase())
                .filter(|c| c.is_ascii_alphanumeric())
                .take(MAX_HANDLE_CHARS)
                .collect();
            if fallback.is_empty() {
                return Self("user".to_owned());
            }
            return Self(fallback);
        }
        Self(cleaned)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode general category Cf (format characters: bidi embeddings, overrides and isolates,
/// zero-width spaces and joiners, the byte-order mark, the soft hyphen, …), as listed in
/// Unicode 15, plus the invisible fillers that are not Cf but show nothing either.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}'
        | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}'
        // Not Cf, but blank: Hangul fillers and the braille blank.
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
}

/// A person's display name: 1-80 characters, one line, without format characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        // Bidi overrides and invisible characters would let a name read as someone else's.
        let visible: String = raw.chars().filter(|c| !is_format_char(*c)).collect();
        let name: String = visible.trim().nfc().collect();
        let count = name.chars().count();
        if count == 0 || count > MAX_DISPLAY_NAME_CHARS {
            return Err(InvalidInput::new("displayName", format!("must be 1-{MAX_DISPLAY_NAME_CHARS} characters")));
        }
        if has_control_chars(&name, false) {
            return Err(InvalidInput::new("displayName", "must be one line without control characters"));
        }
        Ok(Self(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert!(MessageBody::parse("").is_err());
        assert!(MessageBody::parse(" \n\t ").is_err());
        assert!(MessageBody::parse("a\u{0}b").is_err());
        assert!(MessageBody::parse(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(MessageBody::parse(&"é".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert_eq!(MessageBody::parse("  code\n  block\n").unwrap().as_str(), "  code\n  block");
    }

    #[test]
    fn channel_names_normalise() {
        assert_eq!(ChannelName::parse(" #General ").unwrap().as_str(), "general");
        assert_eq!(ChannelName::parse("café").unwrap().as_str(), "café");
        assert!(ChannelName::parse("two words").is_err());
        assert!(ChannelName::parse("a#b").is_err());
        assert!(ChannelName::parse(&"a".repeat(81)).is_err());
    }

    #[test]
    fn display_names_lose_bidi_and_invisible_characters() {
        assert_eq!(DisplayName::parse("Alice\u{202E}nimda").unwrap().as_str(), "Alicenimda");
        assert_eq!(DisplayName::parse("\u{2067}Bob\u{2069}").unwrap().as_str(), "Bob");
        assert_eq!(DisplayName::parse("Al\u{200B}ice\u{200D}\u{FEFF}").unwrap().as_str(), "Alice");
        assert_eq!(DisplayName::parse("Car\u{00AD}ol\u{200E}").unwrap().as_str(), "Carol");
        assert_eq!(DisplayName::parse(" \u{200B} Dave \u{2060}").unwrap().as_str(), "Dave");
        // Only invisible characters: nothing is left, so no name.
        assert!(DisplayName::parse("\u{200B}\u{202E}\u{3164}").is_err());
        // Letters of right-to-left scripts stay; only the controls go.
        assert_eq!(DisplayName::parse("\u{202B}שלום\u{202C}").unwrap().as_str(), "שלום");
        assert_eq!(DisplayName::parse("José Núñez").unwrap().as_str(), "José Núñez");
        assert!(DisplayName::parse("two\nlines").is_err());
    }

    #[test]
    fn handles() {
        assert_eq!(Handle::parse("@Alice").unwrap().as_str(), "alice");
        assert!(Handle::parse("al ice").is_err());
        assert_eq!(Handle::derive("Bob.Smith@example.com", "u1").as_str(), "bob.smith");
        assert_eq!(Handle::derive("Ωμέγα", "u-1").as_str(), "u1");
    }
}
