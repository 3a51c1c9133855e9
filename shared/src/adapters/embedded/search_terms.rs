//! The search index's dictionary of terms, which turns a long prefix into the terms it covers.
//!
//! FTS5 answers a prefix longer than its prefix indexes (1 to 3 characters) by merging the
//! whole doclist of every term that starts with it before handing back the first row: for the
//! last word typed (always a prefix, search as you type) that is a walk of most of the index
//! when the word is common, whatever the conversation filter and `LIMIT` (the profile of
//! `benches/search_index.rs` at 1M messages: 150 to 250 ms in `fts5SetupPrefixIter`). An `OR`
//! of the same terms is walked newest first and stops at the page. This table names them.
//!
//! The dictionary holds every token written to the full-text table and, for a token holding a
//! character FTS5's `unicode61` might split at, each piece after such a character: so every
//! term FTS5 holds starts one of its entries, and an expansion covers at least what FTS5's own
//! prefix query would (an entry that is no FTS5 term only adds a phrase that matches nothing).
//! Entries are never removed: a term without documents matches nothing.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, Transaction};

use crate::domain::search::{is_cjk, Term};

/// The longest prefix index of the full-text table (`prefix = '1 2 3'`): FTS5 answers shorter
/// prefixes from those indexes, newest first.
pub const LONGEST_PREFIX_INDEX: usize = 3;

/// Beyond this many terms a prefix is left to FTS5 (an `OR` of hundreds of terms opens
/// hundreds of iterators per segment).
pub const MAX_EXPANSION: usize = 128;

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY) WITHOUT ROWID;";

/// `PRAGMA user_version` once the dictionary holds the terms of every indexed document.
pub const FILLED_VERSION: i64 = 1;

/// A character FTS5's `unicode61` surely keeps inside a token and folds to itself: lower-case
/// ASCII letters and digits, CJK (no case) and the private-use characters `fts_token` maps
/// punctuation to. Anything else may be a separator to it (its tables are older than Rust's).
fn certain(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || is_cjk(c) || ('\u{F0000}'..='\u{FFFFF}').contains(&c)
}

/// The entries a token written to the full-text table gives: itself, and what follows each
/// character FTS5 might split it at.
pub fn entries(token: &str, out: &mut BTreeSet<String>) {
    out.insert(token.to_owned());
    for (at, c) in token.char_indices() {
        if !certain(c) {
            let rest = &token[at + c.len_utf8()..];
            if !rest.is_empty() {
                out.insert(rest.to_owned());
            }
        }
    }
}

/// Adds entries in the caller's transaction (the one that indexes their documents).
pub fn record(tx: &Transaction<'_>, terms: &BTreeSet<String>) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO terms (term) VALUES (?1)")?;
    for term in terms {
        insert.execute(params![term])?;
    }
    Ok(())
}

/// Fills the dictionary of an index made before it, from FTS5's own list of terms (one walk of
/// the index, once).
pub fn fill_once(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= FILLED_VERSION {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "BEGIN;
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.docs_fts_vocab USING fts5vocab(main, docs_fts, 'row');
         INSERT OR IGNORE INTO terms (term) SELECT term FROM temp.docs_fts_vocab;
         DROP TABLE temp.docs_fts_vocab;
         PRAGMA user_version = {FILLED_VERSION};
         COMMIT;"
    ))
}

