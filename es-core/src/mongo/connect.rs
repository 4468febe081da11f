//! Connecting: a client for the URL, retried with backoff for a bounded time, a check
//! that the deployment can run transactions, and the collections' indexes and position
//! counter. Every message names the URL with its password masked.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use mongodb::bson::{Document, doc};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Database, IndexModel};

use super::errors::{DUPLICATE_KEY, duplicate_key};
use super::{Collections, counter};
use crate::store::StoreError;

/// How long one server selection may take before an operation fails as unavailable,
/// unless the URL says otherwise (`serverSelectionTimeoutMS`). The driver's 30 s default
/// would make every append during an outage hang for half a minute.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The parts of a URL's user information, if it has any.
struct Credentials<'a> {
    scheme: &'a str,
    user: &'a str,
    password: Option<&'a str>,
    /// Hosts, path and options: everything after the `@`.
    rest: &'a str,
}

fn credentials(url: &str) -> Option<Credentials<'_>> {
    let (scheme, after_scheme) = url.split_once("://")?;
    // The user information ends at the last `@` before the path or the options.
    let authority_end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
    let at = after_scheme[..authority_end].rfind('@')?;
    let (user_info, rest) = (&after_scheme[..at], &after_scheme[at + 1..]);
    let (user, password) = match user_info.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (user_info, None),
    };
    Some(Credentials {
        scheme,
        user,
        password,
        rest,
    })
}

/// The database a MongoDB URL names in its path (`mongodb://host/DATABASE?…`), or
/// `pitlane`. The URL's password never appears in the error.
pub fn database_of(url: &str) -> Result<String, String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let Some((hosts, path)) = after_scheme.split_once('/') else {
        return Ok("pitlane".into());
    };
    if hosts.rsplit('@').next().is_none_or(str::is_empty) {
        return Err("the MongoDB URL names no host".into());
    }
    let database = path.split('?').next().unwrap_or_default();
    if database.is_empty() {
        return Ok("pitlane".into());
    }
    if database.contains(['/', '\\', '.', ' ', '"', '$']) {
        return Err(format!(
            "`{database}` is not a MongoDB database name (no / \\ . space \" or $)"
        ));
    }
    Ok(database.to_owned())
}

/// The URL as it may appear in messages and logs: any password replaced by `***`.
pub(super) fn redact(url: &str) -> String {
    match credentials(url) {
        Some(c) if c.password.is_some() => format!("{}://{}:***@{}", c.scheme, c.user, c.rest),
        _ => url.to_owned(),
    }
}

/// `message` with the URL's password masked wherever the message quotes the URL or its
/// user information back (driver messages may). Only those forms are replaced: a short
/// password replaced everywhere would mangle ordinary words.
pub(super) fn scrub(message: String, url: &str) -> String {
    let message = message.replace(url, &redact(url));
    match credentials(url)
        .and_then(|c| c.password)
        .filter(|p| !p.is_empty())
    {
        Some(password) => message.replace(&format!(":{password}@"), ":***@"),
        None => message,
    }
}

/// Connects and prepares the database, retrying failures until `deadline` has passed;
/// the error then names the URL (masked) and the last failure.
pub(super) async fn connect(
    url: &str,
    database: &str,
    deadline: Duration,
) -> Result<(Client, Database, u64), StoreError> {
    let failed = |reason: String| {
        StoreError::Unavailable(scrub(
            format!("cannot use MongoDB at {}: {reason}", redact(url)),
            url,
        ))
    };
    let client = client(url).await.map_err(&failed)?;
    let db = client.database(database);
    let attempt = || async { prepare(&db).await };
    let mut last_error = None;
    let retried = attempt
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(2))
                .with_jitter()
                .without_max_times(),
        )
        .notify(|error, delay| {
            tracing::warn!(%error, ?delay, "MongoDB event store not ready; retrying");
            last_error = Some(error.to_string());
        });
    let last = match tokio::time::timeout(deadline, retried).await {
        Ok(Ok(last)) => last,
        Ok(Err(error)) => return Err(failed(error.to_string())),
        Err(_) => {
            let last_error = last_error.unwrap_or_else(|| "no answer".to_owned());
            return Err(failed(format!(
                "still failing after {deadline:?} of retries (is the server running and \
                 reachable?): {last_error}"
            )));
        }
    };
    require_transactions(&db).await.map_err(failed)?;
    Ok((client, db, last))
}

async fn client(url: &str) -> Result<Client, String> {
    let mut options = ClientOptions::parse(url)
        .await
        .map_err(|e| format!("invalid URL: {e}"))?;
    options
        .server_selection_timeout
        .get_or_insert(SERVER_SELECTION_TIMEOUT);
    options
        .app_name
        .get_or_insert_with(|| "pitlane-event-store".to_owned());
    Client::with_options(options).map_err(|e| e.to_string())
}

