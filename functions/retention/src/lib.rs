//! The retention job: one run deletes what expired in every tenant with a policy, only where the
//! archive watermark covers it. Deletions are ordinary conversation changes (a seq, a change
//! record, a `chat:messageDeleted` to live clients), and the stream removes them from search.

use shared::app::RetentionReport;
use shared::Chat;

pub async fn run(chat: &Chat) -> Result<RetentionReport, shared::ChatError> {
    chat.run_retention().await
}
