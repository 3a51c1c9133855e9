//! Cold start of each function's release binary, measured the way Lambda reports it: from
//! process start to the first poll of the Runtime API's `next` (init duration), and, where the
//! function can answer without AWS, to its first response. A minimal Runtime API stub stands in
//! for Lambda; a hello-world `lambda_runtime` binary built with the same profile is the floor.
//! Run: `make bench-coldstart` (builds the release binaries, then runs this with `--runs 20`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, Mutex};

const RUNTIME: &str = "/2018-06-01/runtime";

#[derive(Debug)]
enum Seen {
    Polled(Instant),
    Responded(Instant),
    Failed(String),
}

struct Stub {
    event: Option<String>,
    served: Mutex<bool>,
    seen: mpsc::UnboundedSender<Seen>,
}

async fn next(State(stub): State<Arc<Stub>>) -> impl IntoResponse {
    let _ = stub.seen.send(Seen::Polled(Instant::now()));
    let mut served = stub.served.lock().await;
    match (&stub.event, *served) {
        (Some(event), false) => {
            *served = true;
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + Duration::from_secs(30);
            let mut headers = HeaderMap::new();
            headers.insert("lambda-runtime-aws-request-id", HeaderValue::from_static("coldstart-1"));
            headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline.as_millis() as u64));
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:coldstart"),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                HeaderValue::from_static("Root=1-00000000-000000000000000000000000"),
            );
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            (StatusCode::OK, headers, event.clone()).into_response()
        }
        // Nothing more to invoke: hold the poll open until the process is killed.
        _ => {
            drop(served);
            std::future::pending::<()>().await;
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

async fn responded(State(stub): State<Arc<Stub>>) -> StatusCode {
    let _ = stub.seen.send(Seen::Responded(Instant::now()));
    StatusCode::ACCEPTED
}

async fn failed(State(stub): State<Arc<Stub>>, body: String) -> StatusCode {
    let _ = stub.seen.send(Seen::Failed(body));
    StatusCode::ACCEPTED
}

struct Sample {
    init_ms: f64,
    response_ms: Option<f64>,
}

async fn cold_start(binary: &PathBuf, event: Option<&str>) -> Result<Sample> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stub = Arc::new(Stub { event: event.map(str::to_owned), served: Mutex::new(false), seen: tx });
    let app = Router::new()
        .route(&format!("{RUNTIME}/invocation/next"), get(next))
        .route(&format!("{RUNTIME}/invocation/{{id}}/response"), post(responded))
        .route(&format!("{RUNTIME}/invocation/{{id}}/error"), post(failed))
        .route(&format!("{RUNTIME}/init/error"), post(failed))
        // Answers anything else too (OpenSearch, should a function call it during init): a local
        // round trip, so the figure is our start-up, not a network's.
        .fallback(|| async { (StatusCode::OK, "{}") })
        .with_state(stub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // AWS endpoints point at a closed port: init must not need them.
    let nowhere = "http://127.0.0.1:9";
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs([
            ("AWS_LAMBDA_RUNTIME_API", addr.to_string().as_str()),
            ("AWS_LAMBDA_FUNCTION_NAME", "coldstart"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/coldstart"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_ENDPOINT_URL", nowhere),
            ("TABLE_NAME", "tenant-chat"),
            ("JWT_ISSUER", "https://issuer.example"),
            ("JWT_AUDIENCE", "tenant-chat"),
            ("JWKS_URL", "http://127.0.0.1:9/jwks.json"),
            ("WS_MANAGEMENT_ENDPOINT", nowhere),
            ("ATTACHMENTS_BUCKET", "attachments"),
            ("ARCHIVE_BUCKET", "archive"),
            ("OPENSEARCH_ENDPOINT", format!("http://{addr}").as_str()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;

    let mut init_ms = None;
    let outcome = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(seen) = rx.recv().await {
            match seen {
                Seen::Polled(at) if init_ms.is_none() => {
                    init_ms = Some((at - started).as_secs_f64() * 1e3);
                    if event.is_none() {
                        return Ok(None);
                    }
                }
                Seen::Polled(_) => {}
                Seen::Responded(at) => return Ok(Some((at - started).as_secs_f64() * 1e3)),
                Seen::Failed(body) => bail!("{} reported an error: {body}", binary.display()),
            }
        }
        bail!("the stub stopped")
    })
    .await;
    child.kill().await.ok();
    server.abort();
    let response_ms = outcome.with_context(|| format!("{} did not start within 20 s", binary.display()))??;
    Ok(Sample { init_ms: init_ms.context("never polled")?, response_ms })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut runs = 20;
    let mut bin_dir = PathBuf::from("target/release");
    let mut events_dir = PathBuf::from("events");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            "--bin-dir" => bin_dir = args.next().context("--bin-dir DIR")?.into(),
            "--events" => events_dir = args.next().context("--events DIR")?.into(),
            other => bail!("unknown argument {other}"),
        }
    }
    let health = std::fs::read_to_string(events_dir.join("http-api-health.json")).context("health event")?;
    // (binary, event it can answer without AWS)
    let targets: [(&str, Option<&str>); 6] = [
        ("hello-lambda", Some("{}")),
        ("http-api", Some(health.as_str())),
        ("ws", None),
        ("stream-indexer", None),
        ("stream-archiver", None),
        ("retention", None),
    ];
    println!("cold start, median of {runs} (process start → first poll of next; → first response where measured)");
    println!(
        "{:<16} {:>12} {:>8} {:>14} {:>8} {:>14}",
        "binary", "init ms", "× floor", "response ms", "× floor", "size bytes"
    );
    let mut floor = (0.0, 0.0);
    for (name, event) in targets {
        let binary = bin_dir.join(name);
        let size = std::fs::metadata(&binary).with_context(|| format!("{} (build it first)", binary.display()))?.len();
        let mut init = Vec::new();
        let mut response = Vec::new();
        for _ in 0..runs {
            let sample = cold_start(&binary, event).await?;
            init.push(sample.init_ms);
            response.extend(sample.response_ms);
        }
        let init = median(init);
        let response = (!response.is_empty()).then(|| median(response));
        if name == "hello-lambda" {
            floor = (init, response.unwrap_or(init));
        }
        let response_cols = match response {
            Some(r) => format!("{:>14.2} {:>8.2}", r, r / floor.1),
            None => format!("{:>14} {:>8}", "-", "-"),
        };
        println!("{:<16} {:>12.2} {:>8.2} {} {:>14}", name, init, init / floor.0, response_cols, size);
    }
    Ok(())
}
