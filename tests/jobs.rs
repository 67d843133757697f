//! The durable job queue, driven directly: dedup keys, leases, retries.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use wecrm::{
    app::Runner,
    jobs::{status, JobCtx, JobError, JobHandler, JobKind, JobQueue, JobRegistry, NewJob, Schedule},
};

use crate::support::TestApp;
use entity::job;

/// Fails with a transient error until its `succeed_on` attempt.
struct Flaky;

impl JobKind for Flaky {
    const KIND: &'static str = "test.flaky";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for Flaky {
    type Kind = Self;
    async fn run(&self, ctx: &JobCtx, p: Value) -> Result<Value, JobError> {
        if i64::from(ctx.job.attempts) < p["succeed_on"].as_i64().unwrap() {
            return Err(JobError::Retry(anyhow::anyhow!("transient")));
        }
        ctx.progress(50, "half way").await.map_err(JobError::from_app)?;
        Ok(json!({"attempt": ctx.job.attempts}))
    }
}

fn queue(lease_secs: i64) -> Runner {
    let registry = JobRegistry::default().register(Flaky).schedule(Schedule {
        name: "tick",
        every: chrono::Duration::minutes(5),
        offset: chrono::Duration::zero(),
        kind: Flaky::KIND,
        payload: json!({"succeed_on": 1}),
    });
    Runner::new(registry, JobQueue::new(Default::default()), chrono::Duration::seconds(lease_secs), std::time::Duration::from_millis(50))
}

async fn reload(app: &TestApp, id: i64) -> job::Model {
    job::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap()
}

/// Makes a queued job due now (skipping its backoff).
async fn make_due(app: &TestApp, id: i64) {
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .exec(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_backoff_until_it_succeeds() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let q = queue(60);
    let j = q.queue().enqueue::<Flaky>(&app.state.db, NewJob::system(), &json!({"succeed_on": 3})).await.unwrap();
    assert!(q.run_once(&app.state).await.unwrap());
    let after1 = reload(&app, j.id).await;
    assert_eq!(after1.status, status::QUEUED);
    assert!(after1.run_at > Utc::now(), "backed off into the future");
    assert!(!q.run_once(&app.state).await.unwrap(), "not due during backoff");
    make_due(&app, j.id).await;
    q.run_once(&app.state).await.unwrap();
    make_due(&app, j.id).await;
    q.run_once(&app.state).await.unwrap();
    let done = reload(&app, j.id).await;
    assert_eq!(done.status, status::SUCCEEDED);
    assert_eq!(done.attempts, 3);
    assert_eq!(done.result.as_deref(), Some(r#"{"attempt":3}"#));
}

#[tokio::test]
async fn a_job_fails_for_good_after_its_last_attempt() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let q = queue(60);
    let j = q.queue().enqueue::<Flaky>(&app.state.db, NewJob::system().attempts(2), &json!({"succeed_on": 9})).await.unwrap();
    q.run_once(&app.state).await.unwrap();
    make_due(&app, j.id).await;
    q.run_once(&app.state).await.unwrap();
    let failed = reload(&app, j.id).await;
    assert_eq!(failed.status, status::FAILED);
    assert!(failed.finished_at.is_some());
    assert!(failed.last_error.unwrap().contains("INTERNAL"), "internal detail stays in the log");
}

#[tokio::test]
async fn a_crashed_workers_job_is_claimed_again_when_its_lease_expires() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let crashed = queue(60);
    let j = crashed.queue().enqueue::<Flaky>(&app.state.db, NewJob::system(), &json!({"succeed_on": 1})).await.unwrap();
    // Worker A claims and "dies" without finishing.
    let claimed = crashed.claim(&app.state.db).await.unwrap().unwrap();
    assert_eq!(claimed.id, j.id);
    let other = queue(60);
    assert!(!other.run_once(&app.state).await.unwrap(), "a live lease is respected");
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Some(Utc::now() - chrono::Duration::seconds(1)).into())
        .filter(job::Column::Id.eq(j.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert!(other.run_once(&app.state).await.unwrap());
    let done = reload(&app, j.id).await;
    assert_eq!(done.status, status::SUCCEEDED);
    assert_eq!(done.attempts, 2);
}

#[tokio::test]
async fn a_scheduled_firing_enqueues_one_job_however_many_instances_fire_it() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let (a, b) = (queue(60), queue(60));
    let now = Utc::now();
    a.fire_schedules(&app.state.db, now).await.unwrap();
    b.fire_schedules(&app.state.db, now).await.unwrap();
    a.fire_schedules(&app.state.db, now + chrono::Duration::seconds(1)).await.unwrap();
    let jobs = job::Entity::find().filter(job::Column::Kind.eq(Flaky::KIND)).all(&app.state.db).await.unwrap();
    assert_eq!(jobs.len(), 1);
    // The next slot is a new firing.
    a.fire_schedules(&app.state.db, now + chrono::Duration::minutes(5)).await.unwrap();
    let jobs = job::Entity::find().filter(job::Column::Kind.eq(Flaky::KIND)).all(&app.state.db).await.unwrap();
    assert_eq!(jobs.len(), 2);
}

#[tokio::test]
async fn concurrent_workers_never_run_the_same_job_twice() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let q = queue(60);
    for _ in 0..20 {
        q.queue().enqueue::<Flaky>(&app.state.db, NewJob::system(), &json!({"succeed_on": 1})).await.unwrap();
    }
    let mut handles = Vec::new();
    for _ in 0..4 {
        let (q, state) = (queue(60), app.state.clone());
        handles.push(tokio::spawn(async move {
            let mut n = 0;
            while q.run_once(&state).await.unwrap() {
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, 20);
    let jobs = job::Entity::find().filter(job::Column::Kind.eq(Flaky::KIND)).all(&app.state.db).await.unwrap();
    assert!(jobs.iter().all(|j| j.status == status::SUCCEEDED && j.attempts == 1));
    drop(q);
}

/// Panics on its first attempt, succeeds after.
struct Panicky;

impl JobKind for Panicky {
    const KIND: &'static str = "test.panicky";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for Panicky {
    type Kind = Self;
    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        if ctx.job.attempts == 1 {
            panic!("boom in a handler");
        }
        Ok(json!({"attempt": ctx.job.attempts}))
    }
}

#[tokio::test]
async fn a_panicking_job_is_one_failed_attempt_and_the_worker_lives_on() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    // A short lease: a heartbeat left running would renew it within 200 ms.
    let registry = JobRegistry::default().register(Panicky);
    let q = Runner::new(registry, JobQueue::new(Default::default()), chrono::Duration::seconds(1), std::time::Duration::from_millis(50));
    let j = q.queue().enqueue::<Panicky>(&app.state.db, NewJob::system(), &json!({})).await.unwrap();
    assert!(q.run_once(&app.state).await.unwrap(), "the panic did not escape the runner");
    let after = reload(&app, j.id).await;
    assert_eq!(after.status, status::QUEUED, "a failed attempt, retried with backoff");
    assert!(after.locked_until.is_none());
    assert!(!after.last_error.clone().unwrap().contains("boom"), "the panic text stays in the log");
    // No heartbeat is left renewing a lease.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(reload(&app, j.id).await.locked_until.is_none());
    make_due(&app, j.id).await;
    assert!(q.run_once(&app.state).await.unwrap());
    assert_eq!(reload(&app, j.id).await.status, status::SUCCEEDED);
}
