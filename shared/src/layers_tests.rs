//! The crate's layers, checked from its source: each top-level module may use only the modules
//! below it, so there are no cycles and the domain stays free of storage. A new `use` that
//! breaks the layering fails here, naming the file and the module it reached for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each layer may use besides itself. Tests (`#[cfg(test)]` modules) may use anything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("config", &["domain"]),
    ("ports", &["domain"]),
    ("auth", &["domain", "config", "ports"]),
    ("persistence", &["domain", "ports"]),
    ("ops", &["domain", "ports", "persistence"]),
    ("app", &["domain", "ports", "persistence"]),
    ("realtime", &["domain", "ports", "persistence", "ops"]),
    // The composition root of the Lambda functions (`aws::stack`) builds everything.
    ("adapters", &["domain", "ports", "persistence", "config", "auth", "ops", "app", "realtime"]),
];

/// The crate root's re-exports, by the layer they come from.
const ROOT_EXPORTS: &[(&str, &str)] = &[
    ("Caller", "domain"),
    ("Role", "domain"),
    ("ChatError", "domain"),
    ("ChatResult", "domain"),
    ("InvalidInput", "domain"),
    ("Chat", "app"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without comments and without its test module (the first `#[cfg(test)]` or
/// `#[cfg(all(test, …))]` onwards).
fn production_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read source");
    let end = ["#[cfg(test)]", "#[cfg(all(test"].iter().filter_map(|m| text.find(m)).min().unwrap_or(text.len());
    text[..end].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every top-level module `code` reaches through a `crate::` path (`use crate::x::…`,
/// `crate::x::f()`, `use crate::{x, y}` is not used in this crate).
fn reached_layers(code: &str) -> BTreeSet<String> {
    let mut layers = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let name: String =
            code[at + "crate::".len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let layer =
            ROOT_EXPORTS.iter().find(|(export, _)| *export == name).map_or(name, |(_, layer)| (*layer).to_owned());
        layers.insert(layer);
    }
    layers
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src_dir()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    sources(&src_dir(), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let Some(layer) = layer_of(file) else { continue };
        let Some(may_use) = allowed.get(layer.as_str()) else { continue };
        for reached in reached_layers(&production_code(file)) {
            if reached != layer && !may_use.contains(&reached.as_str()) {
                violations.push(format!("{} uses {reached}", file.display()));
            }
        }
    }
    assert!(violations.is_empty(), "layering broken:\n{}", violations.join("\n"));
}

#[test]
fn every_layer_of_the_crate_is_placed() {
    let mut files = Vec::new();
    sources(&src_dir(), &mut files);
    let placed: BTreeSet<&str> = ALLOWED.iter().map(|(layer, _)| *layer).collect();
    let unplaced: BTreeSet<String> = files
        .iter()
        .filter_map(|f| layer_of(f))
        .filter(|l| !["lib", "layers_tests"].contains(&l.as_str()) && !placed.contains(l.as_str()))
        .collect();
    assert!(unplaced.is_empty(), "modules missing from ALLOWED: {unplaced:?}");
}

/// The domain is types and rules: no storage, no keys, no untyped JSON.
#[test]
fn the_domain_knows_nothing_of_storage() {
    let mut files = Vec::new();
    sources(&src_dir().join("domain"), &mut files);
    for file in files {
        let code = production_code(&file);
        for banned in ["serde_json::Value", "Store", "keys::", "Attrs", "persistence"] {
            assert!(!code.contains(banned), "{} mentions {banned}", file.display());
        }
    }
}

/// Use cases, real-time and operations say what they want of storage through `persistence`: they
/// never build a key, read an attribute by name or write a query.
#[test]
fn business_code_never_spells_a_key_or_an_attribute() {
    for layer in ["app", "realtime", "ops"] {
        let mut files = Vec::new();
        sources(&src_dir().join(layer), &mut files);
        for file in files {
            let code = production_code(&file);
            for banned in ["keys::", ".attrs", "Query::", "Cond::", "from_attrs", "to_attrs"] {
                assert!(!code.contains(banned), "{} uses {banned}: that belongs in persistence", file.display());
            }
            // Items built as JSON by hand (ops writes CloudWatch's log lines with it: not items).
            if layer != "ops" {
                assert!(!code.contains("json!("), "{} builds JSON by hand: items are serde types", file.display());
            }
        }
    }
}

#[test]
fn the_checks_see_a_breach() {
    assert_eq!(
        reached_layers("use crate::realtime::Connection;\nlet c = crate::Chat::new();"),
        BTreeSet::from(["realtime".to_owned(), "app".to_owned()])
    );
}
