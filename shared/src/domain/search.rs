//! Search: one tokenizer and one query language for both indexes (OpenSearch and the embedded
//! one), the documents the stream indexer writes, and the plan a query becomes once the caller's
//! readable conversations are known.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use super::error::InvalidInput;
use super::message::Message;

/// Han, Kana and Hangul are written without spaces: they are indexed as overlapping pairs of
/// characters (like OpenSearch's `cjk_bigram`), so a two-character query finds them.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' | '\u{20000}'..='\u{2FA1F}')
}

/// One token and the characters of the text it came from (char indices, end exclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpan {
    pub token: String,
    pub start: usize,
    pub end: usize,
}

fn folds_to_cjk(c: char) -> bool {
    // Half-width katakana and compatibility ideographs become CJK under NFKC.
    !c.is_ascii() && (is_cjk(c) || std::iter::once(c).nfkc().next().is_some_and(is_cjk))
}

/// The tokens both indexes hold, with where they are: the words of Unicode's word boundaries
/// (UAX #29, what OpenSearch's `standard` tokenizer splits by: `don't` and `3.14` are one
/// word, `e-mail` two), NFKC-folded and lowercased; CJK characters as overlapping pairs of
/// adjacent characters (`cjk_bigram`: a run breaks where the text between them is not empty).
pub fn token_spans(text: &str) -> Vec<TokenSpan> {
    fn flush_piece(piece: &mut String, start: usize, end: usize, out: &mut Vec<TokenSpan>) {
        if !piece.is_empty() {
            let token = piece.nfkc().collect::<String>().to_lowercase();
            piece.clear();
            out.push(TokenSpan { token, start, end });
        }
    }
    fn flush_run(run: &mut Vec<(char, usize)>, out: &mut Vec<TokenSpan>) {
        match run.len() {
            0 => {}
            1 => out.push(TokenSpan { token: run[0].0.to_string(), start: run[0].1, end: run[0].1 + 1 }),
            _ => out.extend(run.windows(2).map(|w| TokenSpan {
                token: [w[0].0, w[1].0].iter().collect(),
                start: w[0].1,
                end: w[1].1 + 1,
            })),
        }
        run.clear();
    }
    let mut out = Vec::new();
    let mut run: Vec<(char, usize)> = Vec::new();
    let mut run_end = 0;
    let (mut chars_before, mut bytes_seen) = (0, 0);
    for (byte, word) in text.unicode_word_indices() {
        chars_before += text[bytes_seen..byte].chars().count();
        bytes_seen = byte;
        let mut piece = String::new();
        let mut piece_start = chars_before;
        let mut at = chars_before;
        for c in word.chars() {
            if folds_to_cjk(c) {
                flush_piece(&mut piece, piece_start, at, &mut out);
                if run_end != at {
                    flush_run(&mut run, &mut out);
                }
                run.extend(std::iter::once(c).nfkc().flat_map(char::to_lowercase).map(|f| (f, at)));
                run_end = at + 1;
            } else {
                flush_run(&mut run, &mut out);
                if piece.is_empty() {
                    piece_start = at;
                }
                piece.push(c);
            }
            at += 1;
        }
        flush_piece(&mut piece, piece_start, at, &mut out);
    }
    flush_run(&mut run, &mut out);
    out
}

/// The tokens of `text` in order (see `token_spans`).
pub fn tokenize(text: &str) -> Vec<String> {
    token_spans(text).into_iter().map(|span| span.token).collect()
}

/// What the stream indexer stores for a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchDoc {
    pub id: String,
    pub tenant_id: String,
    pub conversation_id: String,
    pub author_id: String,
    pub body: String,
    pub mentions: Vec<String>,
    pub has_file: bool,
    pub created_ms: i64,
    /// The message's `updatedSeq`: an older version never overwrites a newer one.
    pub version: u64,
    /// On a thread reply: its root, so a hit opens the thread (and the table read finds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IndexOp {
    Upsert(SearchDoc),
    /// `version` above every version the message had, so a replayed older upsert cannot revive it.
    Delete {
        id: String,
        tenant_id: String,
        version: u64,
    },
}

impl IndexOp {
    pub fn id(&self) -> &str {
        match self {
            IndexOp::Upsert(doc) => &doc.id,
            IndexOp::Delete { id, .. } => id,
        }
    }
}

/// When the message was created, in epoch milliseconds (0 if its time does not parse).
pub fn created_ms(message: &Message) -> i64 {
    time::OffsetDateTime::parse(&message.created_at, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Newest,
    Relevance,
}

/// A search as typed: words (a trailing `*` or the last word typed makes a prefix), "phrases",
/// and operators.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedQuery {
    /// Each term is a list of tokens that must appear together in order (one token for a word,
    /// several for a phrase or a CJK run); `prefix` makes the last token a prefix.
    pub terms: Vec<(Vec<String>, bool)>,
    pub from_handle: Option<String>,
    pub in_channel: Option<String>,
    pub has_file: bool,
    pub is_mention: bool,
    /// Inclusive lower and exclusive upper bounds, epoch ms (UTC days).
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
}

