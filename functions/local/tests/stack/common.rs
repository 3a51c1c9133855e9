//! What the local stack's tests share.

use serde_json::Value;

/// The id of the seeded conversation called `name`, as `token`'s user lists it.
pub async fn conversation_named(http: &reqwest::Client, base: &str, token: &str, name: &str) -> String {
    let list: Value = http
        .get(format!("{base}/api/v1/chat/conversations"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = list["items"].as_array().unwrap().iter().find(|c| c["name"] == name);
    found.unwrap_or_else(|| panic!("no conversation #{name} in {list}"))["id"].as_str().unwrap().to_owned()
}