/// One connection attempt: ping, indexes, the position counter. Returns the last
/// committed position. Every step is idempotent, so a retry after a partial attempt and
/// several processes starting at once are both fine.
async fn prepare(db: &Database) -> Result<u64, mongodb::error::Error> {
    db.run_command(doc! { "ping": 1 }).await?;
    let collections = Collections::of(db);
    let unique = |name: &str| {
        IndexOptions::builder()
            .unique(true)
            .name(name.to_owned())
            .build()
    };
    collections
        .events
        .create_indexes([
            IndexModel::builder()
                .keys(doc! { "stream_id": 1, "version": 1 })
                .options(unique(super::STREAM_VERSION_INDEX))
                .build(),
            IndexModel::builder()
                .keys(doc! { "event_id": 1 })
                .options(unique(super::EVENT_ID_INDEX))
                .build(),
        ])
        .await?;
    // The collections a transaction writes must exist before it starts: creating one
    // inside a transaction is refused by older servers.
    for name in [super::SNAPSHOTS, super::IDEMPOTENCY] {
        if let Err(error) = db.create_collection(name).await
            && !is_already_exists(&error)
        {
            return Err(error);
        }
    }
    ensure_counter(&collections).await
}

/// Creates the position counter if it is missing, starting it at the last stored
/// position (a counter lost by hand must not hand out positions already used).
async fn ensure_counter(collections: &Collections) -> Result<u64, mongodb::error::Error> {
    if let Some(value) = counter::read(&collections.counters).await? {
        return Ok(value);
    }
    let last: Option<Document> = collections
        .events
        .find_one(doc! {})
        .sort(doc! { "_id": -1 })
        .projection(doc! { "_id": 1 })
        .await?;
    let last = last
        .and_then(|d| super::documents::integer(d.get("_id")))
        .unwrap_or(0);
    let inserted = collections
        .counters
        .insert_one(doc! { "_id": counter::ID, "value": last })
        .await;
    match inserted {
        Ok(_) => Ok(last.max(0) as u64),
        // Another process created it first: use theirs.
        Err(error) if duplicate_key(&error).is_some() => {
            Ok(counter::read(&collections.counters).await?.unwrap_or(0))
        }
        Err(error) => Err(error),
    }
}

fn is_already_exists(error: &mongodb::error::Error) -> bool {
    const NAMESPACE_EXISTS: i32 = 48;
    matches!(error.kind.as_ref(), mongodb::error::ErrorKind::Command(e)
        if e.code == NAMESPACE_EXISTS || e.code == DUPLICATE_KEY)
}

/// Appends need multi-document transactions, which a standalone `mongod` refuses: say
/// so at start-up rather than on the first command.
async fn require_transactions(db: &Database) -> Result<(), String> {
    let hello = db
        .run_command(doc! { "hello": 1 })
        .await
        .map_err(|e| e.to_string())?;
    let replica_set = hello.get_str("setName").is_ok();
    let router = hello.get_str("msg").is_ok_and(|msg| msg == "isdbgrid");
    if replica_set || router {
        Ok(())
    } else {
        Err(
            "the server is a standalone mongod; the event store needs transactions, \
             so run it as a replica set (a single node is enough: `--replSet rs0` and \
             `rs.initiate()`)"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_masked_and_everything_else_kept() {
        assert_eq!(
            redact("mongodb://pitlane:s3cr@t@db1:27017,db2/events?replicaSet=rs0"),
            "mongodb://pitlane:***@db1:27017,db2/events?replicaSet=rs0"
        );
        assert_eq!(
            redact("mongodb+srv://user@cluster.example/"),
            "mongodb+srv://user@cluster.example/"
        );
        assert_eq!(
            redact("mongodb://127.0.0.1:27018"),
            "mongodb://127.0.0.1:27018"
        );
    }

    #[test]
    fn a_driver_message_quoting_the_url_or_its_credentials_is_scrubbed() {
        let url = "mongodb://pitlane:p@db:27017";
        assert_eq!(
            scrub(format!("cannot parse {url}: bad option"), url),
            "cannot parse mongodb://pitlane:***@db:27017: bad option"
        );
        assert_eq!(
            scrub("credentials pitlane:p@db were refused".into(), url),
            "credentials pitlane:***@db were refused"
        );
        assert_eq!(
            scrub("an invalid argument was provided".into(), url),
            "an invalid argument was provided",
            "ordinary words containing the password are left alone"
        );
    }
}
