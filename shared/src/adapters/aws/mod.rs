//! The AWS adapters (SQS: the fan-out queue), and the SDK set-up they share (`sdk`).

pub mod apigw;
pub mod dynamo;
pub mod opensearch;
pub mod s3;
pub mod sdk;
pub mod sqs;
pub mod stack;
pub mod streams;
