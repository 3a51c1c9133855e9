//! Tenant Chat's shared crate, in layers that only look down:
//! - `domain`: the product's types and rules (ids, values, conversations, messages, events,
//!   permissions, errors), no storage;
//! - `app`: the use cases by capability, behind the `Chat` facade, where authorization lives;
//! - `persistence`: how the use cases' items are stored (keys, attribute names, typed reads and
//!   writes, transactions, the change log) over the primitive `Store` port;
//! - `realtime`: live connections and fan-out; `ops`: metrics and debug views;
//! - `ports` and their `adapters` (AWS and embedded); `auth` and `config`.

pub mod adapters;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
#[cfg(test)]
mod layers_tests;
pub mod ops;
pub mod persistence;
pub mod ports;
pub mod realtime;

pub use app::Chat;
pub use domain::caller::{Caller, Role};
pub use domain::error::{ChatError, ChatResult, InvalidInput};
