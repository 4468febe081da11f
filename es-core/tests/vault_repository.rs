//! The repository with a vault (ADR 010): personal data sealed on append, opened on
//! load, `null` once the subject is erased — with the log and its chain untouched.

use std::sync::Arc;

use es_core::envelope::now;
use es_core::vault::has_sealed_personal_data;
use es_core::{
    Aggregate, AppendRequest, DomainEvent, EventMetadata, EventStore, ExpectedVersion,
    InMemoryEventStore, ProposedEvent, Repository, RepositoryError, SnapshotPolicy, Upcasters,
    Vault,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A club member: a name that is personal data, a number of visits that is not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Member {
    name: Option<String>,
    visits: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Personal {
    name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
enum MemberEvent {
    /// Schema 2 renamed `personal_data.full_name` to `personal_data.name`.
    #[serde(rename = "member.joined.v1")]
    Joined { personal_data: Option<Personal> },
    #[serde(rename = "member.visited.v1")]
    Visited { count: u64 },
}

impl DomainEvent for MemberEvent {
    fn schema_version(&self) -> u32 {
        match self {
            MemberEvent::Joined { .. } => 2,
            MemberEvent::Visited { .. } => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum MemberCommand {
    Join(String),
    Visit,
}

impl Aggregate for Member {
    const TYPE: &'static str = "member";
    const HOLDS_PERSONAL_DATA: bool = true;

    type Command = MemberCommand;
    type Event = MemberEvent;
    type Error = std::convert::Infallible;

    fn handle(&self, command: MemberCommand) -> Result<Vec<MemberEvent>, Self::Error> {
        Ok(vec![match command {
            MemberCommand::Join(name) => MemberEvent::Joined {
                personal_data: Some(Personal { name }),
            },
            MemberCommand::Visit => MemberEvent::Visited {
                count: self.visits + 1,
            },
        }])
    }

    fn apply(&mut self, event: &MemberEvent) {
        match event {
            MemberEvent::Joined { personal_data } => {
                self.name = personal_data.as_ref().map(|p| p.name.clone())
            }
            MemberEvent::Visited { count } => self.visits = *count,
        }
    }
}

struct Club {
    store: Arc<dyn EventStore>,
    vault: Arc<Vault>,
    members: Repository<Member>,
}

fn club() -> Club {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    let vault = Arc::new(Vault::in_memory());
    let members = Repository::<Member>::new(store.clone())
        .with_vault(vault.clone())
        .with_snapshots(SnapshotPolicy::every(1));
    Club {
        store,
        vault,
        members,
    }
}

async fn join_and_visit(club: &Club) {
    let metadata = EventMetadata::system();
    let join = MemberCommand::Join("Ada Lovelace".into());
    club.members.execute("m-1", join, &metadata).await.unwrap();
    let visit = MemberCommand::Visit;
    club.members.execute("m-1", visit, &metadata).await.unwrap();
}

#[tokio::test]
async fn the_repository_seals_personal_data_before_the_append_and_opens_it_on_load() {
    let club = club();
    join_and_visit(&club).await;

    let stored = club.store.read_stream("member-m-1", 1, 10).await.unwrap();
    assert!(has_sealed_personal_data(&stored[0].payload));
    assert_eq!(stored[0].payload["personal_data"]["subject"], "member-m-1");
    assert!(!stored[0].payload.to_string().contains("Lovelace"));
    assert_eq!(
        stored[1].payload,
        json!({"count": 1}),
        "nothing else is sealed"
    );

    let loaded = club.members.load("m-1").await.unwrap();
    assert_eq!(loaded.state.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(loaded.state.visits, 1);
}

#[tokio::test]
async fn after_the_subject_is_erased_the_stream_loads_without_its_personal_data() {
    let club = club();
    join_and_visit(&club).await;
    let before = club.store.read_stream("member-m-1", 1, 10).await.unwrap();

    club.vault.erase("member-m-1").await.unwrap();

    // Loading checks every event against the chain before opening it: it still passes.
    let loaded = club.members.load("m-1").await.unwrap();
    assert_eq!(loaded.state.name, None);
    assert_eq!((loaded.state.visits, loaded.version), (1, 2));
    let after = club.store.read_stream("member-m-1", 1, 10).await.unwrap();
    assert_eq!(after, before, "the log is not rewritten");
}

#[tokio::test]
async fn an_aggregate_holding_personal_data_is_never_snapshotted() {
    let club = club();
    join_and_visit(&club).await;
    assert_eq!(club.members.take_snapshot("m-1").await.unwrap(), 2);
    assert!(
        club.store
            .load_snapshot("member-m-1")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn upcasters_see_personal_data_opened_or_null_once_erased() {
    let club = club();
    // An old schema-1 event, sealed as the repository of its day sealed it.
    let mut payload = json!({"personal_data": {"full_name": "Ada Lovelace"}});
    club.vault
        .seal_payload("member-m-1", &mut payload)
        .await
        .unwrap();
    club.store
        .append(AppendRequest {
            aggregate_type: "member".into(),
            aggregate_id: "m-1".into(),
            expected: ExpectedVersion::Exact(0),
            events: vec![ProposedEvent::new("member.joined.v1", 1, payload, now())],
            metadata: EventMetadata::system(),
            idempotency: None,
        })
        .await
        .unwrap();
    let upcasters = Upcasters::new().register("member.joined.v1", 1, |mut payload| {
        if let Some(name) = payload["personal_data"]
            .as_object_mut()
            .and_then(|p| p.remove("full_name"))
        {
            payload["personal_data"] = json!({ "name": name });
        }
        Ok(payload)
    });
    let members = club.members.clone().with_upcasters(Arc::new(upcasters));

    let loaded = members.load("m-1").await.unwrap();
    assert_eq!(loaded.state.name.as_deref(), Some("Ada Lovelace"));
    club.vault.erase("member-m-1").await.unwrap();
    assert_eq!(members.load("m-1").await.unwrap().state.name, None);
}

#[tokio::test]
async fn without_a_vault_sealed_personal_data_does_not_decode() {
    let club = club();
    join_and_visit(&club).await;
    let blind = Repository::<Member>::new(club.store.clone());
    let error = blind.load("m-1").await.unwrap_err();
    assert!(
        matches!(error, RepositoryError::Codec { version: 1, .. }),
        "{error}"
    );
}
