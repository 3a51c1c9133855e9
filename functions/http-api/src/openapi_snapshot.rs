//! The OpenAPI document is a contract with clients, so it must not change unnoticed:
//! `docs/openapi.json` holds the document `GET /api/v1/openapi.json` serves, and this test fails
//! when the one generated from the code differs from it. After an intended change, rewrite the
//! file and commit it with the change:
//!
//! ```sh
//! UPDATE_OPENAPI=1 cargo test -p http-api openapi_document
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;
use utoipa::OpenApi;

use crate::routes::ApiDoc;

fn snapshot_path() -> PathBuf {
    // functions/http-api → the workspace root.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("the crate is two levels down");
    root.join("docs/openapi.json")
}

/// The served document (the `openapi` handler answers `Json(ApiDoc::openapi())`, nothing added),
/// pretty-printed with the same field order.
fn served_document() -> String {
    let mut text = serde_json::to_string_pretty(&ApiDoc::openapi()).expect("the document serialises");
    text.push('\n');
    text
}

fn update_requested() -> bool {
    std::env::var("UPDATE_OPENAPI").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// JSON pointers where the two documents differ (at most `max`), to say what changed.
fn differences(expected: &Value, actual: &Value, at: String, max: usize, found: &mut Vec<String>) {
    if found.len() >= max {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (e.get(key), a.get(key)) {
                    (Some(e), Some(a)) => differences(e, a, here, max, found),
                    (Some(_), None) => found.push(format!("{here}: removed")),
                    (None, Some(_)) => found.push(format!("{here}: added")),
                    (None, None) => {}
                }
                if found.len() >= max {
                    return;
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                differences(e, a, format!("{at}/{i}"), max, found);
            }
        }
        (Value::Array(e), Value::Array(a)) => found.push(format!("{at}: {} items -> {} items", e.len(), a.len())),
        (e, a) if e != a => {
            found.push(format!("{}: {} -> {}", if at.is_empty() { "/" } else { &at }, short(e), short(a)))
        }
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[test]
fn openapi_document_matches_docs_openapi_json() {
    let path = snapshot_path();
    let generated = served_document();
    if update_requested() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let regenerate = "if the change is intended, regenerate the file with \
                      `UPDATE_OPENAPI=1 cargo test -p http-api openapi_document` and commit it";
    let committed =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}; {regenerate}", path.display()));
    let committed: Value = serde_json::from_str(&committed)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}; {regenerate}", path.display()));
    let generated: Value = serde_json::from_str(&generated).expect("the generated document is JSON");
    if committed != generated {
        let mut found = Vec::new();
        differences(&committed, &generated, String::new(), 20, &mut found);
        panic!(
            "the OpenAPI document generated from the code differs from {} (first differences: committed -> \
             generated):\n  {}\n{regenerate}",
            path.display(),
            found.join("\n  ")
        );
    }
}
