//! Cost per million messages (issue 24 point 4): the requests one send makes, measured on the
//! real use cases (`fanout::measure`, queued mode: the deployed path), times AWS's list prices,
//! beside the floor API Gateway's own per-message price sets for the same message.

use std::time::Duration;

use crate::fanout::{measure, Mode, Model, PerSend, Row, Scenario};
use crate::Args;

/// us-east-1 list prices (USD), December 2026, first pricing tier of each.
mod price {
    /// API Gateway WebSocket API: per message (metered in 32 KB units; our frames are smaller).
    pub const WEBSOCKET_MESSAGE: f64 = 1.00e-6;
    /// API Gateway WebSocket API: per connection minute.
    pub const CONNECTION_MINUTE: f64 = 0.25e-6;
    /// API Gateway HTTP API: per request (metered in 512 KB units).
    pub const HTTP_REQUEST: f64 = 1.00e-6;
    /// DynamoDB on-demand, standard table class.
    pub const WRITE_REQUEST_UNIT: f64 = 0.625e-6;
    pub const READ_REQUEST_UNIT: f64 = 0.125e-6;
    /// Lambda, per request and per GB-second (x86_64; arm64 is 20% less per GB-second).
    pub const LAMBDA_REQUEST: f64 = 0.20e-6;
    pub const LAMBDA_GB_SECOND: f64 = 0.000_016_666_7;
    /// SQS FIFO: per request (SendMessage, ReceiveMessage, DeleteMessage; 64 KB units).
    pub const SQS_FIFO_REQUEST: f64 = 0.50e-6;
}

/// `template.yaml`: the HTTP API function's memory (Globals) and the fan-out function's.
const HTTP_API_MEMORY_GB: f64 = 0.25;
const FANOUT_MEMORY_GB: f64 = 1.769;
/// Lambda bills at least 1 ms, rounded up to the millisecond.
fn billed_seconds(d: Duration) -> f64 {
    (d.as_micros().div_ceil(1000).max(1)) as f64 / 1000.0
}

/// Connection minutes are paid per person online, not per message: they are shown beside the
/// per-message costs under this assumption, not added to them. A person online 8 hours a day
/// with 1.2 connections on average (a second tab or the phone now and then) who sends 40
/// messages a day: 8 × 60 × 1.2 / 40 = 14.4 connection minutes per message sent.
const CONNECTION_MINUTES_PER_MESSAGE: f64 = 8.0 * 60.0 * 1.2 / 40.0;

/// What a million messages cost, by service.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Bill {
    pub api_gateway: f64,
    pub dynamodb: f64,
    pub lambda: f64,
    pub sqs: f64,
}

impl Bill {
    pub fn total(&self) -> f64 {
        self.api_gateway + self.dynamodb + self.lambda + self.sqs
    }
}

/// A million sends, each as `row` measured it: the request in, one message per post, the
/// table's units, the HTTP API function for the send's duration, and the fan-out function and
/// queue for every job (each message sent, received and deleted once, and one invocation per
/// job: the event source mapping batches at best, so this is the upper bound).
pub fn bill(row: &Row) -> Bill {
    let PerSend { read_units, write_units, posts, queue_sends, fanout_jobs, fanout_busy, .. } = row.per_send;
    let per_send = Bill {
        api_gateway: price::HTTP_REQUEST + posts * price::WEBSOCKET_MESSAGE,
        dynamodb: read_units * price::READ_REQUEST_UNIT + write_units * price::WRITE_REQUEST_UNIT,
        lambda: price::LAMBDA_REQUEST
            + billed_seconds(row.response) * HTTP_API_MEMORY_GB * price::LAMBDA_GB_SECOND
            + fanout_jobs * price::LAMBDA_REQUEST
            + fanout_busy.as_secs_f64() * FANOUT_MEMORY_GB * price::LAMBDA_GB_SECOND,
        sqs: queue_sends * 3.0 * price::SQS_FIFO_REQUEST,
    };
    scale(per_send, 1e6)
}

/// The floor: what API Gateway alone charges for the same message whatever runs behind it,
/// the request that brings it in and one message to each connection that must receive it.
pub fn floor(recipients: usize) -> f64 {
    1e6 * (price::HTTP_REQUEST + recipients as f64 * price::WEBSOCKET_MESSAGE)
}

