//! What the driver's errors mean to the store: a duplicate key on a named index, a
//! transient transaction conflict worth retrying, or the server being unavailable.

use mongodb::error::{
    Error, ErrorKind, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT, WriteFailure,
};

use crate::store::StoreError;

/// MongoDB's error code for a unique index violation.
pub(super) const DUPLICATE_KEY: i32 = 11000;

/// Which unique index refused a write, from the server's message
/// (`E11000 duplicate key error collection: db.events index: event_id dup key: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DuplicateKey {
    /// The collection name without its database.
    pub collection: String,
    pub index: String,
}

/// The duplicate key behind `error`, if that is what it is.
pub(super) fn duplicate_key(error: &Error) -> Option<DuplicateKey> {
    let message = match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == DUPLICATE_KEY => &e.message,
        ErrorKind::InsertMany(e) => {
            &e.write_errors
                .as_ref()?
                .iter()
                .find(|w| w.code == DUPLICATE_KEY)?
                .message
        }
        ErrorKind::Command(e) if e.code == DUPLICATE_KEY => &e.message,
        _ => return None,
    };
    parse_duplicate_key(message)
}

/// Parses the collection and index out of an E11000 message. Both MongoDB and
/// MongoDB-wire servers use this wording; an unrecognised message still counts as a
/// duplicate key, on an unknown index.
pub(super) fn parse_duplicate_key(message: &str) -> Option<DuplicateKey> {
    let word_after = |marker: &str| {
        let start = message.find(marker)? + marker.len();
        message[start..]
            .split_whitespace()
            .next()
            .map(str::to_owned)
    };
    let namespace = word_after("collection: ").unwrap_or_default();
    let collection = namespace
        .split_once('.')
        .map_or(namespace.as_str(), |(_, collection)| collection)
        .to_owned();
    let index = word_after("index: ").unwrap_or_default();
    Some(DuplicateKey { collection, index })
}

/// A conflict with a concurrent transaction: the whole transaction may be run again.
pub(super) fn is_transient(error: &Error) -> bool {
    error.contains_label(TRANSIENT_TRANSACTION_ERROR)
}

/// The commit may or may not have happened: only the commit may be retried.
pub(super) fn is_unknown_commit_result(error: &Error) -> bool {
    error.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)
}

/// Any other driver failure: the server or the network, never the caller's request.
pub(super) fn unavailable(context: &str, error: &Error) -> StoreError {
    StoreError::Unavailable(format!("{context}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_key_message_names_collection_and_index() {
        let parsed = parse_duplicate_key(
            "E11000 duplicate key error collection: pitlane.events index: stream_version \
             dup key: { stream_id: \"counter-a\", version: 1 }",
        );
        assert_eq!(
            parsed,
            Some(DuplicateKey {
                collection: "events".into(),
                index: "stream_version".into()
            })
        );
    }

    #[test]
    fn an_unfamiliar_duplicate_key_message_is_still_a_duplicate_key() {
        let parsed = parse_duplicate_key("duplicate key");
        assert_eq!(
            parsed,
            Some(DuplicateKey {
                collection: String::new(),
                index: String::new()
            })
        );
    }
}
