//! Ports: what the domain needs from the outside world, as traits the adapters implement.

pub mod blobs;
pub mod clock;
pub mod events;
pub mod push;
pub mod queue;
pub mod search;
pub mod store;
