//! The local stack's integration tests, one test binary (issue 20, item 7): `cargo test -p
//! local --test stack crash_safety::`. The modules share one process and run on parallel
//! threads.

mod common;
mod cors;
mod crash_safety;
mod fanout;
