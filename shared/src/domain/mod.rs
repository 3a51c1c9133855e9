//! The domain: typed values, the model, and the use cases with their authorization.

pub mod archive;
pub mod caller;
pub mod chat;
pub mod error;
pub mod files;
pub mod ids;
pub mod limits;
pub mod model;
pub mod realtime;
pub mod search;
pub mod values;
