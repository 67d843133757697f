//! `AppState`: the infrastructure a request, a job or a resolver works with.
//! It knows no area: the GraphQL schema and the job registry sit above it in
//! `app`, which builds this state (`AppState::build`) and wires the rest.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    bus::Bus,
    clock::Clock,
    config::Config,
    crypto::MasterKey,
    db::{group_commit::GroupCommit, StatementCounter},
    integrations::{
        oa::OaClient,
        wecom::{callback_keys::CallbackKeys, WecomClient},
    },
    jobs::queue::JobQueue,
    kv::Kv,
    ports::{activity::Activity, archive_source::Source, deletion::DeletionGuards, file_store::Files, word_matcher::Matchers},
};

/// One heartbeat or reached-bottom to write: the visit as read (with its
/// share and material), the dwell seconds a heartbeat reaches (`None`: the
/// bottom), and when.
pub type RadarPageEvent =
    (entity::radar_visit::Model, entity::radar_share::Model, entity::marketing_material::Model, Option<i32>, chrono::DateTime<chrono::Utc>);

/// Where an open of a tracked link sends the viewer on to.
#[derive(Clone, Debug, PartialEq)]
pub enum RadarLanding {
    /// A web link's target or a marketing material's H5 page.
    Url(String),
    /// An uploaded file or video, through a fresh signed download link.
    File { corp_id: i64, file_id: i64 },
}

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Verified WeCom callbacks that arrive together, stored in one
    /// transaction (`true`: stored; `false`: a redelivery).
    pub inbox_commits: GroupCommit<entity::wecom_inbox::ActiveModel, bool>,
    /// Opens of tracked links that arrive together, recorded in one
    /// transaction (the answer: where to redirect, if the link is known).
    pub radar_opens: GroupCommit<(entity::radar_share::Model, chrono::DateTime<chrono::Utc>), Option<RadarLanding>>,
    /// Heartbeats and bottoms of marketing pages that arrive together,
    /// written in one transaction (the answer: whether a beat was credited).
    pub radar_page_events: GroupCommit<RadarPageEvent, bool>,
    pub config: Arc<Config>,
    pub kv: Kv,
    pub master_key: MasterKey,
    /// Where work is queued for the job workers.
    pub jobs: JobQueue,
    /// Vetoes on deleting an employee, from the areas that own their rows.
    pub deletion_guards: DeletionGuards,
    /// SQL statements run so far on `db` (tests and benchmarks read it).
    pub statements: StatementCounter,
    pub wecom: WecomClient,
    /// The Official Account API client.
    pub oa: OaClient,
    /// Each corp's callback crypto, cached.
    pub callback_keys: CallbackKeys,
    /// Where uploaded files' bytes live.
    pub files: Files,
    /// Where group activity metrics come from (GRP-3).
    pub activity: Activity,
    /// Alerts and session ends, to subscribers on every instance.
    pub bus: Bus,
    /// The time every deadline is read from (tests move it).
    pub clock: Clock,
    /// Each corp's sensitive-word automaton.
    pub sensitive: Matchers,
    /// Where archived chats are pulled from, when configured.
    pub archive_source: Option<Source>,
}
