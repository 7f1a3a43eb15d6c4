//! The JSON API: the snapshot, one process, the tree, the overview, and
//! the actions (kill, restart a supervised child) behind the token.

use std::cmp::Reverse;
use std::sync::Arc;

use actor_core::observe::{Observed, ProcessInfo, Snapshot, Tree};
use actor_core::{NodeId, ProcessId, StartError, SupervisorMsg};
use axum::Json;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::state::{Sample, State};

/// An API error: a status and `{"error": "..."}`.
#[derive(Debug)]
pub(crate) struct ApiError(StatusCode, String);

impl ApiError {
    pub(crate) fn new(status: StatusCode, text: impl Into<String>) -> Self {
        ApiError(status, text.into())
    }

    #[cfg(all(test, feature = "net"))]
    pub(crate) fn status(&self) -> StatusCode {
        self.0
    }

    /// Its status and what it says, to cross to another node.
    #[cfg(feature = "net")]
    pub(crate) fn into_parts(self) -> (u16, String) {
        (self.0.as_u16(), self.1)
    }

    /// An error another node answered.
    #[cfg(feature = "net")]
    pub(crate) fn from_parts(status: u16, text: String) -> Self {
        ApiError(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            text,
        )
    }

    /// What it says, without its status.
    pub(crate) fn text(self) -> String {
        self.1
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

fn parse_id(text: &str) -> Result<ProcessId, ApiError> {
    text.parse()
        .map_err(|e: actor_core::ParseIdError| ApiError(StatusCode::BAD_REQUEST, e.to_string()))
}

/// Where a process id points: this node (its id with node 0, as this
/// node's processes are numbered here) or another.
pub(crate) enum Place {
    Local(ProcessId),
    Remote(ProcessId),
}

pub(crate) fn no_such(id: ProcessId) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!("no live process {id} (it has ended, or never was)"),
    )
}

/// Checks `Authorization: Bearer TOKEN`, in constant time.
pub(crate) fn authorize(state: &State, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "this action needs the observer's token: Authorization: Bearer TOKEN".into(),
        ));
    };
    let given = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError(
                StatusCode::UNAUTHORIZED,
                "the Authorization header must be: Bearer TOKEN".into(),
            )
        })?;
    if same(given.as_bytes(), state.token.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError(StatusCode::FORBIDDEN, "wrong token".into()))
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How the process table is asked for: `?sort=mailbox&filter=robot&limit=100`.
/// It travels to another node to select that node's rows there.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct TableQuery {
    /// `id` (default), `mailbox`, `received`, `sent`, `restarts`, `uptime`,
    /// `label`, `name`, `status`.
    pub(crate) sort: Option<String>,
    /// Ascending instead of the column's natural order.
    #[serde(default)]
    pub(crate) asc: bool,
    /// Keeps processes whose id, name, label or message type contains it.
    pub(crate) filter: Option<String>,
    pub(crate) limit: Option<usize>,
}

impl TableQuery {
    /// The rows this query selects, in its order.
    pub(crate) fn select<'a>(&self, snap: &'a Snapshot) -> Result<Vec<&'a ProcessInfo>, ApiError> {
        let filter = self.filter.as_deref().map(str::to_lowercase);
        let mut rows: Vec<&ProcessInfo> = snap
            .processes
            .iter()
            .filter(|p| match &filter {
                None => true,
                Some(f) => {
                    let has = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase().contains(f));
                    p.id.to_string().contains(f.as_str())
                        || has(p.name.as_deref())
                        || has(p.label.as_deref())
                        || has(Some(p.message_type))
                }
            })
            .collect();
        let text = |s: &Option<Arc<str>>| s.as_deref().unwrap_or("").to_string();
        match self.sort.as_deref().unwrap_or("id") {
            "id" => {}
            "mailbox" => rows.sort_by_key(|p| Reverse(p.mailbox)),
            "received" => rows.sort_by_key(|p| Reverse(p.received)),
            "sent" => rows.sort_by_key(|p| Reverse(p.sent)),
            "restarts" => rows.sort_by_key(|p| Reverse(p.restarts)),
            "uptime" => rows.sort_by_key(|p| Reverse(p.uptime)),
            "label" => rows.sort_by_key(|p| text(&p.label)),
            "name" => rows.sort_by_key(|p| text(&p.name)),
            "status" => rows.sort_by_key(|p| p.status.to_string()),
            other => {
                return Err(ApiError(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "cannot sort by {other:?}: use id, mailbox, received, sent, restarts, uptime, label, name or status"
                    ),
                ));
            }
        }
        if self.asc && self.sort.as_deref().is_some_and(|s| s != "id") {
            rows.reverse();
        }
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        Ok(rows)
    }
}

