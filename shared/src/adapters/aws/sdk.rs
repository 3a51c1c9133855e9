//! The AWS SDK set-up every adapter shares, built once per cold start: one HTTPS client (rustls on
//! ring, trusting Amazon's roots), the standard retry mode as the only retry layer, and timeouts
//! inside the functions' Lambda timeout.

use std::time::Duration;

/// Attempts per AWS call, the first included: the SDK's standard mode, whose token bucket stops
/// retrying when most calls fail (a retry storm against a struggling service).
pub const SDK_MAX_ATTEMPTS: u32 = 3;
/// One attempt's limit, and the whole call's (every attempt and backoff): both well inside the
/// HTTP and WebSocket functions' 15 s Lambda timeout (template.yaml), so a hung call ends as a
/// 503 the client retries, never as a Lambda timeout.
pub const SDK_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const SDK_OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
const SDK_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The one retry layer for every AWS client (DynamoDB, S3, the Management API): set here, where
/// the SDK config is built.
pub fn sdk_retry_and_timeouts() -> (aws_config::retry::RetryConfig, aws_config::timeout::TimeoutConfig) {
    (
        aws_config::retry::RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS),
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(SDK_CONNECT_TIMEOUT)
            .operation_attempt_timeout(SDK_ATTEMPT_TIMEOUT)
            .operation_timeout(SDK_OPERATION_TIMEOUT)
            .build(),
    )
}

/// Builds a client for `endpoint` (an emulator) with static test credentials, or from the
/// environment when `endpoint` is `None` (Lambda).
pub async fn sdk_config(endpoint: Option<&str>) -> Result<aws_config::SdkConfig, crate::config::ConfigError> {
    let (retry, timeouts) = sdk_retry_and_timeouts();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client(sdk_trust_store())?)
        .retry_config(retry)
        .timeout_config(timeouts);
    if let Some(endpoint) = endpoint {
        loader = loader
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new("test", "test", None, None, "static"));
    } else if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        // Lambda hands every function its role's keys in the environment. Naming that provider
        // skips building the default chain (an STS client for web identity, IMDS, SSO, ECS),
        // which with its TLS set-up was most of our cold start (BENCHMARKS.md).
        loader = loader
            .credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new())
            .region(aws_config::environment::EnvironmentVariableRegionProvider::new());
    }
    Ok(loader.load().await)
}

/// The root CAs of Amazon Trust Services, which sign every AWS service endpoint's certificate
/// (DynamoDB, S3, the API Gateway management API).
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("../../../certs/amazon-trust-services.pem");

/// What the SDK's HTTPS client trusts: Amazon Trust Services only, unless `SSL_CERT_FILE` or
/// `SSL_CERT_DIR` names a trust store on purpose (an endpoint behind another CA); the system's
/// roots are then loaded from just what they name. The SDK's own default reads and parses the
/// whole system bundle, and every file of the certificate directory, at each cold start.
pub fn sdk_trust_store() -> aws_smithy_http_client::tls::TrustStore {
    use aws_smithy_http_client::tls::TrustStore;
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return TrustStore::default();
    }
    amazon_roots()
}

/// A trust store of the Amazon Trust Services roots alone.
fn amazon_roots() -> aws_smithy_http_client::tls::TrustStore {
    aws_smithy_http_client::tls::TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS)
}

/// The one HTTPS client every SDK client uses: rustls on ring, the crypto library reqwest (JWKS,
/// OpenSearch) already links, so the functions carry one instead of two.
pub fn https_client(
    trust: aws_smithy_http_client::tls::TrustStore,
) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient, crate::config::ConfigError> {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext};
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| crate::config::ConfigError(format!("TLS set-up: {e}")))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_dynamodb::error::SdkError;

    /// The embedded roots parse (the SDK would panic on a bad PEM when it first connects) and the
    /// client goes as far as the network: here a refused connection, not a TLS set-up failure.
    #[tokio::test]
    async fn amazon_trust_client_reaches_the_network() {
        let client = super::https_client(super::amazon_roots()).expect("client");
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("key", "secret", None, None, "test"))
            .endpoint_url("https://127.0.0.1:9")
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .http_client(client)
            .build();
        let err = aws_sdk_dynamodb::Client::from_conf(config).list_tables().send().await.expect_err("port 9 is closed");
        let SdkError::DispatchFailure(failure) = &err else { panic!("expected a dispatch failure, got {err:?}") };
        assert!(failure.is_io(), "{err:?}");
    }
}