fn day_start_ms(raw: &str, field: &'static str) -> Result<i64, InvalidInput> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw, &format)
        .map_err(|_| InvalidInput::new("q", format!("{field}: expects a date like 2026-11-26")))?;
    Ok((date.midnight().assume_utc().unix_timestamp()) * 1000)
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Parses `words "a phrase" from:@alice in:#general has:file is:mention before:2026-11-01
/// after:2026-10-01 on:2026-10-15`. Unknown `x:` operators are searched as words.
pub fn parse_query(q: &str) -> Result<ParsedQuery, InvalidInput> {
    if q.chars().count() > 500 {
        return Err(InvalidInput::new("q", "must be at most 500 characters"));
    }
    let mut parsed = ParsedQuery::default();
    let mut rest = q.trim();
    while !rest.is_empty() {
        if let Some(after_quote) = rest.strip_prefix('"') {
            let (phrase, tail) = match after_quote.find('"') {
                Some(end) => (&after_quote[..end], &after_quote[end + 1..]),
                None => (after_quote, ""),
            };
            let tokens = tokenize(phrase);
            if !tokens.is_empty() {
                parsed.terms.push((tokens, false));
            }
            rest = tail.trim_start();
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = rest[end..].trim_start();
        let lower = word.to_lowercase();
        match lower.split_once(':') {
            Some(("from", v)) if !v.is_empty() => parsed.from_handle = Some(v.trim_start_matches('@').to_owned()),
            Some(("in", v)) if !v.is_empty() => parsed.in_channel = Some(v.trim_start_matches('#').to_owned()),
            Some(("has", "file" | "files" | "attachment")) => parsed.has_file = true,
            Some(("is", "mention" | "mentioned")) => parsed.is_mention = true,
            Some(("before", v)) => parsed.before_ms = Some(day_start_ms(v, "before")?),
            Some(("after", v)) => parsed.after_ms = Some(day_start_ms(v, "after")? + DAY_MS),
            Some(("on", v)) => {
                let start = day_start_ms(v, "on")?;
                parsed.after_ms = Some(start);
                parsed.before_ms = Some(start + DAY_MS);
            }
            _ => {
                let prefix = word.ends_with('*');
                let tokens = tokenize(word.trim_end_matches('*'));
                if !tokens.is_empty() {
                    let cjk = tokens.iter().any(|t| t.chars().any(is_cjk));
                    parsed.terms.push((tokens, prefix && !cjk));
                }
            }
        }
    }
    // Search as you type: the last bare word is also a prefix.
    if !q.trim_end().ends_with('"') {
        if let Some(last) = parsed.terms.last_mut() {
            if last.0.len() == 1 && !last.0[0].chars().any(is_cjk) {
                last.1 = true;
            }
        }
    }
    Ok(parsed)
}

/// The query an index runs: the parsed words plus filters the use case resolved — always the
/// tenant and the conversations the caller can read right now.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    pub tenant_id: String,
    pub conversation_ids: Vec<String>,
    pub terms: Vec<(Vec<String>, bool)>,
    pub author_id: Option<String>,
    pub mentions_user: Option<String>,
    pub has_file: bool,
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub sort: SortOrder,
    pub limit: usize,
    /// Opaque to callers: `{createdMs}:{id}` (newest) or an offset (relevance).
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: String,
    pub conversation_id: String,
    pub score: f64,
    /// The hit is a thread reply of this root.
    pub thread_root_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}

/// A piece of a snippet; `matched` pieces are what the query found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnippetPart {
    pub text: String,
    #[serde(rename = "match")]
    pub matched: bool,
}