/// The terms starting with `prefix` (an FTS5 token), or `None` when FTS5 answers it well
/// itself (a prefix index of its length) or cannot be matched term for term (a character it
/// might split at, or more than `MAX_EXPANSION` terms).
fn expansion(conn: &Connection, prefix: &str) -> rusqlite::Result<Option<Vec<String>>> {
    if prefix.chars().count() <= LONGEST_PREFIX_INDEX || !prefix.chars().all(certain) {
        return Ok(None);
    }
    // Every string starting with the prefix sorts before the prefix and the last code point.
    let end = format!("{prefix}\u{10FFFF}");
    let mut stmt =
        conn.prepare_cached("SELECT term FROM terms WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT ?3")?;
    let terms = stmt
        .query_map(params![prefix, end, (MAX_EXPANSION + 1) as i64], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((terms.len() <= MAX_EXPANSION).then_some(terms))
}

/// The terms of a clause (or of the exclusions) with each long prefix replaced by the exact
/// terms it covers, a phrase's last word included. A prefix no term starts with stays a whole
/// word, which matches nothing as no document holds it either.
pub fn expand(conn: &Connection, terms: &[Term], fts_token: impl Fn(&str) -> String) -> rusqlite::Result<Vec<Term>> {
    let mut out = Vec::with_capacity(terms.len());
    for (tokens, prefix) in terms {
        let last = match tokens.last() {
            Some(last) if *prefix => fts_token(last),
            _ => {
                out.push((tokens.clone(), *prefix));
                continue;
            }
        };
        match expansion(conn, &last)? {
            None => out.push((tokens.clone(), true)),
            Some(found) if found.is_empty() => out.push((tokens.clone(), false)),
            Some(found) => {
                let head = &tokens[..tokens.len() - 1];
                out.extend(found.into_iter().map(|term| (head.iter().cloned().chain([term]).collect(), false)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_with_a_character_fts5_may_split_at_gives_what_follows_it() {
        let mut out = BTreeSet::new();
        entries("deploy", &mut out);
        entries("नमस्ते", &mut out);
        assert!(out.contains("deploy"));
        assert!(out.contains("नमस्ते"));
        // Every character of the Devanagari word is uncertain: each tail is an entry.
        assert!(out.contains("मस्ते") && out.contains("ते") && out.contains("े"));
        assert_eq!(out.iter().filter(|t| t.starts_with("dep")).count(), 1);
    }

    fn dictionary(terms: &[&str]) -> Connection {
        let conn = Connection::open_in_memory().expect("opens");
        conn.execute_batch(SCHEMA).expect("schema");
        for t in terms {
            conn.execute("INSERT INTO terms (term) VALUES (?1)", [t]).expect("inserts");
        }
        conn
    }

    #[test]
    fn a_long_prefix_becomes_the_terms_it_covers_and_a_short_one_stays() {
        let conn = dictionary(&["kaka", "kakan", "kakb", "kak", "lokaka"]);
        let same = |s: &str| s.to_owned();
        let word = |w: &str, prefix: bool| (vec![w.to_owned()], prefix);
        let expanded = expand(&conn, &[word("kaka", true)], same).expect("expands");
        assert_eq!(expanded, [word("kaka", false), word("kakan", false)]);
        assert_eq!(expand(&conn, &[word("kak", true)], same).expect("expands"), [word("kak", true)]);
        assert_eq!(expand(&conn, &[word("kaka", false)], same).expect("expands"), [word("kaka", false)]);
        assert_eq!(expand(&conn, &[word("zzzz", true)], same).expect("expands"), [word("zzzz", false)]);
        let phrase = (vec!["big".to_owned(), "kaka".to_owned()], true);
        assert_eq!(
            expand(&conn, &[phrase], same).expect("expands"),
            [(vec!["big".to_owned(), "kaka".to_owned()], false), (vec!["big".to_owned(), "kakan".to_owned()], false)]
        );
        // Upper case is folded by FTS5, so it is left to FTS5.
        assert_eq!(expand(&conn, &[word("Kaka", true)], same).expect("expands"), [word("Kaka", true)]);
    }

    #[test]
    fn too_many_terms_leave_the_prefix_to_fts5() {
        let many: Vec<String> = (0..=MAX_EXPANSION).map(|i| format!("word{i:04}")).collect();
        let conn = dictionary(&many.iter().map(String::as_str).collect::<Vec<_>>());
        let word = (vec!["word".to_owned()], true);
        assert_eq!(expand(&conn, std::slice::from_ref(&word), |s| s.to_owned()).expect("expands"), [word]);
    }
}
