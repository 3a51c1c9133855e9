//! The embedded search index at scale (not a test): indexes N messages (default 1,000,000) and
//! measures the indexing rate and query latency percentiles, against a baseline measured in the
//! same run on the same machine: the same rows into a plain table (indexing) and a `LIKE` scan
//! (queries). Run: `cargo bench -p shared --features embedded --bench search_index [-- N]`.

use std::time::Instant;

use shared::adapters::embedded::search::SqliteSearch;
use shared::domain::search::{parse_query, time_zone, IndexOp, SearchDoc, SearchPlan, SortOrder};
use shared::ports::search::SearchIndex;

const BATCH: usize = 1_000;
const CONVERSATIONS: usize = 500;

/// A deterministic generator (xorshift), so runs index the same text.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Roughly Zipf: small indexes are much more likely, like words in chat.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) - 1.0) as usize % n
    }
}

fn vocabulary() -> Vec<String> {
    let syllables =
        ["ka", "lo", "mi", "ren", "to", "sa", "vel", "dor", "qui", "ne", "pra", "zu", "ti", "mo", "ber", "lan"];
    let mut words = Vec::new();
    for a in syllables {
        for b in syllables {
            for c in ["", "n", "s", "ta", "ro"] {
                words.push(format!("{a}{b}{c}"));
            }
        }
    }
    words.extend(["東京", "会議", "資料", "明日", "確認"].iter().map(|s| s.to_string()));
    words
}

