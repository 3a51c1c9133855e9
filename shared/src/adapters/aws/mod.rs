//! The AWS adapters, and the SDK set-up they share (`sdk`).

pub mod apigw;
pub mod dynamo;
pub mod opensearch;
pub mod s3;
pub mod sdk;
pub mod stack;
pub mod streams;
