//! Adapters behind the ports: AWS (`aws`: DynamoDB, API Gateway, S3, OpenSearch, the table's
//! stream) and embedded (`embedded`: SQLite, its search index and local files, for `make dev` and
//! tests).

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod retrying;
