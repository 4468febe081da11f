//! The small runtime SQL Server connections live on, and the bridge that lets the
//! synchronous store API (`Tx`, `Reader`: projections and queries are plain functions)
//! wait for tiberius' async I/O.
//!
//! Why a runtime of its own: a projection calls `tx.upsert(…)` and expects the answer
//! before it returns, from whatever thread the caller gave it — a worker inside
//! `block_in_place`, a blocking-pool thread, or a current-thread test runtime run
//! inline. Waiting with the caller's own runtime would deadlock the last case (its
//! reactor is the thread that is waiting) and panic in the others (`block_on` inside a
//! runtime). Sockets registered with a separate runtime are driven by that runtime's
//! thread, so any thread can wait for them.

use std::future::Future;

use tokio::runtime::{Handle, Runtime};

use crate::store::DbError;

pub(crate) struct Io {
    /// Always `Some` until dropped; taken in `drop` to shut it down without blocking.
    runtime: Option<Runtime>,
    handle: Handle,
}

impl Io {
    /// One I/O thread: the work is waiting for a server, not computing.
    pub(crate) fn new() -> Result<Self, DbError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mssql-io")
            .enable_all()
            .build()
            .map_err(|e| {
                DbError::Database(format!("cannot start the SQL Server I/O thread: {e}"))
            })?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` to completion on the calling thread; sockets it opens belong to
    /// this runtime, whose thread drives them. Never call it from async code that
    /// must not block (the query API calls it from blocking-pool threads).
    pub(crate) fn wait<F: Future>(&self, future: F) -> F::Output {
        let _inside = self.handle.enter();
        // Unconstrained: a caller that is itself a tokio task (a current-thread runtime
        // running a projection inline) has a cooperative budget that would otherwise
        // run out inside this wait and spin, since its scheduler never gets to refill it.
        futures::executor::block_on(tokio::task::unconstrained(future))
    }
}

impl Drop for Io {
    fn drop(&mut self) {
        // Dropped from async code too (the last clone of a database handle), where a
        // blocking shutdown would panic: let the thread finish in the background.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// An echo round trip through a socket the I/O runtime owns.
    async fn echo(io: &Io) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        io.handle().spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = [0u8; 4];
                if socket.read_exact(&mut buffer).await.is_ok() {
                    let _ = socket.write_all(&buffer).await;
                }
            }
        });
        let mut client = TcpStream::connect(address).await.expect("connect");
        client.write_all(b"ping").await.expect("write");
        let mut answer = vec![0u8; 4];
        client.read_exact(&mut answer).await.expect("read");
        answer
    }

    #[test]
    fn a_plain_thread_waits_for_socket_io() {
        let io = Io::new().expect("runtime");
        assert_eq!(io.wait(echo(&io)), b"ping");
    }

    #[test]
    fn a_task_of_a_current_thread_runtime_waits_inline_without_deadlock() {
        let io = Io::new().expect("runtime");
        let caller = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("caller runtime");
        // The caller's reactor is blocked while it waits: only the I/O thread can
        // drive the socket, and many round trips exhaust any cooperative budget.
        let answers =
            caller.block_on(async { (0..200).filter(|_| io.wait(echo(&io)) == b"ping").count() });
        assert_eq!(answers, 200);
    }

    #[test]
    fn a_worker_inside_block_in_place_waits() {
        let io = std::sync::Arc::new(Io::new().expect("runtime"));
        let caller = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("caller runtime");
        let inner = io.clone();
        let answer = caller.block_on(async move {
            tokio::spawn(async move { tokio::task::block_in_place(|| inner.wait(echo(&inner))) })
                .await
                .expect("task")
        });
        assert_eq!(answer, b"ping");
    }

    #[test]
    fn dropping_it_inside_async_code_does_not_panic() {
        let io = Io::new().expect("runtime");
        let caller = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("caller runtime");
        caller.block_on(async move { drop(io) });
    }
}
