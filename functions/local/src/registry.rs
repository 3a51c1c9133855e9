//! The emulator's registry of live WebSocket connections: one structure, with an RAII guard that
//! removes the entry when the socket task ends. The local `Push` adapter and the management API
//! read it, as API Gateway's own connection table would be read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::extract::ws::Utf8Bytes;
use shared::domain::format_time;
use shared::domain::ids::ConnectionId;
use shared::ports::push::{Push, PushError};
use tokio::sync::mpsc;

/// Frames queued for one connection before it counts as too slow (a push then fails).
pub const OUTBOUND_QUEUE: usize = 1024;

#[derive(Debug)]
pub enum Outbound {
    /// Shared between every connection a fan-out reaches (a reference count, not a copy each).
    Text(Utf8Bytes),
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

fn queue(tx: Option<&mpsc::Sender<Outbound>>, text: &Utf8Bytes) -> Result<(), PushError> {
    match tx.ok_or(PushError::Gone)?.try_send(Outbound::Text(text.clone())) {
        Ok(()) => Ok(()),
        Err(mpsc::error::TrySendError::Closed(_)) => Err(PushError::Gone),
        Err(mpsc::error::TrySendError::Full(_)) => {
            Err(PushError::Failed("connection too slow: outbound queue full".into()))
        }
    }
}

fn text_frame(payload: &[u8]) -> Result<Utf8Bytes, PushError> {
    std::str::from_utf8(payload).map(|t| Utf8Bytes::from(t.to_owned())).map_err(|e| PushError::Failed(e.to_string()))
}

#[async_trait]
impl Push for Registry {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
        queue(self.sender(connection).as_ref(), &text_frame(payload)?)
    }

    /// One frame for all: checked as UTF-8 once, shared by reference, queued under one lock.
    async fn post_many(&self, connections: &[ConnectionId], payload: &[u8]) -> Vec<Result<(), PushError>> {
        self.post_many_with(connections, payload, 1).await
    }

    /// Nothing waits on the network here: `concurrency` does not apply.
    async fn post_many_with(
        &self,
        connections: &[ConnectionId],
        payload: &[u8],
        _concurrency: usize,
    ) -> Vec<Result<(), PushError>> {
        let text = match text_frame(payload) {
            Ok(text) => text,
            Err(e) => return connections.iter().map(|_| Err(e.clone())).collect(),
        };
        match self.inner.lock() {
            Ok(map) => connections.iter().map(|id| queue(map.get(id).map(|e| &e.tx), &text)).collect(),
            Err(_) => {
                connections.iter().map(|_| Err(PushError::Failed("connection registry poisoned".into()))).collect()
            }
        }
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        let tx = self.sender(connection).ok_or(PushError::Gone)?;
        tx.send(Outbound::Close).await.map_err(|_| PushError::Gone)
    }
}
