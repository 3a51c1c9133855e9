//! The S3 `Blobs` adapter: presigned PUTs bound to key, content type, length and the `staged`
//! tag; presigned GETs with the response content type and disposition; HeadObject and tagging.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{Tag, Tagging};
use aws_sdk_s3::Client;

use crate::ports::blobs::{BlobError, BlobMeta, Blobs, ListedObject, PresignedRequest, STAGED};

#[derive(Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

fn backend(e: impl std::fmt::Display) -> BlobError {
    BlobError::Backend(e.to_string())
}

fn detail<E: std::error::Error + Send + Sync + 'static>(e: aws_sdk_s3::error::SdkError<E>) -> BlobError {
    BlobError::Backend(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
}

impl S3Blobs {
    /// `path_style` for emulators (moto), which serve every bucket on one endpoint.
    pub fn new(config: &aws_config::SdkConfig, bucket: impl Into<String>, path_style: bool) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(config).force_path_style(path_style).build();
        Self { client: Client::from_conf(conf), bucket: bucket.into() }
    }

    /// As configured for a function: path-style addressing when `AWS_S3_FORCE_PATH_STYLE=true`
    /// (an emulator behind `AWS_ENDPOINT_URL`), virtual-hosted otherwise.
    pub fn from_env(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let path_style = std::env::var("AWS_S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
        Self::new(config, bucket, path_style)
    }

    /// Around a client built elsewhere (tests add interceptors).
    pub fn from_client(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket (tests and emulators; AWS gets it from `template.yaml`).
    pub async fn create_bucket(&self) -> Result<(), BlobError> {
        self.client.create_bucket().bucket(&self.bucket).send().await.map_err(detail)?;
        Ok(())
    }

    pub async fn state(&self, key: &str) -> Result<Option<String>, BlobError> {
        let tags = self.client.get_object_tagging().bucket(&self.bucket).key(key).send().await.map_err(detail)?;
        Ok(tags.tag_set().iter().find(|t| t.key() == "state").map(|t| t.value().to_owned()))
    }
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, BlobError> {
    PresigningConfig::expires_in(ttl).map_err(backend)
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, BlobError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(i64::try_from(size).map_err(backend)?)
            .tagging(format!("state={STAGED}"))
            .presigned(presigning(ttl)?)
            .await
            .map_err(detail)?;
        let headers = request
            .headers()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("content-length"))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(PresignedRequest { method: "PUT".into(), url: request.uri().to_owned(), headers })
    }

    async fn presign_get(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, BlobError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type)
            .response_content_disposition(disposition)
            .presigned(presigning(ttl)?)
            .await
            .map_err(detail)?;
        Ok(request.uri().to_owned())
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(BlobMeta {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                content_type: out.content_type().unwrap_or_default().to_owned(),
                state: None,
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
            Err(e) => Err(detail(e)),
        }
    }

    async fn set_state(&self, key: &str, state: &str) -> Result<(), BlobError> {
        let tag = Tag::builder().key("state").value(state).build().map_err(backend)?;
        let tagging = Tagging::builder().tag_set(tag).build().map_err(backend)?;
        self.client.put_object_tagging().bucket(&self.bucket).key(key).tagging(tagging).send().await.map_err(detail)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(detail)?;
        Ok(())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .map_err(detail)?;
        Ok(())
    }

    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<ListedObject>, BlobError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_start_after(after.map(str::to_owned))
                .set_continuation_token(token.take())
                .max_keys(i32::try_from(limit.min(1000)).unwrap_or(1000))
                .send()
                .await
                .map_err(detail)?;
            for object in page.contents() {
                out.push(ListedObject {
                    key: object.key().unwrap_or_default().to_owned(),
                    size: object.size().unwrap_or(0).max(0) as u64,
                });
            }
            match page.next_continuation_token() {
                Some(next) if out.len() < limit => token = Some(next.to_owned()),
                _ => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.body.collect().await.map_err(backend)?.into_bytes().to_vec())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(detail(e)),
        }
    }
}
