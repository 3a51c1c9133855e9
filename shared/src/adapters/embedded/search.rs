//! The embedded search index: SQLite FTS5 over the shared tokenizer's tokens (words and CJK
//! bigrams), beside a table of document fields for the filters. Deletes leave a versioned
//! tombstone so a replayed older upsert cannot bring a message back.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::search::{tokenize, IndexOp, SearchHit, SearchPage, SearchPlan, SortOrder, Term};
use crate::ports::search::{SearchError, SearchIndex};

use super::search_terms;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    conversation TEXT NOT NULL,
    author TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    version INTEGER NOT NULL,
    has_file INTEGER NOT NULL,
    has_link INTEGER NOT NULL DEFAULT 0,
    mentions TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    thread_root TEXT
);
CREATE INDEX IF NOT EXISTS docs_by_tenant_time ON docs (tenant, created_ms DESC, id DESC);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2 3');
CREATE TABLE IF NOT EXISTS checkpoints (consumer TEXT PRIMARY KEY, position INTEGER NOT NULL);
";

#[derive(Clone)]
pub struct SqliteSearch {
    conn: Arc<Mutex<Connection>>,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

/// A token no text produces (`x` + hex), for filters pushed into the full-text index: the
/// conversation, the author, mentions and `has:file` are intersected as doclists instead of
/// checked row by row after the match.
fn marker(kind: &str, value: &str) -> String {
    let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
    format!("x{kind}{hex}")
}

fn markers(doc: &crate::domain::search::SearchDoc) -> Vec<String> {
    let mut out = vec![marker("c", &doc.conversation_id), marker("a", &doc.author_id)];
    out.extend(doc.mentions.iter().map(|m| marker("m", m)));
    if doc.has_file {
        out.push(marker("f", "1"));
    }
    if doc.has_link {
        out.push(marker("l", "1"));
    }
    out
}

/// A token as FTS5 keeps it whole: FTS5's `unicode61` splits at punctuation, which a word may
/// hold inside (`don't`, `3.14`, `snake_case`); each such character becomes a private-use one
/// (a token character to FTS5), one to one and in place, so prefixes still match.
fn fts_token(token: &str) -> String {
    token
        .chars()
        .map(|c| match c {
            c if c.is_alphanumeric() => c,
            c if (c as u32) < 0x1_0000 => char::from_u32(0xF_0000 + c as u32).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// An FTS5 string literal.
fn quote(token: &str) -> String {
    format!("\"{}\"", token.replace('"', "\"\""))
}

fn term_expression((tokens, prefix): &Term) -> String {
    let phrase = tokens.iter().map(|t| fts_token(t)).collect::<Vec<_>>().join(" ");
    if *prefix {
        format!("{} *", quote(&phrase))
    } else {
        quote(&phrase)
    }
}

/// The MATCH expression of the words: every clause must match, a clause of several terms
/// (`a OR b`) when one does; a term of several tokens is a phrase; a prefix term ends in `*`.
fn match_expression(clauses: &[Vec<Term>]) -> Option<String> {
    let parts: Vec<String> = clauses
        .iter()
        .map(|clause| clause.iter().filter(|(tokens, _)| !tokens.is_empty()).map(term_expression).collect::<Vec<_>>())
        .filter(|alternatives| !alternatives.is_empty())
        .map(|alternatives| format!("({})", alternatives.join(" OR ")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// What no match may hold (`-word`): FTS5's binary `NOT`, after the rest of the expression.
fn exclusion(excluded: &[Term]) -> Option<String> {
    let parts: Vec<String> = excluded.iter().filter(|(tokens, _)| !tokens.is_empty()).map(term_expression).collect();
    (!parts.is_empty()).then(|| format!(" NOT ({})", parts.join(" OR ")))
}

impl SqliteSearch {
    pub fn open(path: &Path) -> Result<Self, SearchError> {
        Self::init(Connection::open(path).map_err(unavailable)?)
    }

    pub fn in_memory() -> Result<Self, SearchError> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(conn: Connection) -> Result<Self, SearchError> {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        conn.execute_batch(search_terms::SCHEMA).map_err(unavailable)?;
        // An index made before a column was added lacks it: its documents count as without a
        // link and as no replies until they are indexed again.
        for (column, definition) in [("has_link", "INTEGER NOT NULL DEFAULT 0"), ("thread_root", "TEXT")] {
            let present: i64 = conn
                .query_row("SELECT COUNT(*) FROM pragma_table_info('docs') WHERE name = ?1", [column], |r| r.get(0))
                .map_err(unavailable)?;
            if present == 0 {
                conn.execute_batch(&format!("ALTER TABLE docs ADD COLUMN {column} {definition}"))
                    .map_err(unavailable)?;
            }
        }
        // An index made before the dictionary of terms gets it filled once, from FTS5's own.
        search_terms::fill_once(&conn).map_err(unavailable)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| SearchError::Unavailable("search index poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }

    /// Where a local stream consumer stands in the store's change feed.
    pub async fn checkpoint(&self, consumer: &str) -> Result<u64, SearchError> {
        let consumer = consumer.to_owned();
        self.with_conn(move |conn| {
            let position: Option<i64> = conn
                .query_row("SELECT position FROM checkpoints WHERE consumer = ?1", params![consumer], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            Ok(position.unwrap_or(0) as u64)
        })
        .await
    }

    /// Applies operations and moves the checkpoint in one transaction: exactly once locally.
    pub async fn apply_at(&self, ops: Vec<IndexOp>, consumer: &str, position: u64) -> Result<(), SearchError> {
        let consumer = consumer.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(unavailable)?;
            let mut terms = BTreeSet::new();
            for op in &ops {
                apply_one(&tx, op, &mut terms)?;
            }
            search_terms::record(&tx, &terms).map_err(unavailable)?;
            tx.prepare_cached(
                "INSERT INTO checkpoints (consumer, position) VALUES (?1, ?2) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
            )
            .map_err(unavailable)?
            .execute(params![consumer, position as i64])
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

/// Indexes one operation; the tokens it writes join `terms`, for the dictionary.
fn apply_one(tx: &rusqlite::Transaction<'_>, op: &IndexOp, terms: &mut BTreeSet<String>) -> Result<(), SearchError> {
    let existing: Option<(i64, i64)> = tx
        .prepare_cached("SELECT rowid, version FROM docs WHERE id = ?1")
        .map_err(unavailable)?
        .query_row(params![op.id()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(unavailable)?;
    let version = match op {
        IndexOp::Upsert(doc) => doc.version,
        IndexOp::Delete { version, .. } => *version,
    } as i64;
    if let Some((_, current)) = existing {
        if current >= version {
            // Already newer (or the same): a replay or a reordering. Nothing to do.
            return Ok(());
        }
    }
    if let Some((rowid, _)) = existing {
        tx.prepare_cached("DELETE FROM docs_fts WHERE rowid = ?1")
            .map_err(unavailable)?
            .execute(params![rowid])
            .map_err(unavailable)?;
    }
    match op {
        IndexOp::Upsert(doc) => {
            let mentions = serde_json::to_string(&doc.mentions).map_err(unavailable)?;
            // Cached statements: preparing each one anew was a quarter of the indexing time. (Not
            // `RETURNING rowid`: its statement savepoint makes FTS5 flush a segment per document.)
            tx.prepare_cached(
                "INSERT INTO docs (id, tenant, conversation, author, created_ms, version, has_file, has_link, mentions, deleted, thread_root)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)
                 ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, conversation = excluded.conversation,
                   author = excluded.author, created_ms = excluded.created_ms, version = excluded.version,
                   has_file = excluded.has_file, has_link = excluded.has_link, mentions = excluded.mentions, deleted = 0,
                   thread_root = excluded.thread_root",
            )
            .map_err(unavailable)?
            .execute(params![
                doc.id,
                doc.tenant_id,
                doc.conversation_id,
                doc.author_id,
                doc.created_ms,
                version,
                doc.has_file,
                doc.has_link,
                mentions,
                doc.thread_root_id
            ])
            .map_err(unavailable)?;
            let rowid: i64 = tx
                .prepare_cached("SELECT rowid FROM docs WHERE id = ?1")
                .map_err(unavailable)?
                .query_row(params![doc.id], |r| r.get(0))
                .map_err(unavailable)?;
            let tokens: Vec<String> = tokenize(&doc.body).iter().map(|t| fts_token(t)).chain(markers(doc)).collect();
            for token in &tokens {
                search_terms::entries(token, terms);
            }
            tx.prepare_cached("INSERT INTO docs_fts (rowid, tokens) VALUES (?1, ?2)")
                .map_err(unavailable)?
                .execute(params![rowid, tokens.join(" ")])
                .map_err(unavailable)?;
        }
        IndexOp::Delete { id, tenant_id, .. } => {
            tx.prepare_cached(
                "INSERT INTO docs (id, tenant, conversation, author, created_ms, version, has_file, mentions, deleted)
                 VALUES (?1, ?2, '', '', 0, ?3, 0, '[]', 1)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = 1",
            )
            .map_err(unavailable)?
            .execute(params![id, tenant_id, version])
            .map_err(unavailable)?;
        }
    }
    Ok(())
}

#[async_trait]
impl SearchIndex for SqliteSearch {
    async fn apply(&self, ops: &[IndexOp]) -> Result<Vec<Result<(), SearchError>>, SearchError> {
        let ops = ops.to_vec();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(unavailable)?;
            let mut terms = BTreeSet::new();
            let results = ops.iter().map(|op| apply_one(&tx, op, &mut terms)).collect();
            search_terms::record(&tx, &terms).map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(results)
        })
        .await
    }

    async fn search(&self, plan: &SearchPlan) -> Result<SearchPage, SearchError> {
        let plan = plan.clone();
        self.with_conn(move |conn| {
            if plan.conversation_ids.is_empty() {
                return Ok(SearchPage::default());
            }
            // The words, then the filters as marker tokens: the index intersects them. Without
            // words, exclusions subtract from the readable conversations' markers.
            // Newest first, a long prefix is the `OR` of its terms (walked newest first, stopped at
            // the page). Relevance walks every match anyway, and bm25 would weigh each term of the
            // `OR` apart: it keeps FTS5's prefix query and its ranking.
            let expand = |terms: &[Term]| match plan.sort {
                SortOrder::Newest => search_terms::expand(conn, terms, fts_token).map_err(unavailable),
                SortOrder::Relevance => Ok(terms.to_vec()),
            };
            let clauses = plan.clauses.iter().map(|clause| expand(clause)).collect::<Result<Vec<_>, _>>()?;
            let words = match_expression(&clauses);
            let excluded = exclusion(&expand(&plan.excluded)?);
            let matching = (words.is_some() || excluded.is_some()).then(|| {
                let conversations: Vec<String> = plan.conversation_ids.iter().map(|c| quote(&marker("c", c))).collect();
                let mut expr = format!("({})", conversations.join(" OR "));
                if let Some(words) = &words {
                    expr.push_str(&format!(" AND {words}"));
                }
                if let Some(author) = &plan.author_id {
                    expr.push_str(&format!(" AND {}", quote(&marker("a", author))));
                }
                if let Some(user) = &plan.mentions_user {
                    expr.push_str(&format!(" AND {}", quote(&marker("m", user))));
                }
                if plan.has_file {
                    expr.push_str(&format!(" AND {}", quote(&marker("f", "1"))));
                }
                if plan.has_link {
                    expr.push_str(&format!(" AND {}", quote(&marker("l", "1"))));
                }
                if let Some(excluded) = &excluded {
                    expr = format!("({expr}){excluded}");
                }
                expr
            });
            // Newest first is the rowid order (documents are indexed in commit order), which FTS5
            // walks backwards without sorting every match.
            // Only relevance needs a score: bm25() counts every row of every phrase of the
            // expression (all readable conversations' markers and each word's whole doclist) on
            // its first call, which is the full walk newest first exists to avoid. OpenSearch
            // gives no score to a query sorted by field either.
            let mut sql = String::from("SELECT d.id, d.conversation, d.rowid, d.thread_root");
            sql.push_str(match (plan.sort, matching.is_some()) {
                (SortOrder::Relevance, true) => {
                    ", bm25(docs_fts) FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid"
                }
                (SortOrder::Newest, true) => ", 0.0 FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid",
                (_, false) => ", 0.0 FROM docs d",
            });
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            let arg = |v: rusqlite::types::Value, args: &mut Vec<rusqlite::types::Value>| {
                args.push(v);
                format!("?{}", args.len())
            };
            let mut conditions = vec![
                format!("d.tenant = {}", arg(plan.tenant_id.clone().into(), &mut args)),
                "d.deleted = 0".to_owned(),
                format!(
                    "d.conversation IN (SELECT value FROM json_each({}))",
                    arg(serde_json::to_string(&plan.conversation_ids).unwrap_or_default().into(), &mut args)
                ),
            ];
            if let Some(expr) = &matching {
                conditions.push(format!("docs_fts MATCH {}", arg(expr.clone().into(), &mut args)));
            }
            if let Some(author) = &plan.author_id {
                conditions.push(format!("d.author = {}", arg(author.clone().into(), &mut args)));
            }
            if let Some(user) = &plan.mentions_user {
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM json_each(d.mentions) WHERE value = {})",
                    arg(user.clone().into(), &mut args)
                ));
            }
            if plan.has_file {
                conditions.push("d.has_file = 1".to_owned());
            }
            if plan.has_link {
                conditions.push("d.has_link = 1".to_owned());
            }
            if let Some(after) = plan.after_ms {
                conditions.push(format!("d.created_ms >= {}", arg(after.into(), &mut args)));
            }
            if let Some(before) = plan.before_ms {
                conditions.push(format!("d.created_ms < {}", arg(before.into(), &mut args)));
            }
            let mut offset = 0usize;
            match (plan.sort, &plan.cursor) {
                (SortOrder::Newest, Some(cursor)) => {
                    let rowid: i64 = cursor.parse().map_err(|_| SearchError::Rejected("bad cursor".into()))?;
                    let rowid_arg = arg(rowid.into(), &mut args);
                    conditions.push(format!("d.rowid < {rowid_arg}"));
                }
                (SortOrder::Relevance, Some(cursor)) => {
                    offset = cursor.parse().map_err(|_| SearchError::Rejected("bad cursor".into()))?;
                }
                _ => {}
            }
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
            sql.push_str(match (plan.sort, matching.is_some()) {
                (SortOrder::Relevance, true) => " ORDER BY bm25(docs_fts), d.rowid DESC",
                (_, true) => " ORDER BY docs_fts.rowid DESC",
                (_, false) => " ORDER BY d.rowid DESC",
            });
            let limit_arg = arg(((plan.limit + 1) as i64).into(), &mut args);
            let offset_arg = arg((offset as i64).into(), &mut args);
            sql.push_str(&format!(" LIMIT {limit_arg} OFFSET {offset_arg}"));
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| SearchError::Rejected(e.to_string()))?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, f64>(4)?,
                    ))
                })
                .map_err(|e| SearchError::Rejected(e.to_string()))?;
            let mut hits = Vec::new();
            let mut last_key = None;
            for row in rows {
                let (id, conversation, rowid, thread_root_id, score) = row.map_err(unavailable)?;
                if hits.len() == plan.limit {
                    let next = match plan.sort {
                        SortOrder::Newest => last_key.clone(),
                        SortOrder::Relevance => Some((offset + plan.limit).to_string()),
                    };
                    return Ok(SearchPage { hits, next_cursor: next });
                }
                last_key = Some(rowid.to_string());
                // bm25 is lower-is-better; report higher-is-better.
                hits.push(SearchHit { id, conversation_id: conversation, score: -score, thread_root_id });
            }
            Ok(SearchPage { hits, next_cursor: None })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::search::{parse_query, time_zone, SearchDoc};

    /// A local index made before `has:link` and threads (no `has_link`, no `thread_root` column) opens, gains the columns, and
    /// finds links in what is indexed from then on.
    #[tokio::test]
    async fn an_index_made_before_has_link_gains_it() {
        let path = std::env::temp_dir().join(format!("search-before-links-{}.sqlite3", ulid::Ulid::new()));
        Connection::open(&path)
            .and_then(|old| {
                old.execute_batch(
                    "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,
                       conversation TEXT NOT NULL, author TEXT NOT NULL, created_ms INTEGER NOT NULL,
                       version INTEGER NOT NULL, has_file INTEGER NOT NULL, mentions TEXT NOT NULL,
                       deleted INTEGER NOT NULL DEFAULT 0);
                     INSERT INTO docs (id, tenant, conversation, author, created_ms, version, has_file, mentions)
                       VALUES ('old', 'acme', 'C1', 'alice', 1, 1, 0, '[]');",
                )
            })
            .expect("an old index");
        let index = SqliteSearch::open(&path).expect("opens");
        let doc = |id: &str, body: &str, has_link: bool| {
            IndexOp::Upsert(SearchDoc {
                id: id.into(),
                tenant_id: "acme".into(),
                conversation_id: "C1".into(),
                author_id: "alice".into(),
                body: body.into(),
                mentions: vec![],
                has_file: false,
                has_link,
                created_ms: 2,
                version: 1,
                thread_root_id: None,
            })
        };
        index
            .apply(&[doc("new", "see https://example.com", true), doc("plain", "see nothing", false)])
            .await
            .expect("applies");
        let plan = plan("see has:link");
        assert!(plan.has_link);
        let hits: Vec<String> = index.search(&plan).await.expect("searches").hits.into_iter().map(|h| h.id).collect();
        assert_eq!(hits, ["new"]);
        let mut words_only = plan.clone();
        words_only.has_link = false;
        assert_eq!(index.search(&words_only).await.expect("searches").hits.len(), 2);
        drop(index);
        let _ = std::fs::remove_file(&path);
    }

    fn plan(q: &str) -> SearchPlan {
        let parsed = parse_query(q, &time_zone(None).expect("utc")).expect("parses");
        SearchPlan {
            tenant_id: "acme".into(),
            conversation_ids: vec!["C1".into()],
            clauses: parsed.clauses,
            excluded: parsed.excluded,
            author_id: None,
            mentions_user: None,
            has_file: false,
            has_link: parsed.has_link,
            after_ms: None,
            before_ms: None,
            sort: SortOrder::Newest,
            limit: 50,
            cursor: None,
        }
    }

    fn body_doc(id: usize, body: &str) -> IndexOp {
        IndexOp::Upsert(SearchDoc {
            id: format!("m{id:03}"),
            tenant_id: "acme".into(),
            conversation_id: "C1".into(),
            author_id: "alice".into(),
            body: body.into(),
            mentions: vec![],
            has_file: false,
            has_link: false,
            created_ms: id as i64,
            version: 1,
            thread_root_id: None,
        })
    }

    async fn ids(index: &SqliteSearch, q: &str) -> Vec<String> {
        index.search(&plan(q)).await.expect("searches").hits.into_iter().map(|h| h.id).collect()
    }

    /// What FTS5's own prefix query finds, newest first: what an expanded prefix must find.
    async fn fts5_prefix(index: &SqliteSearch, prefix: &str) -> Vec<String> {
        let expr = format!("{} *", quote(&fts_token(prefix)));
        index
            .with_conn(move |conn| {
                let mut stmt = conn
                    .prepare("SELECT d.id FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid WHERE docs_fts MATCH ?1 ORDER BY docs_fts.rowid DESC")
                    .map_err(unavailable)?;
                let rows = stmt.query_map([expr], |r| r.get::<_, String>(0)).map_err(unavailable)?;
                rows.collect::<Result<Vec<String>, _>>().map_err(unavailable)
            })
            .await
            .expect("queries")
    }

    /// A prefix longer than the prefix indexes is answered from the dictionary of terms: the
    /// same messages, in the same order, as FTS5's own prefix query, in any script, with inner
    /// punctuation, beside a phrase, in an `OR` and an exclusion.
    #[tokio::test]
    async fn a_long_prefix_finds_what_fts5s_prefix_query_finds() {
        let index = SqliteSearch::in_memory().expect("opens");
        let bodies = [
            "deploy the deployment",
            "deployed yesterday",
            "redeploy later",
            "don't deploy",
            "dont stop",
            "snake_case snake_cased",
            "नमस्ते दुनिया",
            "नमस्कार",
            "привет приветствие",
            "Ελληνικά ελληνικός",
            "naïve naïveté",
            "version 3.14159 3.14",
            "東京都 東京タワー",
            "deployment_plan",
            "stop",
        ];
        let ops: Vec<IndexOp> = bodies.iter().enumerate().map(|(i, b)| body_doc(i, b)).collect();
        index.apply(&ops).await.expect("applies");
        for prefix in [
            "depl",
            "deploy",
            "deployment",
            "don't",
            "snake_ca",
            "नमस",
            "मस्",
            "привет",
            "ελλη",
            "naïv",
            "3.14",
            "stop",
            "zzzz",
        ] {
            let found = ids(&index, &format!("{prefix}*")).await;
            assert_eq!(found, fts5_prefix(&index, prefix).await, "{prefix}*");
        }
        assert_eq!(ids(&index, "depl").await, ["m013", "m003", "m001", "m000"], "the last word typed is a prefix");
        assert_eq!(ids(&index, "stop OR deplo").await, ["m014", "m013", "m004", "m003", "m001", "m000"]);
        assert_eq!(ids(&index, "deploy* -deployment").await, ["m013", "m003", "m001"]);
        assert_eq!(ids(&index, "\"the deployment\" deploym").await, ["m000"]);
        let mut by_relevance = plan("deplo");
        by_relevance.sort = SortOrder::Relevance;
        let mut ranked: Vec<String> =
            index.search(&by_relevance).await.expect("searches").hits.into_iter().map(|h| h.id).collect();
        ranked.sort();
        assert_eq!(ranked, ["m000", "m001", "m003", "m013"], "relevance finds the same messages");
    }

    /// An index made before the dictionary of terms fills it once when opened, and long
    /// prefixes find what they found before.
    #[tokio::test]
    async fn an_index_made_before_the_dictionary_fills_it() {
        let path = std::env::temp_dir().join(format!("search-before-terms-{}.sqlite3", ulid::Ulid::new()));
        let index = SqliteSearch::open(&path).expect("opens");
        index.apply(&[body_doc(1, "deployment today"), body_doc(2, "deployed")]).await.expect("applies");
        index
            .with_conn(|conn| conn.execute_batch("DELETE FROM terms; PRAGMA user_version = 0;").map_err(unavailable))
            .await
            .expect("forgets the dictionary");
        assert!(ids(&index, "deploym").await.is_empty(), "without the dictionary nothing is found");
        drop(index);
        let reopened = SqliteSearch::open(&path).expect("reopens");
        assert_eq!(ids(&reopened, "deploym").await, ["m001"]);
        assert_eq!(ids(&reopened, "deplo").await, ["m002", "m001"]);
        drop(reopened);
        let _ = std::fs::remove_file(&path);
    }
}
