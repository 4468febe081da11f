//! The position counter: one document holding the last position handed out.
//!
//! Every append increments it **inside its transaction, as its first write**. MongoDB
//! lets only one open transaction write a document; any other that tries gets a
//! `WriteConflict` (a transient error, retried), and so does one whose snapshot predates
//! the last committed increment. So an append can take positions only after every
//! earlier append has committed or been aborted: positions commit in order, and an
//! aborted append's increment is rolled back with it, leaving no hole. That is the whole
//! answer to the gap problem (docs/adr/011-mongo-global-position.md).

use mongodb::bson::{Document, doc};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};

use super::documents::integer;

/// The counter document's `_id` in the `counters` collection.
pub const ID: &str = "position";

/// The committed counter value (read with the collection's majority read concern); `None` when the
/// counter was never created.
pub(super) async fn read(
    counters: &Collection<Document>,
) -> Result<Option<u64>, mongodb::error::Error> {
    let document = counters.find_one(doc! { "_id": ID }).await?;
    Ok(document.and_then(|d| value(&d)))
}

/// The counter's value in a counter document (or a change stream's copy of one).
pub(super) fn value(document: &Document) -> Option<u64> {
    integer(document.get("value")).map(|v| v.max(0) as u64)
}

/// Takes `count` positions in the session's transaction and returns the first. Until
/// the transaction ends, every other append waits (retrying) behind this one.
pub(super) async fn take(
    counters: &Collection<Document>,
    session: &mut ClientSession,
    count: u64,
) -> Result<Option<u64>, mongodb::error::Error> {
    let updated = counters
        .find_one_and_update(
            doc! { "_id": ID },
            doc! { "$inc": { "value": count as i64 } },
        )
        .return_document(ReturnDocument::After)
        .session(session)
        .await?;
    Ok(updated.and_then(|d| value(&d)).map(|last| last + 1 - count))
}
