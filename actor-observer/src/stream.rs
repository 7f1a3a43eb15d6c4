//! Live updates for open pages, by server-sent events: a `sample` a
//! second, each `log` entry as it happens, and (for a page that shows the
//! process table) a `table` a second holding only the rows that changed
//! since the last one it sent, never the whole table again.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use actor_core::observe::Snapshot;
use axum::extract::{Query, State as AxState};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, watch};

use crate::api::TableQuery;
use crate::state::{Live, State};

/// `?table=true&sort=mailbox&filter=robot&limit=100`: the table's query
/// as for `GET /api/processes`.
#[derive(Deserialize)]
pub(crate) struct StreamQuery {
    /// Stream the process table too.
    #[serde(default)]
    table: bool,
    sort: Option<String>,
    #[serde(default)]
    asc: bool,
    filter: Option<String>,
    limit: Option<usize>,
}

/// What one open page has been sent.
struct Conn {
    live: broadcast::Receiver<Live>,
    table: Option<(watch::Receiver<Arc<Snapshot>>, TableQuery)>,
    /// The rows last sent, as JSON, by id.
    sent: HashMap<String, String>,
    order: Vec<String>,
    first: bool,
}

pub(crate) async fn events(
    AxState(state): AxState<Arc<State>>,
    Query(q): Query<StreamQuery>,
) -> Response {
    let mut query = TableQuery {
        sort: q.sort,
        asc: q.asc,
        filter: q.filter,
        limit: q.limit,
    };
    if q.table {
        // Reject a bad sort at once, not in the middle of the stream.
        if let Err(e) = query.select(&Snapshot::default()) {
            return e.into_response();
        }
        query.limit = Some(query.limit.unwrap_or(500).min(5000));
    }
    let conn = Conn {
        live: state.live.subscribe(),
        table: q.table.then(|| {
            let mut rx = state.table.subscribe();
            rx.mark_changed();
            (rx, query)
        }),
        sent: HashMap::new(),
        order: Vec::new(),
        first: true,
    };
    if q.table {
        // A page that asks for the table gets one at once, not after the
        // sampler's next turn.
        state
            .table
            .send_replace(Arc::new(state.observed.snapshot()));
    }
    Sse::new(stream(conn))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn stream(conn: Conn) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold(conn, |mut c| async move {
        loop {
            if c.first {
                c.first = false;
                return Some((Ok(SseEvent::default().event("hello").data("{}")), c));
            }
            let table_changed = async {
                match &mut c.table {
                    Some((rx, _)) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                live = c.live.recv() => {
                    let ev = match live {
                        Ok(Live::Sample(s)) => json_event("sample", &s),
                        Ok(Live::Log(l)) => json_event("log", &l),
                        Err(broadcast::error::RecvError::Lagged(n)) => json_event(
                            "log",
                            &json!({
                                "kind": "missed",
                                "missed": n,
                                "text": format!("this page fell behind and missed {n} updates"),
                            }),
                        ),
                        Err(broadcast::error::RecvError::Closed) => return None,
                    };
                    return Some((Ok(ev), c));
                }
                ok = table_changed => {
                    if !ok {
                        return None;
                    }
                    if let Some(ev) = c.table_diff() {
                        return Some((Ok(ev), c));
                    }
                }
            }
        }
    })
}

impl Conn {
    /// The rows that changed since the last table sent, the ids that left
    /// it, and the order; `None` if nothing changed.
    fn table_diff(&mut self) -> Option<SseEvent> {
        let (rx, query) = self.table.as_mut()?;
        let snap = rx.borrow_and_update().clone();
        let rows = query.select(&snap).ok()?;
        let mut changed = Vec::new();
        let mut now = HashMap::with_capacity(rows.len());
        let mut order = Vec::with_capacity(rows.len());
        for p in rows {
            let id = p.id.to_string();
            let text = serde_json::to_string(p).unwrap_or_default();
            if self.sent.get(&id) != Some(&text) {
                changed.push(text.clone());
            }
            order.push(id.clone());
            now.insert(id, text);
        }
        let removed: Vec<&String> = self.sent.keys().filter(|k| !now.contains_key(*k)).collect();
        if changed.is_empty() && removed.is_empty() && order == self.order {
            return None;
        }
        let data = format!(
            "{{\"total\":{},\"order\":{},\"removed\":{},\"rows\":[{}]}}",
            snap.processes.len(),
            serde_json::to_string(&order).unwrap_or_default(),
            serde_json::to_string(&removed).unwrap_or_default(),
            changed.join(",")
        );
        self.sent = now;
        self.order = order;
        Some(SseEvent::default().event("table").data(data))
    }
}

fn json_event<T: serde::Serialize>(name: &str, value: &T) -> SseEvent {
    SseEvent::default()
        .event(name)
        .data(serde_json::to_string(value).unwrap_or_default())
}
