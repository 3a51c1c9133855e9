//! How the use cases' items are stored, over the primitive `Store` port: the table's keys
//! (`keys`), attribute names (`attrs`), the item codec, typed reads and writes of each item (in
//! the module of that item), transactions whose ops carry a role, the rate counters, the change
//! log and feed, and one paging helper.

pub mod archive;
pub mod attrs;
pub mod audit;
pub mod change_feed;
pub mod change_log;
pub mod codec;
pub mod connections;
pub mod conversations;
pub mod counters;
pub mod follows;
pub mod keys;
#[cfg(test)]
mod keys_doc_tests;
#[cfg(test)]
mod keys_policy_tests;
pub mod mentions;
pub mod messages;
pub mod metrics;
pub mod paging;
pub mod presence;
pub mod profiles;
pub mod retention;
pub mod tables;
pub mod transaction;
pub mod uploads;
pub mod versions;

pub use tables::Tables;
