//! Latency-model benches of issue 24 (BENCHMARKS.md, "Latency model"):
//! - `bench-latency fanout`: one send to a channel with 10 … 10,000 connections online, over the
//!   embedded store with a round trip added per call and a push that waits per post: the sender's
//!   response time and the last recipient's delivery time.
//! - `bench-latency cost`: the cost of a million messages in channels of 10, 100 and 1,000
//!   members, from the requests a send makes times list prices, beside API Gateway's floor.
//! - `bench-latency hot`: sends per second one conversation sustains with 1, 4 and 16 writer
//!   processes on DynamoDB (moto), and the refused commits (retries) each send costs.
//!
//! Run: `make bench-latency` (both), or the binary with `--help`.

use std::time::Duration;

use anyhow::{bail, Context};

mod cost;
mod fanout;
mod hot;
mod setup;

/// `--name value` options, the rest ignored (the benches take a handful of them).
pub struct Args(Vec<String>);

impl Args {
    pub fn value(&self, name: &str) -> Option<&str> {
        self.0.iter().position(|a| a == name).and_then(|i| self.0.get(i + 1)).map(String::as_str)
    }
    pub fn list(&self, name: &str, default: &[usize]) -> anyhow::Result<Vec<usize>> {
        match self.value(name) {
            None => Ok(default.to_vec()),
            Some(v) => v.split(',').map(|n| n.trim().parse().with_context(|| format!("{name}: {n}"))).collect(),
        }
    }
    pub fn number(&self, name: &str, default: u64) -> anyhow::Result<u64> {
        self.value(name).map_or(Ok(default), |v| v.parse().with_context(|| format!("{name}: {v}")))
    }
    pub fn millis(&self, name: &str, default: Duration) -> anyhow::Result<Duration> {
        Ok(self.value(name).map(|v| v.parse::<u64>().map(Duration::from_millis)).transpose()?.unwrap_or(default))
    }
}

const HELP: &str = "bench-latency fanout [--audiences 10,100,1000,10000] [--post-ms 20] [--round-trip-ms 5] [--sends 5] [--mode inline|queued|both] [--queue-round-trip-ms 5] [--queue-hop-ms 20]
bench-latency cost [--members 10,100,1000] [--sends 5] [model options as fanout]
bench-latency hot [--writers 1,4,16] [--round-trips-ms 0,5] [--seconds 10]   (moto: MOTO_ENDPOINT, or MOTO_PYTHON to start one)";

fn main() -> anyhow::Result<()> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let command = all.first().cloned().unwrap_or_default();
    let args = Args(all);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    match command.as_str() {
        "fanout" => runtime.block_on(fanout::run(&args)),
        "hot" => runtime.block_on(hot::run(&args)),
        "cost" => runtime.block_on(cost::run(&args)),
        // One writer process of `hot`.
        "hot-writer" => runtime.block_on(hot::writer(&args)),
        "--help" | "-h" | "help" => {
            println!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n{HELP}"),
    }
}
