//! The `Blobs` port: object storage for attachments (S3, or files under `./.data` locally).
//! Uploads and downloads go straight between the browser and the store through short-lived
//! presigned URLs; the functions never carry file bytes.

use std::time::Duration;

use async_trait::async_trait;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlobError {
    #[error("blob store: {0}")]
    Backend(String),
}

/// A request the browser makes as is: method, URL and the headers it must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    pub content_type: String,
    /// The object's `state` tag: `staged` until a message references it, then `attached`.
    pub state: Option<String>,
}

/// Objects uploaded but never attached carry this tag; a lifecycle rule (or the local sweeper)
/// deletes them after a day.
pub const STAGED: &str = "staged";
pub const ATTACHED: &str = "attached";

#[async_trait]
pub trait Blobs: Send + Sync {
    /// A PUT bound to this key, content type and length, tagged `state=staged`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, BlobError>;
    /// A GET answering with this content type and `Content-Disposition`.
    async fn presign_get(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, BlobError>;
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError>;
    async fn set_state(&self, key: &str, state: &str) -> Result<(), BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Writes an object (the archive); the same key and bytes again is harmless.
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError>;
    /// Objects under `prefix`, in key order, starting after `after`, at most `limit`.
    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<ListedObject>, BlobError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
}
