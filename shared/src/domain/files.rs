//! Upload rules: sizes, refused content types, and filenames made safe for keys and display.

use unicode_normalization::UnicodeNormalization;

use super::error::InvalidInput;

/// Longest stored filename, in bytes (S3 keys allow 1,024 for the whole key).
pub const MAX_FILENAME_BYTES: usize = 120;
const MAX_DISPLAY_CHARS: usize = 255;

#[derive(Debug, Clone)]
pub struct UploadRules {
    pub max_bytes: u64,
    /// Refused content types (exact, lowercase): what a browser would run or render as a page.
    pub denied_types: Vec<String>,
    pub url_ttl_secs: u64,
}

impl Default for UploadRules {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            denied_types: [
                "text/html",
                "application/xhtml+xml",
                "image/svg+xml",
                "application/javascript",
                "text/javascript",
                "application/x-msdownload",
                "application/x-msdos-program",
                "application/x-sh",
                "application/java-archive",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            url_ttl_secs: 300,
        }
    }
}

/// Characters that reorder or hide text (bidi overrides and isolates, zero-width marks): a name
/// like `invoice` + U+202E + `fdp.exe` must not display as `invoiceexe.pdf`.
fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

/// The name shown to people: the original without control or bidi characters, trimmed.
pub fn display_name(raw: &str) -> Result<String, InvalidInput> {
    let name: String = raw.nfc().filter(|c| !c.is_control() && !is_invisible_or_bidi(*c)).collect();
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidInput::new("filename", "must name the file"));
    }
    Ok(name.chars().take(MAX_DISPLAY_CHARS).collect())
}

/// The name used in the object key: the last path component only, no control, bidi or
/// separator characters, no leading dots, at most 120 bytes with the extension kept.
pub fn storage_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last
        .nfc()
        .filter(|c| !c.is_control() && !is_invisible_or_bidi(*c))
        .map(|c| {
            if matches!(
                c,
                '<' | '>'
                    | ':'
                    | '"'
                    | '|'
                    | '?'
                    | '*'
                    | '#'
                    | '%'
                    | '&'
                    | '{'
                    | '}'
                    | '^'
                    | '~'
                    | '['
                    | ']'
                    | '`'
                    | '+'
            ) || c.is_whitespace()
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches(['.', '_']).trim_end_matches(['.', '_']);
    let mut name = if cleaned.is_empty() { "file".to_owned() } else { cleaned.to_owned() };
    if name.len() > MAX_FILENAME_BYTES {
        let (stem, ext) = match name.rfind('.') {
            Some(i) if name.len() - i <= 16 => (name[..i].to_owned(), name[i..].to_owned()),
            _ => (name.clone(), String::new()),
        };
        let mut budget = MAX_FILENAME_BYTES - ext.len();
        while !stem.is_char_boundary(budget) {
            budget -= 1;
        }
        name = format!("{}{ext}", &stem[..budget]);
    }
    name
}

/// A content type as `type/subtype`, lowercase, parameters dropped.
pub fn content_type(raw: &str) -> Result<String, InvalidInput> {
    let base = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let valid = base.split_once('/').is_some_and(|(t, s)| {
        let ok = |p: &str| {
            !p.is_empty() && p.len() <= 100 && p.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
        };
        ok(t) && ok(s)
    });
    if valid {
        Ok(base)
    } else {
        Err(InvalidInput::new("contentType", "must be a media type like image/png"))
    }
}

/// Images a browser may show inline; everything else downloads (SVG can hold script: never inline).
pub fn is_inline_image(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif")
}

/// `Content-Disposition` with the display name, RFC 6266/5987 encoded.
pub fn disposition(content_type: &str, name: &str) -> String {
    let kind = if is_inline_image(content_type) { "inline" } else { "attachment" };
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_made_safe() {
        assert_eq!(storage_name("../../x"), "x");
        assert_eq!(storage_name("a/b"), "b");
        assert_eq!(storage_name("C:\\Users\\me\\evil.exe"), "evil.exe");
        assert_eq!(storage_name("nul\u{0}byte.txt"), "nulbyte.txt");
        assert_eq!(storage_name(".bashrc"), "bashrc");
        assert_eq!(storage_name("..."), "file");
        assert_eq!(storage_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(storage_name("my report (final).pdf"), "my_report_(final).pdf");
        let long = format!("{}.pdf", "é".repeat(1000));
        let stored = storage_name(&long);
        assert!(stored.len() <= MAX_FILENAME_BYTES && stored.ends_with(".pdf"), "{stored}");
        assert_eq!(display_name("invoice\u{202E}fdp.exe").unwrap(), "invoicefdp.exe");
        assert_eq!(display_name("  résumé.pdf ").unwrap(), "résumé.pdf");
        assert!(display_name("\u{0}\u{202E}").is_err());
        assert_eq!(display_name(&"a".repeat(1000)).unwrap().chars().count(), 255);
    }

    #[test]
    fn content_types_and_dispositions() {
        assert_eq!(content_type("Image/PNG; charset=x").unwrap(), "image/png");
        assert!(content_type("png").is_err());
        assert!(content_type("a/b c").is_err());
        assert!(disposition("image/png", "cat.png").starts_with("inline;"));
        assert!(disposition("image/svg+xml", "x.svg").starts_with("attachment;"));
        assert!(disposition("application/pdf", "résumé \"x\".pdf")
            .contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22%2Epdf"));
    }
}
