//! The embedded adapters `make dev` and the tests run on: SQLite for the table, its full-text
//! index for search, and files on disk for the buckets.

pub mod localfs;
mod query_cache;
pub mod search;
mod search_terms;
pub mod sqlite;
