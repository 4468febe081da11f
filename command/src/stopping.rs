//! Server streams that end when the service stops: tonic's graceful shutdown waits for
//! every open call, so a stream that would outlive it (a subscription that listens
//! forever, an export read by a slow client) ends as soon as stopping begins, and
//! SIGTERM stops the process within a bounded time.

use futures::{Stream, StreamExt};
use tokio::sync::watch;

/// Turns true when the service begins to stop. The default (no service to follow)
/// never does: streams then end only with their items or their client.
#[derive(Clone, Default)]
pub struct Stopping(Option<watch::Receiver<bool>>);

impl From<watch::Receiver<bool>> for Stopping {
    fn from(receiver: watch::Receiver<bool>) -> Self {
        Stopping(Some(receiver))
    }
}

impl Stopping {
    /// `stream`, ended when stopping begins (or the service is gone).
    pub fn bound<S: Stream + Send + 'static>(
        &self,
        stream: S,
    ) -> impl Stream<Item = S::Item> + Send + use<S> {
        let stopping = self.0.clone();
        stream.take_until(async move {
            match stopping {
                // A dropped sender (the service is gone) ends the stream too.
                Some(mut stopping) => drop(stopping.wait_for(|s| *s).await),
                None => std::future::pending().await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_bound_stream_that_would_never_end_ends_when_stopping_begins() {
        let (stop, stopping) = watch::channel(false);
        let stopping = Stopping::from(stopping);
        let mut endless = Box::pin(stopping.bound(futures::stream::repeat(1u8)));
        assert_eq!(endless.next().await, Some(1), "flows while running");

        stop.send_replace(true);

        let ended = tokio::time::timeout(Duration::from_secs(1), async {
            while endless.next().await.is_some() {}
        });
        assert!(ended.await.is_ok(), "ended once stopping began");
    }

    #[tokio::test]
    async fn a_stream_bound_to_no_service_ends_only_with_its_items() {
        let items = Stopping::default().bound(futures::stream::iter([1, 2, 3]));
        assert_eq!(items.collect::<Vec<_>>().await, [1, 2, 3]);
    }
}
