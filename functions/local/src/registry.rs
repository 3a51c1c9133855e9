//! The emulator's registry of live WebSocket connections: one structure, with an RAII guard that
//! removes the entry when the socket task ends. The local `Push` adapter and the management API
//! read it, as API Gateway's own connection table would be read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use shared::domain::ids::ConnectionId;
use shared::domain::model::format_time;
use shared::ports::push::{Push, PushError};
use tokio::sync::mpsc;

/// Frames queued for one connection before it counts as too slow (a push then fails).
pub const OUTBOUND_QUEUE: usize = 1024;

#[derive(Debug)]
pub enum Outbound {
    Text(String),
    Close,
}

#[derive(Clone)]
pub struct ConnectionInfo {
    pub connected_at: String,
    pub last_active_at: String,
    pub source_ip: String,
}

struct Entry {
    tx: mpsc::Sender<Outbound>,
    info: ConnectionInfo,
}

#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<HashMap<ConnectionId, Entry>>>,
}

/// Removes its connection from the registry when dropped.
pub struct Registration {
    registry: Registry,
    id: ConnectionId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut map) = self.registry.inner.lock() {
            map.remove(&self.id);
        }
    }
}

impl Registry {
    pub fn register(
        &self,
        id: ConnectionId,
        tx: mpsc::Sender<Outbound>,
        source_ip: String,
        now_ms: i64,
    ) -> Registration {
        let now = format_time(now_ms);
        let info = ConnectionInfo { connected_at: now.clone(), last_active_at: now, source_ip };
        if let Ok(mut map) = self.inner.lock() {
            map.insert(id.clone(), Entry { tx, info });
        }
        Registration { registry: self.clone(), id }
    }

    pub fn touch(&self, id: &ConnectionId, now_ms: i64) {
        if let Ok(mut map) = self.inner.lock() {
            if let Some(entry) = map.get_mut(id) {
                entry.info.last_active_at = format_time(now_ms);
            }
        }
    }

    pub fn info(&self, id: &ConnectionId) -> Option<ConnectionInfo> {
        self.inner.lock().ok()?.get(id).map(|e| e.info.clone())
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sender(&self, id: &ConnectionId) -> Option<mpsc::Sender<Outbound>> {
        self.inner.lock().ok()?.get(id).map(|e| e.tx.clone())
    }
}

#[async_trait]
impl Push for Registry {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
        let tx = self.sender(connection).ok_or(PushError::Gone)?;
        let text = String::from_utf8(payload.to_vec()).map_err(|e| PushError::Failed(e.to_string()))?;
        match tx.try_send(Outbound::Text(text)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(PushError::Gone),
            Err(mpsc::error::TrySendError::Full(_)) => {
                Err(PushError::Failed("connection too slow: outbound queue full".into()))
            }
        }
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        let tx = self.sender(connection).ok_or(PushError::Gone)?;
        tx.send(Outbound::Close).await.map_err(|_| PushError::Gone)
    }
}