fn scale(b: Bill, by: f64) -> Bill {
    Bill { api_gateway: b.api_gateway * by, dynamodb: b.dynamodb * by, lambda: b.lambda * by, sqs: b.sqs * by }
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let model = Model::from_args(args)?;
    let sizes = args.list("--members", &[10, 100, 1_000])?;
    let sends = args.number("--sends", 5)?.max(1) as usize;
    println!(
        "cost per million messages (USD, us-east-1 list prices), queued mode (the deployed path), one connection per member online, median response / mean counts of {sends} sends under the latency model ({} ms per post, {} ms per store call)",
        model.post.as_millis(),
        model.round_trip.as_millis()
    );
    println!();
    println!("| members | online (connections) | posts | DynamoDB units read / written | queue messages | fan-out jobs (busy) | send's Lambda time | API Gateway | DynamoDB | Lambda | SQS | total | floor | × floor |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for members in sizes {
        for online_share in [1.0, 0.1] {
            let online = ((members as f64 * online_share).round() as usize).clamp(1, members - 1);
            let scenario = Scenario { members, online, connections_per_member: 1, bill_capacity: true };
            let row = measure(scenario, model, sends, Mode::Queued).await?;
            let (bill, floor) = (bill(&row), floor(row.audience));
            let per = row.per_send;
            println!(
                "| {members} | {online} | {:.0} | {:.1} / {:.1} | {:.1} | {:.1} ({} ms) | {} ms | {:.2} | {:.2} | {:.2} | {:.2} | **{:.2}** | {:.2} | **{:.2}** |",
                per.posts,
                per.read_units,
                per.write_units,
                per.queue_sends,
                per.fanout_jobs,
                per.fanout_busy.as_millis(),
                row.response.as_millis(),
                bill.api_gateway,
                bill.dynamodb,
                bill.lambda,
                bill.sqs,
                bill.total(),
                floor,
                bill.total() / floor
            );
        }
    }
    println!();
    println!(
        "connection minutes (not per message; shown beside): {CONNECTION_MINUTES_PER_MESSAGE:.1} per message sent under the stated assumption = {:.2} USD per million messages, the same for any design on API Gateway WebSockets",
        1e6 * CONNECTION_MINUTES_PER_MESSAGE * price::CONNECTION_MINUTE
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(per_send: PerSend, response_ms: u64, audience: usize) -> Row {
        Row {
            mode: Mode::Queued,
            audience,
            response: Duration::from_millis(response_ms),
            last_delivery: Duration::ZERO,
            calls_before_response: 0.0,
            queue_sends_before_response: 0.0,
            peak_in_flight: 0,
            per_send,
        }
    }

    #[test]
    fn a_send_pays_its_request_posts_units_and_functions() {
        let per_send = PerSend { read_units: 4.0, write_units: 8.0, posts: 10.0, ..PerSend::default() };
        let b = bill(&row(per_send, 100, 10));
        assert!((b.api_gateway - 11.0).abs() < 1e-9, "1 request + 10 messages: {b:?}");
        assert!((b.dynamodb - (4.0 * 0.125 + 8.0 * 0.625)).abs() < 1e-9);
        // One request, 0.1 s at 0.25 GB.
        assert!((b.lambda - (0.2 + 0.1 * 0.25 * 16.6667)).abs() < 1e-3, "{b:?}");
        assert_eq!(b.sqs, 0.0);
        assert!((floor(10) - 11.0).abs() < 1e-9);
    }

    #[test]
    fn a_queued_send_pays_the_queue_three_requests_and_the_fan_out_function() {
        let per_send = PerSend {
            posts: 1000.0,
            queue_sends: 2.0,
            fanout_jobs: 2.0,
            fanout_busy: Duration::from_millis(200),
            ..PerSend::default()
        };
        let b = bill(&row(per_send, 10, 1000));
        assert!((b.sqs - 3.0).abs() < 1e-9, "2 jobs × send, receive, delete: {b:?}");
        let fanout = 2.0 * 0.2 + 0.2 * 1.769 * 16.6667;
        assert!((b.lambda - (0.2 + 0.01 * 0.25 * 16.6667 + fanout)).abs() < 1e-3, "{b:?}");
    }

    #[test]
    fn lambda_bills_whole_milliseconds_and_at_least_one() {
        assert_eq!(billed_seconds(Duration::from_micros(10)), 0.001);
        assert_eq!(billed_seconds(Duration::from_micros(1_001)), 0.002);
    }
}
