//! Live updates for open pages, by server-sent events: a `sample` a
//! second, each `log` entry as it happens, and (for a page that shows the
//! process table) a `table` a second holding only the rows that changed
//! since the last one it sent, never the whole table again. Another
//! node's table (`?node=N`) is asked of that node once a second by a
//! process that lives as long as the page's stream; when it cannot be
//! had, the page gets a `table-error`.

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

use crate::api::{ApiError, Rows, TableQuery};
use crate::state::{EVERY, Live, State};

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
    /// Another node's table.
    node: Option<String>,
}

/// Where a page's table comes from.
enum Table {
    /// This node's snapshots, taken by the sampler.
    Local(watch::Receiver<Arc<Snapshot>>, TableQuery),
    /// Another node's rows, as a process of ours asks for them.
    Remote(watch::Receiver<Result<Rows, String>>),
}

/// What one open page has been sent.
struct Conn {
    live: broadcast::Receiver<Live>,
    table: Option<Table>,
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
    let node = match state.node_of_query(q.node.as_deref()) {
        Ok(node) => node,
        Err(e) => return e.into_response(),
    };
    if q.table {
        // Reject a bad sort at once, not in the middle of the stream.
        if let Err(e) = query.select(&Snapshot::default()) {
            return e.into_response();
        }
        query.limit = Some(query.limit.unwrap_or(500).min(5000));
    }
    let table = match (q.table, node) {
        (false, _) => None,
        (true, None) => {
            let mut rx = state.table.subscribe();
            rx.mark_changed();
            // A page that asks for the table gets one at once, not after
            // the sampler's next turn.
            state
                .table
                .send_replace(Arc::new(state.observed.snapshot()));
            Some(Table::Local(rx, query))
        }
        (true, Some(node)) => match state.remote() {
            Ok(remote) => Some(Table::Remote(ask_every_second(remote, node, query))),
            Err(e) => return e.into_response(),
        },
    };
    let conn = Conn {
        live: state.live.subscribe(),
        table,
        sent: HashMap::new(),
        order: Vec::new(),
        first: true,
    };
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
                    Some(Table::Local(rx, _)) => rx.changed().await.is_ok(),
                    Some(Table::Remote(rx)) => rx.changed().await.is_ok(),
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
        let rows = match self.table.as_mut()? {
            Table::Local(rx, query) => {
                let snap = rx.borrow_and_update().clone();
                Rows::select(query, &snap, usize::MAX).ok()?
            }
            Table::Remote(rx) => match &*rx.borrow_and_update() {
                Ok(rows) => rows.clone(),
                Err(e) => return Some(json_event("table-error", &json!({ "error": e }))),
            },
        };
        let mut changed = Vec::new();
        let mut now = HashMap::with_capacity(rows.rows.len());
        let mut order = Vec::with_capacity(rows.rows.len());
        for (id, text) in rows.rows {
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
            rows.total,
            serde_json::to_string(&order).unwrap_or_default(),
            serde_json::to_string(&removed).unwrap_or_default(),
            changed.join(",")
        );
        self.sent = now;
        self.order = order;
        Some(SseEvent::default().event("table").data(data))
    }
}

/// Starts a process that asks `node` for the rows of `query` once a
/// second, until the returned receiver is dropped.
fn ask_every_second(
    remote: Arc<dyn crate::remote::Remote>,
    node: actor_core::NodeId,
    query: TableQuery,
) -> watch::Receiver<Result<Rows, String>> {
    let (tx, rx) = watch::channel(Ok(Rows::default()));
    actor_core::Spawn::new()
        .label("observer-remote-table")
        .system()
        .spawn(move |_: actor_core::Ctx<()>| async move {
            loop {
                let rows = remote
                    .rows(node, query.clone())
                    .await
                    .map_err(ApiError::text);
                if tx.send(rows).is_err() {
                    return;
                }
                tokio::select! {
                    () = tx.closed() => return,
                    () = actor_core::sleep(EVERY) => {}
                }
            }
        });
    rx
}

fn json_event<T: serde::Serialize>(name: &str, value: &T) -> SseEvent {
    SseEvent::default()
        .event(name)
        .data(serde_json::to_string(value).unwrap_or_default())
}
