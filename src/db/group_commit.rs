//! Group commit: small writes that arrive together share one transaction,
//! so a burst pays one commit (one fsync on SQLite, one WAL flush on
//! PostgreSQL) instead of one per write.
//!
//! A caller hands over its write and awaits the answer; the committer takes
//! every write waiting at that moment (up to [`MAX_BATCH`]), runs them in
//! one transaction, commits, and only then answers each caller. A caller
//! that has its answer therefore knows its write is durable. When a write
//! or the commit fails, the batch is rolled back and each write runs again
//! in a transaction of its own, so one bad write fails alone (a write is
//! `Fn` for that reason). A lone write is not delayed: the committer never
//! waits for company, it takes what queued while the previous commit ran.
//!
//! No savepoint per write: on PostgreSQL they doubled the round trips of a
//! batch, and the retry alone gives the same isolation.

use std::{any::Any, future::Future, pin::Pin};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use tokio::sync::{mpsc, oneshot};

/// Writes one transaction holds at most (bounds the time a commit keeps
/// SQLite's single writer and the size of a failed batch).
pub const MAX_BATCH: usize = 256;

type Output = Box<dyn Any + Send>;
type Write = Box<dyn for<'t> Fn(&'t DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<Output, DbErr>> + Send + 't>> + Send + Sync>;

struct Pending {
    write: Write,
    answer: oneshot::Sender<Result<Output, DbErr>>,
}

/// The handle writers submit to; cheap to clone. The committer task ends
/// when the last handle is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Pending>,
}

impl GroupCommit {
    /// Starts the committer over `db` (on the current tokio runtime).
    pub fn start(db: DatabaseConnection) -> GroupCommit {
        let (queue, rx) = mpsc::channel(MAX_BATCH * 8);
        tokio::spawn(commit_loop(db, rx));
        GroupCommit { queue }
    }

    /// Runs `write` inside a shared transaction and returns its result once
    /// that transaction has committed. An `Err` means nothing `write` did was
    /// stored: its own error, or the commit's.
    pub async fn run<T, F>(&self, write: F) -> Result<T, DbErr>
    where
        T: Send + 'static,
        F: for<'t> Fn(&'t DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, DbErr>> + Send + 't>> + Send + Sync + 'static,
    {
        let (answer, reply) = oneshot::channel();
        let write: Write = Box::new(move |txn| {
            let fut = write(txn);
            Box::pin(async move { fut.await.map(|t| Box::new(t) as Output) })
        });
        self.queue.send(Pending { write, answer }).await.map_err(|_| DbErr::Custom("group commit stopped".into()))?;
        let out = reply.await.map_err(|_| DbErr::Custom("group commit dropped the write".into()))??;
        out.downcast::<T>().map(|b| *b).map_err(|_| DbErr::Custom("group commit answered the wrong type".into()))
    }
}

async fn commit_loop(db: DatabaseConnection, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        commit_batch(&db, batch).await;
    }
}

async fn commit_batch(db: &DatabaseConnection, batch: Vec<Pending>) {
    if batch.len() > 1 {
        let writes: Vec<&Write> = batch.iter().map(|p| &p.write).collect();
        match run_together(db, &writes).await {
            Ok(results) => {
                for (p, result) in batch.into_iter().zip(results) {
                    let _ = p.answer.send(Ok(result));
                }
                return;
            }
            Err(e) => tracing::warn!(error = ?e, writes = batch.len(), "group commit failed; each write runs alone"),
        }
    }
    for Pending { write, answer } in batch {
        let _ = answer.send(run_together(db, &[&write]).await.map(|mut results| results.remove(0)));
    }
}

/// Runs `writes` in one transaction; nothing of them is stored unless all succeed.
async fn run_together(db: &DatabaseConnection, writes: &[&Write]) -> Result<Vec<Output>, DbErr> {
    let txn = super::write_txn(db).await?;
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
        results.push(write(&txn).await?);
    }
    txn.commit().await?;
    Ok(results)
}
