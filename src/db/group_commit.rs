//! Group commit: small writes of one kind that arrive together share one
//! transaction and one multi-row statement per table, so a burst pays one
//! commit (one fsync on SQLite, one WAL flush on PostgreSQL) and a few round
//! trips instead of a commit and several round trips per write.
//!
//! A caller hands over its item and awaits the answer; a committer takes
//! every item waiting at that moment (up to [`MAX_BATCH`]), writes them with
//! the batch writer in one transaction, commits, and only then answers each
//! caller. A caller that has its answer therefore knows its write is
//! durable. When the batch or its commit fails, it is rolled back and each
//! item is written again in a transaction of its own, so one bad item fails
//! alone. A lone item is not delayed: a committer never waits for company,
//! it takes what queued while the previous commit ran.

use std::{future::Future, pin::Pin, sync::Arc};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Items one transaction holds at most (bounds the time a commit keeps
/// SQLite's single writer and the size of a failed batch).
pub const MAX_BATCH: usize = 256;

/// Batches in flight at once on PostgreSQL: while one commits, the next is
/// written. Items of concurrent batches that touch the same unique key wait
/// for each other (or, rarely, deadlock: the batch then fails and each item
/// is written alone), as any two transactions would.
pub const PG_COMMITTERS: usize = 4;

/// What a batch writer returns: one output per item, in order.
pub type BatchFuture<'t, O> = Pin<Box<dyn Future<Output = Result<Vec<O>, DbErr>> + Send + 't>>;

/// Writes a batch of items inside the given transaction and answers one
/// output per item, in order.
pub type BatchWriter<I, O> = Arc<dyn for<'t> Fn(&'t DatabaseTransaction, &'t [I]) -> BatchFuture<'t, O> + Send + Sync>;

struct Pending<I, O> {
    item: I,
    answer: oneshot::Sender<Result<O, DbErr>>,
}

/// The handle writers submit to; cheap to clone. The committers end when
/// the last handle is dropped.
pub struct GroupCommit<I, O> {
    queue: mpsc::Sender<Pending<I, O>>,
}

impl<I, O> Clone for GroupCommit<I, O> {
    fn clone(&self) -> Self {
        GroupCommit { queue: self.queue.clone() }
    }
}

impl<I: Send + Sync + 'static, O: Send + 'static> GroupCommit<I, O> {
    /// Starts the committers over `db` (on the current tokio runtime): one
    /// on SQLite, whose single writer would only make a second one wait;
    /// [`PG_COMMITTERS`] on PostgreSQL.
    pub fn start(db: DatabaseConnection, writer: BatchWriter<I, O>) -> Self {
        let (queue, rx) = mpsc::channel(MAX_BATCH * 8);
        let committers = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => PG_COMMITTERS,
            _ => 1,
        };
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..committers {
            tokio::spawn(commit_loop(db.clone(), writer.clone(), rx.clone()));
        }
        GroupCommit { queue }
    }

    /// Writes `item` in a shared transaction and returns its output once that
    /// transaction has committed. An `Err` means nothing of `item` was
    /// stored: its own error, or the commit's.
    pub async fn run(&self, item: I) -> Result<O, DbErr> {
        let (answer, reply) = oneshot::channel();
        self.queue.send(Pending { item, answer }).await.map_err(|_| DbErr::Custom("group commit stopped".into()))?;
        reply.await.map_err(|_| DbErr::Custom("group commit dropped the write".into()))?
    }
}

async fn commit_loop<I, O>(db: DatabaseConnection, writer: BatchWriter<I, O>, rx: Arc<Mutex<mpsc::Receiver<Pending<I, O>>>>) {
    loop {
        // The queue is held only while a batch is taken, not while it commits.
        let batch = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            batch
        };
        commit_batch(&db, &writer, batch).await;
    }
}

async fn commit_batch<I, O>(db: &DatabaseConnection, writer: &BatchWriter<I, O>, batch: Vec<Pending<I, O>>) {
    let (items, answers): (Vec<I>, Vec<oneshot::Sender<Result<O, DbErr>>>) = batch.into_iter().map(|p| (p.item, p.answer)).unzip();
    if items.len() > 1 {
        match write_together(db, writer, &items).await {
            Ok(outputs) => {
                for (answer, output) in answers.into_iter().zip(outputs) {
                    let _ = answer.send(Ok(output));
                }
                return;
            }
            Err(e) => tracing::warn!(error = ?e, items = items.len(), "group commit failed; each item is written alone"),
        }
    }
    for (item, answer) in items.iter().zip(answers) {
        let _ = answer.send(
            write_together(db, writer, std::slice::from_ref(item))
                .await
                .and_then(|mut outputs| outputs.pop().ok_or_else(|| DbErr::Custom("batch writer answered nothing".into()))),
        );
    }
}

/// Writes `items` in one transaction; nothing of them is stored unless all succeed.
async fn write_together<I, O>(db: &DatabaseConnection, writer: &BatchWriter<I, O>, items: &[I]) -> Result<Vec<O>, DbErr> {
    let txn = super::write_txn(db).await?;
    let outputs = writer(&txn, items).await?;
    if outputs.len() != items.len() {
        return Err(DbErr::Custom(format!("batch writer answered {} of {} items", outputs.len(), items.len())));
    }
    txn.commit().await?;
    Ok(outputs)
}