/// Rows of the table as JSON texts, by id: what a page is streamed and
/// what another node answers.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Rows {
    /// Processes alive on the node.
    pub(crate) total: usize,
    /// Rows the query selected (more than `rows` holds if they were cut
    /// to fit one frame between nodes).
    pub(crate) selected: usize,
    /// `(id, the row as JSON)`, in the query's order.
    pub(crate) rows: Vec<(String, String)>,
}

impl Rows {
    /// The rows `query` selects from `snap`, as long as their JSON fits in
    /// `budget` bytes.
    pub(crate) fn select(
        query: &TableQuery,
        snap: &Snapshot,
        budget: usize,
    ) -> Result<Rows, ApiError> {
        let selected = query.select(snap)?;
        let mut rows = Vec::with_capacity(selected.len());
        let mut size = 0usize;
        for p in &selected {
            let id = p.id.to_string();
            let json = serde_json::to_string(p).unwrap_or_default();
            // The lengths' own bytes and the array's commas.
            size += id.len() + json.len() + 8;
            if size > budget {
                break;
            }
            rows.push((id, json));
        }
        Ok(Rows {
            total: snap.processes.len(),
            selected: selected.len(),
            rows,
        })
    }

    /// The rows as a JSON array, with `x-observer-left-out: N` if some were
    /// cut.
    fn into_response(self) -> Response {
        let mut body =
            String::with_capacity(2 + self.rows.iter().map(|r| r.1.len() + 1).sum::<usize>());
        body.push('[');
        for (i, (_, json)) in self.rows.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(json);
        }
        body.push(']');
        let mut r = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        let left_out = self.selected.saturating_sub(self.rows.len());
        if left_out > 0 {
            r.headers_mut()
                .insert("x-observer-left-out", header::HeaderValue::from(left_out));
        }
        r
    }
}

/// `?node=N`: which node's table.
#[derive(Deserialize)]
pub(crate) struct NodeQuery {
    pub(crate) node: Option<String>,
}

pub(crate) async fn processes(
    AxState(state): AxState<Arc<State>>,
    Query(q): Query<TableQuery>,
    Query(n): Query<NodeQuery>,
) -> Result<Response, ApiError> {
    match state.node_of_query(n.node.as_deref())? {
        None => {
            let snap = state.observed.snapshot();
            let rows: Vec<ProcessInfo> = q.select(&snap)?.into_iter().cloned().collect();
            Ok(Json(rows).into_response())
        }
        Some(node) => {
            // A bad sort is refused here, not by the other node.
            q.select(&Snapshot::default())?;
            Ok(state.remote()?.rows(node, q).await?.into_response())
        }
    }
}

/// One process, with what the snapshot adds: who monitors it, its
/// children, and the recent exits of its children.
#[derive(Serialize)]
pub(crate) struct Detail {
    #[serde(flatten)]
    process: ProcessInfo,
    monitored_by_processes: Vec<String>,
    children: Vec<String>,
    recent_child_exits: Vec<actor_core::observe::Event>,
    /// Another node's process: its children's exits are not kept.
    remote: bool,
}

