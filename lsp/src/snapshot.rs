//! Running an analysis off the async runtime: `spawn_blocking`, with salsa's cancellation (an
//! unwind raised when an edit arrives) turned into a value.

use std::panic::AssertUnwindSafe;

pub enum ReadError {
    /// A newer edit cancelled the read; retry on a new snapshot or answer `ContentModified`.
    Cancelled,
    /// The analysis panicked for another reason (a bug): log it, answer an internal error.
    Panicked(String),
}

/// Runs `job` on the blocking pool. The job owns its database snapshot, which is dropped when it
/// ends, so an edit waiting for snapshots to go never waits for an awaiting task.
pub async fn run_blocking<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ReadError> {
    let guarded = move || salsa::Cancelled::catch(AssertUnwindSafe(job));
    match tokio::task::spawn_blocking(guarded).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_cancelled)) => Err(ReadError::Cancelled),
        Err(join_error) => {
            let message = match join_error.try_into_panic() {
                Ok(payload) => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic".into()),
                Err(error) => error.to_string(),
            };
            Err(ReadError::Panicked(message))
        }
    }
}
