//! The embedded `Blobs` adapter: files under a folder (`./.data/blobs`), with HMAC-signed,
//! expiring URLs that `functions/local` serves — the same size, type and expiry rules as S3's
//! presigned requests. Each object has a JSON sidecar with its content type, size and state tag.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ports::blobs::{BlobError, BlobMeta, Blobs, ListedObject, PresignedRequest, STAGED};
use crate::ports::clock::Clock;

/// Query-string values are encoded as strictly as S3's: only unreserved characters stay.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// Keys keep their `/` separators in the path.
const PATH: &AsciiSet = &QUERY.remove(b'/');

#[derive(Clone)]
pub struct LocalBlobs {
    root: PathBuf,
    /// The path its URLs are served under (`/_blobs`, `/_archive`).
    route: String,
    secret: Arc<Vec<u8>>,
    base_url: Arc<RwLock<String>>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sidecar {
    size: u64,
    content_type: String,
    state: String,
    created_at_ms: i64,
}

/// What a verified URL allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    Put { content_type: String, size: u64 },
    Get { content_type: String, disposition: String },
}

fn backend(e: impl std::fmt::Display) -> BlobError {
    BlobError::Backend(e.to_string())
}

impl LocalBlobs {
    pub fn new(root: PathBuf, secret: &[u8], clock: Arc<dyn Clock>) -> Self {
        Self::at_route(root, secret, clock, "/_blobs")
    }

    pub fn at_route(root: PathBuf, secret: &[u8], clock: Arc<dyn Clock>, route: &str) -> Self {
        Self {
            root,
            route: route.to_owned(),
            secret: Arc::new(secret.to_vec()),
            base_url: Arc::new(RwLock::new(String::new())),
            clock,
        }
    }

    pub fn route(&self) -> &str {
        &self.route
    }

    /// The local stack's address, known once it has bound its port.
    pub fn set_base_url(&self, url: &str) {
        if let Ok(mut base) = self.base_url.write() {
            *base = url.trim_end_matches('/').to_owned();
        }
    }

    fn base(&self) -> String {
        self.base_url.read().map(|b| b.clone()).unwrap_or_default()
    }