impl Detail {
    /// Process `id` of `snap`, if it is there; `remote` for another node's.
    pub(crate) fn of(
        snap: &Snapshot,
        id: ProcessId,
        recent_child_exits: Vec<actor_core::observe::Event>,
        remote: bool,
    ) -> Option<Detail> {
        let process = snap.get(id).cloned()?;
        let ids = |f: &dyn Fn(&ProcessInfo) -> bool| {
            snap.processes
                .iter()
                .filter(|p| f(p))
                .map(|p| p.id.to_string())
                .collect()
        };
        Some(Detail {
            monitored_by_processes: ids(&|p| p.monitors.contains(&id)),
            children: ids(&|p| p.parent == Some(id)),
            recent_child_exits,
            remote,
            process,
        })
    }
}

pub(crate) async fn process(
    AxState(state): AxState<Arc<State>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = match state.place(parse_id(&id)?) {
        Place::Local(id) => id,
        Place::Remote(id) => {
            let json = state.remote()?.detail(id).await?;
            return Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response());
        }
    };
    let snap = state.observed.snapshot();
    let detail =
        Detail::of(&snap, id, state.exits_of_children(id), false).ok_or_else(|| no_such(id))?;
    Ok(Json(detail).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TreeQuery {
    /// At most this many children shown under one process (default 200).
    max_children: Option<usize>,
}

/// A tree node with its children cut to a count.
#[derive(Serialize)]
pub(crate) struct Node {
    #[serde(flatten)]
    process: ProcessInfo,
    children: Vec<Node>,
    /// Children left out.
    more: usize,
}

fn cut(tree: Tree, max: usize) -> Node {
    let total = tree.children.len();
    let children = tree
        .children
        .into_iter()
        .take(max)
        .map(|t| cut(t, max))
        .collect();
    Node {
        process: tree.process,
        children,
        more: total.saturating_sub(max),
    }
}

pub(crate) async fn tree(
    AxState(state): AxState<Arc<State>>,
    Query(q): Query<TreeQuery>,
) -> ApiResult<Vec<Node>> {
    let max = q.max_children.unwrap_or(200);
    let forest = state.observed.snapshot().tree();
    Ok(Json(forest.into_iter().map(|t| cut(t, max)).collect()))
}

#[derive(Serialize)]
pub(crate) struct Overview {
    processes: usize,
    received: u64,
    sent: u64,
    rss: Option<u64>,
    history: Vec<Sample>,
}

pub(crate) async fn overview(AxState(state): AxState<Arc<State>>) -> Json<Overview> {
    let totals = state.observed.totals();
    Json(Overview {
        processes: totals.processes,
        received: totals.received,
        sent: totals.sent,
        rss: crate::state::rss(),
        history: state.history(),
    })
}

/// This node and the others the program told the observer of.
pub(crate) async fn nodes(AxState(state): AxState<Arc<State>>) -> Response {
    let others = state.nodes.as_ref().map(|f| f()).unwrap_or_default();
    Json(json!({
        "this": state.this().0,
        "others": others,
    }))
    .into_response()
}

pub(crate) async fn log(AxState(state): AxState<Arc<State>>) -> Response {
    Json(state.log()).into_response()
}

pub(crate) async fn info(AxState(state): AxState<Arc<State>>) -> Response {
    Json(json!({
        "name": "actor-observer",
        "version": env!("CARGO_PKG_VERSION"),
        "pages": state.pages,
    }))
    .into_response()
}

/// An action on a process.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) enum Action {
    Kill,
    Restart,
}

pub(crate) async fn kill(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    act(&state, &headers, &id, Action::Kill).await
}

pub(crate) async fn restart(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    act(&state, &headers, &id, Action::Restart).await
}

