//! How the use cases' items are stored, over the primitive `Store` port: the table's keys
//! (`keys`), attribute names (`attrs`), the item codec, typed reads and writes of each item,
//! transactions whose ops carry a role, the rate counters and one paging helper.

pub mod attrs;
pub mod change_feed;
pub mod codec;
pub mod conversations;
pub mod counters;
pub mod keys;
#[cfg(test)]
mod keys_doc_tests;
#[cfg(test)]
mod keys_policy_tests;
pub mod paging;
pub mod tables;
pub mod transaction;

pub use tables::Tables;
pub mod change_log;
pub mod connections;
pub mod mentions;
pub mod messages;
pub mod metrics;
pub mod profiles;