/// Up to ~200 characters of `body` around the first match, split into matched and plain parts.
/// Matching is by the same tokens the index uses, so what is highlighted is what was found.
pub fn snippet(body: &str, terms: &[(Vec<String>, bool)]) -> Vec<SnippetPart> {
    let wanted: Vec<(String, bool)> = terms
        .iter()
        .flat_map(|(tokens, prefix)| {
            let last = tokens.len().saturating_sub(1);
            tokens.iter().enumerate().map(move |(i, t)| (t.clone(), *prefix && i == last))
        })
        .collect();
    let chars: Vec<char> = body.chars().collect();
    let mut marked = vec![false; chars.len()];
    for span in token_spans(body) {
        let token = span.token.as_str();
        if wanted.iter().any(|(t, prefix)| if *prefix { token.starts_with(t.as_str()) } else { token == t }) {
            marked[span.start..span.end.min(chars.len())].iter_mut().for_each(|m| *m = true);
        }
    }
    const WINDOW: usize = 200;
    let first = marked.iter().position(|m| *m).unwrap_or(0);
    let start = if chars.len() <= WINDOW { 0 } else { first.saturating_sub(60).min(chars.len() - WINDOW) };
    let end = (start + WINDOW).min(chars.len());
    let mut parts: Vec<SnippetPart> = Vec::new();
    if start > 0 {
        parts.push(SnippetPart { text: "…".into(), matched: false });
    }
    for idx in start..end {
        match parts.last_mut() {
            Some(last) if last.matched == marked[idx] && !(idx == start && start > 0) => last.text.push(chars[idx]),
            _ => parts.push(SnippetPart { text: chars[idx].to_string(), matched: marked[idx] }),
        }
    }
    if end < chars.len() {
        parts.push(SnippetPart { text: "…".into(), matched: false });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_words_and_cjk_bigrams() {
        assert_eq!(tokenize("Hello, World! Café"), ["hello", "world", "café"]);
        assert_eq!(tokenize("東京タワーへ行く"), ["東京", "京タ", "タワ", "ワー", "ーへ", "へ行", "行く"]);
        assert_eq!(tokenize("meet at 東京 at 9"), ["meet", "at", "東京", "at", "9"]);
        assert_eq!(tokenize("ＡＢＣ"), ["abc"], "NFKC folds full-width letters");
    }

    /// The word boundaries of OpenSearch's `standard` tokenizer (Lucene's StandardTokenizer,
    /// UAX #29), which the OpenSearch index applies to the same text: both indexes agree.
    #[test]
    fn words_split_where_opensearchs_standard_tokenizer_splits_them() {
        let cases: &[(&str, &[&str])] = &[
            ("Don't panic", &["don't", "panic"]),
            ("O'Reilly's book", &["o'reilly's", "book"]),
            ("pi is 3.14, not 3,14159", &["pi", "is", "3.14", "not", "3,14159"]),
            ("send an e-mail", &["send", "an", "e", "mail"]),
            ("U.S.A. and wi-fi", &["u.s.a", "and", "wi", "fi"]),
            ("snake_case and 1,000,000", &["snake_case", "and", "1,000,000"]),
            ("mail foo@bar.com now", &["mail", "foo", "bar.com", "now"]),
            ("hello...world", &["hello", "world"]),
            ("v2.0-beta", &["v2.0", "beta"]),
            ("Cafe\u{301} and café", &["café", "and", "café"]),
            ("東京 大阪", &["東京", "大阪"]),
            ("ｶﾀｶﾅ", &["カタ", "タカ", "カナ"]),
        ];
        for (text, expected) in cases {
            assert_eq!(tokenize(text), *expected, "{text}");
        }
        // Spans point at the characters each token came from (the snippet marks them).
        let spans = token_spans("Say don't, 東京!");
        let at: Vec<(&str, usize, usize)> = spans.iter().map(|s| (s.token.as_str(), s.start, s.end)).collect();
        assert_eq!(at, [("say", 0, 3), ("don't", 4, 9), ("東京", 11, 13)]);
    }

    #[test]
    fn queries() {
        let q = parse_query(r#"deploy "release notes" from:@Alice in:#General has:file is:mention on:2026-11-02 depl"#)
            .unwrap();
        assert_eq!(
            q.terms,
            vec![
                (vec!["deploy".into()], false),
                (vec!["release".into(), "notes".into()], false),
                (vec!["depl".into()], true)
            ]
        );
        assert_eq!(q.from_handle.as_deref(), Some("alice"));
        assert_eq!(q.in_channel.as_deref(), Some("general"));
        assert!(q.has_file && q.is_mention);
        assert_eq!(q.before_ms.unwrap() - q.after_ms.unwrap(), DAY_MS);
        assert!(parse_query("before:yesterday").is_err());
        let q = parse_query("東京").unwrap();
        assert_eq!(q.terms, vec![(vec!["東京".to_owned()], false)]);
        let q = parse_query("rel* x").unwrap();
        assert_eq!(q.terms, vec![(vec!["rel".into()], true), (vec!["x".into()], true)]);
    }

    #[test]
    fn snippets_mark_what_matched() {
        let parts = snippet("The release notes are out", &parse_query("release").unwrap().terms);
        assert_eq!(parts.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect::<Vec<_>>(), ["release"]);
        let parts = snippet("Don't forget the e-mail", &parse_query("don't mail").unwrap().terms);
        assert_eq!(parts.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect::<Vec<_>>(), ["Don't", "mail"]);
        let parts = snippet("明日東京へ", &parse_query("東京").unwrap().terms);
        assert_eq!(parts.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect::<Vec<_>>(), ["東京"]);
        let long = format!("{} needle {}", "x ".repeat(300), "y ".repeat(300));
        let parts = snippet(&long, &parse_query("needle").unwrap().terms);
        assert!(parts.first().unwrap().text == "…" && parts.last().unwrap().text == "…");
        assert!(parts.iter().any(|p| p.matched && p.text == "needle"));
    }
}