/// CPU time and time spent waiting for a CPU, summed over the process's threads, in ms (Linux
/// `schedstat`): on a shared machine a query's wall time is its CPU time plus its wait for a
/// core, and only the first is the index's.
fn cpu_and_wait_ms() -> Option<(f64, f64)> {
    let mut total = (0.0, 0.0);
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        let mut fields = stat.split_whitespace().map(|f| f.parse::<f64>().unwrap_or(0.0) / 1e6);
        total.0 += fields.next()?;
        total.1 += fields.next()?;
    }
    Some(total)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let words = vocabulary();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let dir = std::env::temp_dir().join(format!("search-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let index = SqliteSearch::open(&dir.join("index.sqlite3")).unwrap();

    // Baseline store: the same rows in a plain table, same batch and transaction sizes.
    let baseline = rusqlite_baseline(&dir);

    let mut index_secs = 0.0;
    let mut baseline_secs = 0.0;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        let len = 4 + rng.next() as usize % 20;
        let body: Vec<&str> = (0..len).map(|_| words[rng.zipf(words.len())].as_str()).collect();
        batch.push(IndexOp::Upsert(SearchDoc {
            id: format!("{i:026}"),
            tenant_id: if i % 10 == 0 { "globex".into() } else { "acme".into() },
            conversation_id: format!("C{}", rng.next() as usize % CONVERSATIONS),
            author_id: format!("u{}", rng.next() % 200),
            body: body.join(" "),
            mentions: vec![],
            has_file: rng.next().is_multiple_of(20),
            has_link: false,
            created_ms: 1_700_000_000_000 + i as i64 * 1000,
            version: 1,
            thread_root_id: None,
        }));
        if batch.len() == BATCH || i + 1 == n {
            let started = Instant::now();
            baseline.insert(&batch);
            baseline_secs += started.elapsed().as_secs_f64();
            let started = Instant::now();
            index.apply(&batch).await.unwrap();
            index_secs += started.elapsed().as_secs_f64();
            batch.clear();
        }
    }

    let conversations: Vec<String> = (0..50).map(|c| format!("C{c}")).collect();
    let queries: Vec<String> = (0..200)
        .map(|i| {
            let w = &words[rng.zipf(words.len()).min(words.len() - 1)];
            match i % 5 {
                0 => w.clone(),
                1 => format!("{} {}", w, words[rng.zipf(words.len())]),
                2 => format!("{}*", &w[..2.min(w.len())]),
                3 => format!("\"{} {}\"", w, words[rng.zipf(words.len())]),
                _ => format!("{w} has:file"),
            }
        })
        .collect();
    let mut latencies = Vec::new();
    let mut by_kind: Vec<Vec<f64>> = vec![Vec::new(); 5];
    let mut hits = 0usize;
    let (mut cpu, mut waits) = (Vec::new(), Vec::new());
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    // Profiling aid: `SEARCH_BENCH_SLOW_MS=20` names the queries at or above 20 ms.
    let slow_ms: Option<f64> = std::env::var("SEARCH_BENCH_SLOW_MS").ok().and_then(|v| v.parse().ok());
    for (i, q) in queries.iter().enumerate() {
        let parsed = parse_query(q, &time_zone(None).unwrap()).unwrap();
        let plan = SearchPlan {
            tenant_id: "acme".into(),
            conversation_ids: conversations.clone(),
            clauses: parsed.clauses,
            excluded: parsed.excluded,
            author_id: None,
            mentions_user: None,
            has_file: parsed.has_file,
            has_link: parsed.has_link,
            after_ms: None,
            before_ms: None,
            sort: SortOrder::Newest,
            limit: 20,
            cursor: None,
        };
        let before = cpu_and_wait_ms();
        let started = Instant::now();
        let page = index.search(&plan).await.unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if let (Some(before), Some(after)) = (before, cpu_and_wait_ms()) {
            cpu.push(after.0 - before.0);
            waits.push(after.1 - before.1);
        }
        if slow_ms.is_some_and(|slow| ms >= slow) {
            println!("slow query {i}: {q:?} {ms:.2} ms");
        }
        hits += page.hits.len();
        // FNV-1a over every hit in order: two runs with the same digest found the same pages.
        for hit in &page.hits {
            for b in hit.id.bytes().chain([b'\n']) {
                digest = (digest ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
        latencies.push(ms);
        by_kind[i % 5].push(ms);
    }
    for kind in &mut by_kind {
        kind.sort_by(|a, b| a.total_cmp(b));
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    cpu.sort_by(|a, b| a.total_cmp(b));
    waits.sort_by(|a, b| a.total_cmp(b));

    let mut baseline_latencies = Vec::new();
    for q in queries.iter().take(20) {
        let word = q.trim_matches('"').split(' ').next().unwrap_or("").trim_end_matches('*');
        let started = Instant::now();
        baseline.like_scan(word, &conversations);
        baseline_latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    baseline_latencies.sort_by(|a, b| a.total_cmp(b));

    let rate = n as f64 / index_secs;
    let baseline_rate = n as f64 / baseline_secs;
    println!("messages indexed: {n} (in batches of {BATCH})");
    println!(
        "indexing: {rate:.0} msg/s; baseline (plain table, no full-text) {baseline_rate:.0} msg/s; ratio {:.2}",
        rate / baseline_rate
    );
    println!(
        "query (200 queries, 50 readable conversations, newest 20): p50 {:.2} ms, p99 {:.2} ms, {hits} hits (digest {digest:016x})",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    if !cpu.is_empty() {
        println!(
            "  CPU time p50 {:.2} ms, p99 {:.2} ms; waiting for a core p50 {:.2} ms, p99 {:.2} ms",
            percentile(&cpu, 0.5),
            percentile(&cpu, 0.99),
            percentile(&waits, 0.5),
            percentile(&waits, 0.99)
        );
    }
    for (name, kind) in ["one word", "two words", "2-letter prefix", "phrase", "word + has:file"].iter().zip(&by_kind) {
        println!("  {name:<16} p50 {:.2} ms, p99 {:.2} ms", percentile(kind, 0.5), percentile(kind, 0.99));
    }
    println!(
        "baseline LIKE scan (20 queries): p50 {:.2} ms, p99 {:.2} ms; full-text p50 is {:.1}x faster",
        percentile(&baseline_latencies, 0.5),
        percentile(&baseline_latencies, 0.99),
        percentile(&baseline_latencies, 0.5) / percentile(&latencies, 0.5)
    );
    // Profiling aid: `SEARCH_BENCH_KEEP=1` leaves the index for `sqlite3` and `perf`.
    if std::env::var_os("SEARCH_BENCH_KEEP").is_some() {
        println!("index kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

struct Baseline(std::sync::Mutex<rusqlite::Connection>);

fn rusqlite_baseline(dir: &std::path::Path) -> Baseline {
    let conn = rusqlite::Connection::open(dir.join("baseline.sqlite3")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.execute_batch(
        "CREATE TABLE docs (id TEXT PRIMARY KEY, tenant TEXT, conversation TEXT, created_ms INTEGER, body TEXT)",
    )
    .unwrap();
    Baseline(std::sync::Mutex::new(conn))
}

impl Baseline {
    fn insert(&self, ops: &[IndexOp]) {
        let mut conn = self.0.lock().unwrap();
        let tx = conn.transaction().unwrap();
        for op in ops {
            if let IndexOp::Upsert(d) = op {
                tx.execute(
                    "INSERT INTO docs VALUES (?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![d.id, d.tenant_id, d.conversation_id, d.created_ms, d.body],
                )
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    fn like_scan(&self, word: &str, conversations: &[String]) -> usize {
        let conn = self.0.lock().unwrap();
        let list = serde_json::to_string(conversations).unwrap();
        let mut stmt = conn
            .prepare("SELECT id FROM docs WHERE tenant = 'acme' AND conversation IN (SELECT value FROM json_each(?1)) AND body LIKE ?2 ORDER BY created_ms DESC LIMIT 20")
            .unwrap();
        stmt.query_map(rusqlite::params![list, format!("%{word}%")], |r| r.get::<_, String>(0)).unwrap().count()
    }
}
