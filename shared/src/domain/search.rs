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
    /// An http(s) link a person can click (`domain::markdown::BodyText::has_link`).
    #[serde(default)]
    pub has_link: bool,
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

/// A word or a phrase: tokens that must appear together in order (one for a word, several for a
/// phrase or a CJK run); `true` makes the last token a prefix.
pub type Term = (Vec<String>, bool);

/// A search as typed: words (a trailing `*` or the last word typed makes a prefix), "phrases",
/// `OR` between them, `-exclusions`, and operators.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedQuery {
    /// Every clause must match; a clause matches when any of its terms does (`a OR b`: OR binds
    /// tighter than the implicit AND between clauses, as in Slack and Google).
    pub clauses: Vec<Vec<Term>>,
    /// No message holding one of these matches (`-word`, `-"a phrase"`).
    pub excluded: Vec<Term>,
    pub from_handle: Option<String>,
    pub in_channel: Option<String>,
    /// `in:@handle`: the caller's DM with that user.
    pub in_dm_with: Option<String>,
    pub has_file: bool,
    /// An http(s) link in the message (decided at index time: `SearchDoc::has_link`).
    pub has_link: bool,
    pub is_mention: bool,
    /// Inclusive lower and exclusive upper bounds, epoch ms (days of the caller's time zone).
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
}

impl ParsedQuery {
    /// The terms a message is found by (for highlighting), in the order typed.
    pub fn wanted(&self) -> Vec<Term> {
        self.clauses.iter().flatten().cloned().collect()
    }

    /// Whether anything but words narrows the search.
    pub fn has_filter(&self) -> bool {
        self.from_handle.is_some()
            || self.in_channel.is_some()
            || self.in_dm_with.is_some()
            || self.has_file
            || self.has_link
            || self.is_mention
            || self.after_ms.is_some()
            || self.before_ms.is_some()
    }
}

/// The caller's IANA time zone (`Europe/Berlin`) from the IANA database bundled into the
/// binary; none means UTC.
pub fn time_zone(name: Option<&str>) -> Result<jiff::tz::TimeZone, InvalidInput> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(jiff::tz::TimeZone::UTC),
        Some(name) if name.len() > 64 => Err(InvalidInput::new("tz", "is not an IANA time zone like Europe/Berlin")),
        Some(name) => jiff::tz::TimeZone::get(name)
            .map_err(|_| InvalidInput::new("tz", format!("{name} is not an IANA time zone like Europe/Berlin"))),
    }
}

/// The first instant of a day typed as `2026-11-26` and of the day after, in `tz` (a day can
/// be 23 or 25 hours long, and may not start at midnight), in epoch ms.
fn day_bounds_ms(raw: &str, field: &'static str, tz: &jiff::tz::TimeZone) -> Result<(i64, i64), InvalidInput> {
    let bad = || InvalidInput::new("q", format!("{field}: expects a date like 2026-11-26"));
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw, &format).map_err(|_| bad())?;
    let day = jiff::civil::Date::new(date.year() as i16, u8::from(date.month()) as i8, date.day() as i8)
        .map_err(|_| bad())?;
    let start = |day: jiff::civil::Date| -> Result<i64, InvalidInput> {
        let zoned = day.to_zoned_datetime(tz.clone()).and_then(|z| z.start_of_day()).map_err(|_| bad())?;
        Ok(zoned.timestamp().as_millisecond())
    };
    Ok((start(day)?, start(day.tomorrow().map_err(|_| bad())?)?))
}

/// One piece of a query as typed.
enum Piece {
    Term { term: Term, negated: bool, bare_word: bool },
    Or,
    Operator,
}