/// `action` on process `id`, here or on its node.
async fn act(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    action: Action,
) -> ApiResult<serde_json::Value> {
    authorize(state, headers)?;
    match state.place(parse_id(id)?) {
        Place::Local(id) => act_here(&state.observed, id, action, NodeId::LOCAL)
            .await
            .map(Json),
        Place::Remote(id) => {
            let answer = state.remote()?.act(id, action).await?;
            serde_json::from_str(&answer).map(Json).map_err(|e| {
                ApiError(
                    StatusCode::BAD_GATEWAY,
                    format!("node {} answered what is not JSON: {e}", id.node.0),
                )
            })
        }
    }
}

/// `action` on process `id` of `observed` (this node's numbering); the
/// answer names processes as node `me` numbers them.
pub(crate) async fn act_here(
    observed: &Observed,
    id: ProcessId,
    action: Action,
    me: NodeId,
) -> Result<serde_json::Value, ApiError> {
    let shown = |id: ProcessId| {
        let node = if id.node == NodeId::LOCAL {
            me
        } else {
            id.node
        };
        ProcessId { node, ..id }.to_string()
    };
    let no_such = || no_such(ProcessId { node: me, ..id });
    match action {
        Action::Kill => {
            let pid = observed.find(id).ok_or_else(no_such)?;
            pid.kill();
            tracing::info!(pid = %shown(id), "killed from the observer");
            Ok(json!({ "killed": shown(id) }))
        }
        Action::Restart => {
            let info = observed.process(id).ok_or_else(no_such)?;
            let not_supervised = || {
                ApiError(
                    StatusCode::CONFLICT,
                    format!("{} is not a supervisor's child: kill it instead", shown(id)),
                )
            };
            let (Some(child_id), Some(parent)) = (info.child_id.clone(), info.parent) else {
                return Err(not_supervised());
            };
            let sup = observed
                .find(parent)
                .and_then(|p| p.downcast::<SupervisorMsg>())
                .ok_or_else(not_supervised)?;
            match sup.restart_child(&child_id).await {
                Ok(new) => {
                    tracing::info!(pid = %shown(id), new = %shown(new.id()), "restarted from the observer");
                    Ok(json!({
                        "restarted": shown(id),
                        "child_id": &*child_id,
                        "new": shown(new.id()),
                    }))
                }
                Err(StartError::NoSupervisor | StartError::NoChild(_)) => Err(no_such()),
                Err(e) => Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("the child did not start again: {e}"),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use actor_core::observe::Observed;
    use actor_core::{Ctx, Runtime, spawn};

    use super::*;

    /// Rows that do not fit the budget are left out, and the response
    /// says how many.
    #[test]
    fn rows_past_the_budget_are_cut_and_counted() {
        Runtime::tokio_current_thread().block_on(async {
            let pids: Vec<_> = (0..10)
                .map(|_| spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await }))
                .collect();
            let snap = Observed::current().snapshot();
            let all = Rows::select(&TableQuery::default(), &snap, usize::MAX).unwrap();
            assert_eq!(
                (all.rows.len(), all.selected),
                (snap.processes.len(), snap.processes.len())
            );
            let one = all.rows[0].0.len() + all.rows[0].1.len() + 8;
            let cut = Rows::select(&TableQuery::default(), &snap, 3 * one).unwrap();
            assert!(
                !cut.rows.is_empty() && cut.rows.len() < all.rows.len(),
                "{} of {}",
                cut.rows.len(),
                all.rows.len()
            );
            assert_eq!(cut.rows[..], all.rows[..cut.rows.len()]);
            let left_out = all.selected - cut.rows.len();
            let response = cut.into_response();
            assert_eq!(
                response.headers()["x-observer-left-out"],
                left_out.to_string().as_str()
            );
            assert!(
                !Rows::select(&TableQuery::default(), &snap, usize::MAX)
                    .unwrap()
                    .into_response()
                    .headers()
                    .contains_key("x-observer-left-out")
            );
            pids.iter().for_each(|p| p.kill());
        });
    }
}
