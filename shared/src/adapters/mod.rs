//! Adapters behind the ports: AWS (`dynamo`, `apigw`) and embedded (`sqlite`, for `make dev`
//! and tests).

#[cfg(feature = "aws")]
pub mod apigw;
#[cfg(feature = "aws")]
pub mod aws_stack;
#[cfg(feature = "aws")]
pub mod dynamo;
#[cfg(feature = "embedded")]
pub mod localfs;
#[cfg(feature = "aws")]
pub mod opensearch;
pub mod retrying;
#[cfg(feature = "aws")]
pub mod s3;
#[cfg(feature = "embedded")]
pub mod sqlite;
#[cfg(feature = "embedded")]
pub mod sqlite_search;
#[cfg(feature = "aws")]
pub mod streams;
