//! Tenant Chat's shared crate: the domain and its use cases, the ports they need, the adapters
//! (AWS and embedded), token verification and configuration.

pub mod adapters;
pub mod auth;
pub mod config;
pub mod domain;
pub mod keys;
#[cfg(test)]
mod keys_doc_tests;
#[cfg(test)]
mod keys_policy_tests;
pub mod ops;
pub mod ports;

pub use domain::caller::{Caller, Role};
pub use domain::chat::Chat;
pub use domain::error::{ChatError, ChatResult, InvalidInput};
