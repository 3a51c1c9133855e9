//! Latency-model benches of issue 24 (not tests, not in any function's build): the wrappers that
//! make the embedded store and push wait like DynamoDB and API Gateway do, and the benches'
//! scenarios. Run: `make bench-latency` (BENCHMARKS.md, "Latency model").

pub mod capacity;
pub mod model;
