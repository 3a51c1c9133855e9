//! The integration tests, one test binary (issue 20, item 7): each module was a binary of its
//! own, and each linked the whole stack. Run one module with `cargo test -p integration-tests
//! --test api realtime::`. All modules share one process and run on parallel threads: a test
//! must not change process-wide state (environment variables, the global tracing subscriber)
//! in this process — `debug_logs` runs its session in a child process for that reason — and the
//! moto server (`integration_tests::moto`) is shared, so every test makes tables and buckets
//! of its own.

mod api_isolation;
mod api_messages;
mod archive_export;
mod attachments;
mod auth;
mod aws_retries;
mod bounded_reads;
mod channel_management;
mod debug_logs;
mod domain_on_dynamodb;
mod events;
mod fanout_queue;
mod faults;
mod group_dms;
mod message_versions;
mod notifications;
mod operations;
mod presence;
mod rate_limits;
mod reactions;
mod realtime;
mod retention;
mod search;
mod store_conformance;
mod stream_indexer;
mod threads;
mod unread_mentions;