    /// The file for a key; keys with `..`, absolute parts or empty segments are refused.
    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        let relative = Path::new(key);
        if key.is_empty() || key.contains('\\') || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(BlobError::Backend("invalid key".into()));
        }
        Ok(self.root.join(relative))
    }

    fn sidecar_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".meta.json");
        path.with_file_name(name)
    }

    fn sign(&self, parts: &[&str]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return String::new() };
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn url(&self, key: &str, params: &[(&str, String)]) -> String {
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY))).collect();
        format!("{}{}/{}?{}", self.base(), self.route, utf8_percent_encode(key, PATH), query.join("&"))
    }

    /// Checks a URL's signature and expiry; `params` are its decoded query parameters.
    pub fn verify(
        &self,
        op: &str,
        key: &str,
        params: &std::collections::HashMap<String, String>,
    ) -> Result<Grant, BlobError> {
        let get = |name: &str| params.get(name).cloned().ok_or_else(|| BlobError::Backend(format!("missing {name}")));
        let exp = get("exp")?;
        let expires: i64 = exp.parse().map_err(|_| BlobError::Backend("bad expiry".into()))?;
        let content_type = get("ct")?;
        let grant = match op {
            "put" => {
                let len = get("len")?;
                let expected = self.sign(&["put", key, &content_type, &len, &exp]);
                if !constant_time_eq(&expected, &get("sig")?) {
                    return Err(BlobError::Backend("signature does not match".into()));
                }
                Grant::Put { content_type, size: len.parse().map_err(|_| BlobError::Backend("bad length".into()))? }
            }
            "get" => {
                let cd = get("cd")?;
                let expected = self.sign(&["get", key, &content_type, &cd, &exp]);
                if !constant_time_eq(&expected, &get("sig")?) {
                    return Err(BlobError::Backend("signature does not match".into()));
                }
                Grant::Get { content_type, disposition: cd }
            }
            _ => return Err(BlobError::Backend("unknown operation".into())),
        };
        if self.clock.now_ms() / 1000 > expires {
            return Err(BlobError::Backend("URL expired".into()));
        }
        Ok(grant)
    }

    /// Stores an uploaded object (after `verify` granted the PUT and the body was checked).
    pub async fn write(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), BlobError> {
        self.store(key, bytes.to_vec(), content_type, STAGED).await
    }

    /// The object and its sidecar, in one trip to the blocking pool: the archiver stores an
    /// object per conversation and day every few seconds, and a hop per file operation (five
    /// per object when `put` went through `write` and `set_state`) was a twentieth of the local
    /// server's CPU below saturation (`perf`, BENCHMARKS.md).
    async fn store(&self, key: &str, bytes: Vec<u8>, content_type: &str, state: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        let sidecar = Sidecar {
            size: bytes.len() as u64,
            content_type: content_type.to_owned(),
            state: state.to_owned(),
            created_at_ms: self.clock.now_ms(),
        };
        let meta = serde_json::to_vec(&sidecar).map_err(backend)?;
        tokio::task::spawn_blocking(move || {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &bytes)?;
            std::fs::write(Self::sidecar_path(&path), &meta)
        })
        .await
        .map_err(backend)?
        .map_err(backend)
    }

    pub async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn sidecar(&self, key: &str) -> Result<Option<Sidecar>, BlobError> {
        match tokio::fs::read(Self::sidecar_path(&self.path(key)?)).await {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(backend)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    /// Deletes objects still `staged` after `older_than` (the S3 lifecycle rule's local twin).
    pub async fn sweep_staged(&self, older_than: Duration) -> Result<usize, BlobError> {
        let cutoff = self.clock.now_ms() - older_than.as_millis() as i64;
        let mut swept = 0;
        for path in files_under(self.root.clone()).await? {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let Some(object) = name.strip_suffix(".meta.json") else { continue };
            let Ok(bytes) = tokio::fs::read(&path).await else { continue };
            let Ok(sidecar) = serde_json::from_slice::<Sidecar>(&bytes) else { continue };
            if sidecar.state == STAGED && sidecar.created_at_ms < cutoff {
                let _ = tokio::fs::remove_file(path.with_file_name(object)).await;
                let _ = tokio::fs::remove_file(&path).await;
                swept += 1;
            }
        }
        Ok(swept)
    }
}

/// Every file below `start` (a missing or unreadable folder is skipped: it holds nothing yet).
async fn files_under(start: PathBuf) -> Result<Vec<PathBuf>, BlobError> {
    let mut files = Vec::new();
    let mut dirs = vec![start];
    while let Some(dir) = dirs.pop() {
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else { continue };
        while let Some(entry) = entries.next_entry().await.map_err(backend)? {
            if entry.file_type().await.map_err(backend)?.is_dir() {
                dirs.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    Ok(files)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[async_trait]
impl Blobs for LocalBlobs {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, BlobError> {
        self.path(key)?;
        let exp = (self.clock.now_ms() / 1000 + ttl.as_secs() as i64).to_string();
        let len = size.to_string();
        let sig = self.sign(&["put", key, content_type, &len, &exp]);
        let url = self
            .url(key, &[("op", "put".into()), ("ct", content_type.into()), ("len", len), ("exp", exp), ("sig", sig)]);
        Ok(PresignedRequest { method: "PUT".into(), url, headers: vec![("content-type".into(), content_type.into())] })
    }

    async fn presign_get(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, BlobError> {
        self.path(key)?;
        let exp = (self.clock.now_ms() / 1000 + ttl.as_secs() as i64).to_string();
        let sig = self.sign(&["get", key, content_type, disposition, &exp]);
        Ok(self.url(
            key,
            &[
                ("op", "get".into()),
                ("ct", content_type.into()),
                ("cd", disposition.into()),
                ("exp", exp),
                ("sig", sig),
            ],
        ))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        Ok(self.sidecar(key).await?.map(|s| BlobMeta {
            size: s.size,
            content_type: s.content_type,
            state: Some(s.state),
        }))
    }

    async fn set_state(&self, key: &str, state: &str) -> Result<(), BlobError> {
        let Some(mut sidecar) = self.sidecar(key).await? else {
            return Err(BlobError::Backend("no such object".into()));
        };
        sidecar.state = state.to_owned();
        let path = Self::sidecar_path(&self.path(key)?);
        tokio::fs::write(path, serde_json::to_vec(&sidecar).map_err(backend)?).await.map_err(backend)
    }

    /// Written attached at once: nothing else may see it staged (the orphan sweep deletes those).
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        self.store(key, bytes, content_type, crate::ports::blobs::ATTACHED).await
    }

    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<ListedObject>, BlobError> {
        // Walk the folder of the prefix's directory part; keys are compared as strings.
        let dir_part = prefix.rsplit_once('/').map_or("", |(d, _)| d);
        let start = if dir_part.is_empty() { self.root.clone() } else { self.path(dir_part)? };
        let mut found = Vec::new();
        for path in files_under(start).await? {
            let Ok(relative) = path.strip_prefix(&self.root) else { continue };
            let key = relative.to_string_lossy().replace('\\', "/");
            if key.ends_with(".meta.json") || !key.starts_with(prefix) || after.is_some_and(|a| key.as_str() <= a) {
                continue;
            }
            let size = tokio::fs::metadata(&path).await.map_err(backend)?.len();
            found.push(ListedObject { key, size });
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        found.truncate(limit);
        Ok(found)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.read(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        for p in [Self::sidecar_path(&path), path] {
            match tokio::fs::remove_file(&p).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(backend(e)),
            }
        }
        Ok(())
    }
}