/// Parses `deploy OR release "release notes" -draft -"old plan" from:@alice in:#general
/// in:@bob has:file has:link is:mention before:2026-11-01 after:2026-10-01 on:2026-10-15`, with
/// days in `tz`. Unknown `x:` operators are searched as words; `OR` (upper case) goes between two
/// words or phrases.
pub fn parse_query(q: &str, tz: &jiff::tz::TimeZone) -> Result<ParsedQuery, InvalidInput> {
    if q.chars().count() > 500 {
        return Err(InvalidInput::new("q", "must be at most 500 characters"));
    }
    let mut parsed = ParsedQuery::default();
    let mut pieces = Vec::new();
    let mut rest = q.trim();
    while !rest.is_empty() {
        let negated = rest.starts_with("-\"")
            || (rest.starts_with('-') && rest.len() > 1 && !rest[1..].starts_with(char::is_whitespace));
        let body = if negated { &rest[1..] } else { rest };
        if let Some(after_quote) = body.strip_prefix('"') {
            let (phrase, tail) = match after_quote.find('"') {
                Some(end) => (&after_quote[..end], &after_quote[end + 1..]),
                None => (after_quote, ""),
            };
            let tokens = tokenize(phrase);
            if !tokens.is_empty() {
                pieces.push(Piece::Term { term: (tokens, false), negated, bare_word: false });
            }
            rest = tail.trim_start();
            continue;
        }
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let word = &body[..end];
        rest = body[end..].trim_start();
        if word == "OR" && !negated {
            pieces.push(Piece::Or);
            continue;
        }
        let lower = word.to_lowercase();
        let operator = if negated { None } else { lower.split_once(':') };
        match operator {
            Some(("from", v)) if !v.is_empty() => parsed.from_handle = Some(v.trim_start_matches('@').to_owned()),
            Some(("in", v)) if v.starts_with('@') && v.len() > 1 => parsed.in_dm_with = Some(v[1..].to_owned()),
            Some(("in", v)) if !v.is_empty() => parsed.in_channel = Some(v.trim_start_matches('#').to_owned()),
            Some(("has", "file" | "files" | "attachment")) => parsed.has_file = true,
            Some(("has", "link" | "links")) => parsed.has_link = true,
            Some(("is", "mention" | "mentioned")) => parsed.is_mention = true,
            Some(("before", v)) => parsed.before_ms = Some(day_bounds_ms(v, "before", tz)?.0),
            Some(("after", v)) => parsed.after_ms = Some(day_bounds_ms(v, "after", tz)?.1),
            Some(("on", v)) => {
                let (start, end) = day_bounds_ms(v, "on", tz)?;
                parsed.after_ms = Some(start);
                parsed.before_ms = Some(end);
            }
            _ => {
                let prefix = word.ends_with('*');
                let tokens = tokenize(word.trim_end_matches('*'));
                if tokens.is_empty() {
                    continue;
                }
                let cjk = tokens.iter().any(|t| t.chars().any(is_cjk));
                let bare_word = tokens.len() == 1 && !cjk;
                pieces.push(Piece::Term { term: (tokens, prefix && !cjk), negated, bare_word });
                continue;
            }
        }
        pieces.push(Piece::Operator);
    }
    let or_misplaced = || InvalidInput::new("q", "needs OR between two words or phrases, like deploy OR release");
    let mut joins_previous = false;
    let mut previous_is_term = false;
    let last = pieces.len().saturating_sub(1);
    for (i, piece) in pieces.into_iter().enumerate() {
        match piece {
            Piece::Or => {
                if !previous_is_term || joins_previous || i == last {
                    return Err(or_misplaced());
                }
                joins_previous = true;
                previous_is_term = false;
            }
            Piece::Term { term, negated: true, .. } => {
                if joins_previous {
                    return Err(or_misplaced());
                }
                parsed.excluded.push(term);
                previous_is_term = false;
            }
            Piece::Term { mut term, negated: false, bare_word } => {
                // Search as you type: the last bare word is also a prefix.
                if i == last && bare_word && !q.trim_end().ends_with('"') {
                    term.1 = true;
                }
                match parsed.clauses.last_mut() {
                    Some(clause) if joins_previous => clause.push(term),
                    _ => parsed.clauses.push(vec![term]),
                }
                joins_previous = false;
                previous_is_term = true;
            }
            Piece::Operator => {
                if joins_previous {
                    return Err(or_misplaced());
                }
                previous_is_term = false;
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
    /// As in `ParsedQuery`: every clause must match, any term of a clause will do.
    pub clauses: Vec<Vec<Term>>,
    pub excluded: Vec<Term>,
    pub author_id: Option<String>,
    pub mentions_user: Option<String>,
    pub has_file: bool,
    pub has_link: bool,
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
pub fn snippet(body: &str, terms: &[Term]) -> Vec<SnippetPart> {
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

    fn utc() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::UTC
    }

    fn parse(q: &str) -> ParsedQuery {
        parse_query(q, &utc()).unwrap()
    }

    fn word(w: &str, prefix: bool) -> Term {
        (vec![w.to_owned()], prefix)
    }

    #[test]
    fn queries() {
        let q =
            parse(r#"deploy "release notes" from:@Alice in:#General has:file has:link is:mention on:2026-11-02 depl"#);
        assert_eq!(
            q.clauses,
            vec![
                vec![word("deploy", false)],
                vec![(vec!["release".into(), "notes".into()], false)],
                vec![word("depl", true)]
            ]
        );
        assert_eq!(q.from_handle.as_deref(), Some("alice"));
        assert_eq!(q.in_channel.as_deref(), Some("general"));
        assert!(q.has_file && q.has_link && q.is_mention);
        assert_eq!(q.before_ms.unwrap() - q.after_ms.unwrap(), 24 * 3600 * 1000);
        assert!(parse_query("before:yesterday", &utc()).is_err());
        assert_eq!(parse("東京").clauses, vec![vec![(vec!["東京".to_owned()], false)]]);
        assert_eq!(parse("rel* x").clauses, vec![vec![word("rel", true)], vec![word("x", true)]]);
        let q = parse("in:@Bob in:#x");
        assert_eq!((q.in_dm_with.as_deref(), q.in_channel.as_deref()), (Some("bob"), Some("x")));
        assert!(parse("has:links").has_link);
    }

    #[test]
    fn or_binds_tighter_than_and() {
        let q = parse("deploy OR release tonight");
        assert_eq!(q.clauses, vec![vec![word("deploy", false), word("release", false)], vec![word("tonight", true)]]);
        let q = parse(r#"a OR "b c" OR d e"#);
        assert_eq!(
            q.clauses,
            vec![
                vec![word("a", false), (vec!["b".into(), "c".into()], false), word("d", false)],
                vec![word("e", true)]
            ]
        );
        // The last word typed is a prefix in an OR too; lower-case `or` is a word.
        assert_eq!(parse("x OR rel").clauses, vec![vec![word("x", false), word("rel", true)]]);
        assert_eq!(parse("this or that").clauses.len(), 3);
        assert_eq!(parse(r#""OR""#).clauses, vec![vec![word("or", false)]]);
        for bad in
            ["OR deploy", "deploy OR", "deploy OR OR release", "deploy OR -release", "from:@a OR b", "a OR from:@b"]
        {
            let err = parse_query(bad, &utc()).expect_err(bad);
            assert_eq!(err.field, "q", "{bad}");
            assert!(err.message.contains("needs OR between two words"), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn minus_excludes_words_and_phrases() {
        let q = parse(r#"deploy -staging -"dry run" -rel*"#);
        assert_eq!(q.clauses, vec![vec![word("deploy", false)]]);
        assert_eq!(
            q.excluded,
            vec![word("staging", false), (vec!["dry".into(), "run".into()], false), word("rel", true)],
            "an exclusion is never a prefix unless typed with *"
        );
        // A dash inside a word or alone is no exclusion.
        assert_eq!(parse("e-mail - x").excluded, Vec::<Term>::new());
        assert!(parse("-only").clauses.is_empty() && !parse("-only").has_filter());
        assert_eq!(parse("-from:@x").from_handle, None, "an excluded operator is a word");
    }

    #[test]
    fn days_are_the_callers() {
        let berlin = time_zone(Some("Europe/Berlin")).unwrap();
        let q = parse_query("on:2026-11-02", &berlin).unwrap();
        // Midnight in Berlin in November is 23:00 UTC the day before.
        assert_eq!(q.after_ms, Some(1_793_574_000_000));
        assert_eq!(q.before_ms, Some(1_793_574_000_000 + 24 * 3600 * 1000));
        // The day clocks go back is 25 hours long; `after:` starts at the next day's start.
        let q = parse_query("on:2026-10-25", &berlin).unwrap();
        assert_eq!(q.before_ms.unwrap() - q.after_ms.unwrap(), 25 * 3600 * 1000);
        let after = parse_query("after:2026-10-24", &berlin).unwrap().after_ms;
        assert_eq!(after, parse_query("on:2026-10-25", &berlin).unwrap().after_ms);
        assert_eq!(parse("before:2026-11-02").before_ms, Some(1_793_577_600_000), "UTC by default");
        let tokyo = time_zone(Some("Asia/Tokyo")).unwrap();
        assert_eq!(
            parse_query("before:2026-11-02", &tokyo).unwrap().before_ms,
            Some(1_793_577_600_000 - 9 * 3600 * 1000)
        );
        assert_eq!(time_zone(None).unwrap(), jiff::tz::TimeZone::UTC);
        assert_eq!(time_zone(Some("")).unwrap(), jiff::tz::TimeZone::UTC);
        for bad in ["Mars/Olympus_Mons", "+02:00", "Europe/Berlin; DROP", &"x".repeat(100)] {
            assert_eq!(time_zone(Some(bad)).expect_err(bad).field, "tz");
        }
    }

    #[test]
    fn snippets_mark_what_matched() {
        let parts = snippet("The release notes are out", &parse("release").wanted());
        assert_eq!(parts.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect::<Vec<_>>(), ["release"]);
        let parts = snippet("Don't forget the e-mail", &parse("don't mail").wanted());
        assert_eq!(parts.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect::<Vec<_>>(), ["Don't", "mail"]);
        let parts = snippet("明日東京へ", &parse("東京").wanted());
        assert_eq!(parts.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect::<Vec<_>>(), ["東京"]);
        let long = format!("{} needle {}", "x ".repeat(300), "y ".repeat(300));
        let parts = snippet(&long, &parse("needle").wanted());
        assert!(parts.first().unwrap().text == "…" && parts.last().unwrap().text == "…");
        assert!(parts.iter().any(|p| p.matched && p.text == "needle"));
    }
}
