//! Running an analysis off the async runtime, on the server's one analysis thread, with salsa's
//! cancellation (an unwind raised when an edit arrives) turned into a value.
//!
//! Every analysis (diagnostics and requests) runs on the same long-lived thread, one after the
//! other, and fans out to rayon's pool where it is parallel. One thread instead of tokio's
//! blocking pool keeps the memory the allocator holds for freed blocks in one thread's heap,
//! where the next analysis reuses it, instead of one heap per blocking thread that an analysis
//! happened to land on (docs/editors.md, "Memory").

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

pub enum ReadError {
    /// A newer edit cancelled the read; retry on a new snapshot or answer `ContentModified`.
    Cancelled,
    /// The analysis panicked for another reason (a bug): log it, answer an internal error.
    Panicked(String),
}

type Job = Box<dyn FnOnce() + Send>;

/// The sender of the analysis thread's queue, which starts on first use.
fn analysis_queue() -> Option<&'static Sender<Job>> {
    static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (sender, jobs) = channel::<Job>();
            std::thread::Builder::new()
                .name("infrac-analysis".into())
                .stack_size(infrac_emit::analysis::ANALYSIS_STACK)
                .spawn(move || {
                    for job in jobs {
                        job();
                    }
                })
                .ok()
                .map(|_| sender)
        })
        .as_ref()
}

/// The message of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

/// Runs `job` on the analysis thread. The job owns its database snapshot, which is dropped when
/// it ends, so an edit waiting for snapshots to go never waits for an awaiting task; a job still
/// in the queue when an edit arrives is cancelled at its first query, once the jobs before it
/// have given up theirs.
pub async fn run_blocking<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ReadError> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let guarded: Job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(|| {
            salsa::Cancelled::catch(AssertUnwindSafe(job))
        }));
        let result = match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_cancelled)) => Err(ReadError::Cancelled),
            Err(payload) => Err(ReadError::Panicked(panic_message(payload.as_ref()))),
        };
        // The requester may have gone (its request was dropped); the result goes with it.
        let _ = answer.send(result);
    });
    let Some(queue) = analysis_queue() else {
        return Err(ReadError::Panicked(
            "the analysis thread did not start".into(),
        ));
    };
    if queue.send(guarded).is_err() {
        return Err(ReadError::Panicked("the analysis thread stopped".into()));
    }
    answered
        .await
        .unwrap_or_else(|_| Err(ReadError::Panicked("the analysis thread stopped".into())))
}
