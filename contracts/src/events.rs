//! The public event schemas (DESIGN §1): what each event of the log carries, written
//! once, for every reader of the log — the query service's projections, the audit
//! tools, and Kafka consumers outside Pitlane.
//!
//! - One plain payload type per event type, in the module of its aggregate type
//!   ([`customer::Registered`], [`delivery::StatusChanged`], …): serde types of
//!   strings, UUIDs, RFC 3339 times and snake_case words, no behaviour.
//! - One enum per aggregate type ([`CustomerEvent`], …), tagged exactly as an
//!   envelope carries an event: `event_type` (e.g. `customer.registered.v1`) beside
//!   `payload`. Each event-type string is written once, in the enum's declaration
//!   ([`aggregate_events!`]); [`AggregateEvents::EVENT_TYPES`] lists them.
//! - A JSON Schema (draft 2020-12) per event type, generated from these types by
//!   `schemars` ([`schemas`]), committed under `contracts/schemas/` and served by the
//!   BFF under `/api/schemas/events/`.
//!
//! The command service keeps richer domain events (validated newtypes); a test per
//! aggregate proves each of its events encodes as its contract type and back. Reading
//! never rejects a field this code does not know (a newer producer may add optional
//! fields); a missing or mistyped field is a malformed event.

pub mod customer;
pub mod delivery;
pub mod driver;
pub mod resource_schedule;
pub mod route;
pub mod technician;
pub mod vehicle;
pub mod words;
pub mod workshop_planning;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::LazyLock;

pub use customer::CustomerEvent;
pub use delivery::DeliveryEvent;
pub use driver::DriverEvent;
pub use resource_schedule::ResourceScheduleEvent;
pub use route::RouteEvent;
pub use technician::TechnicianEvent;
pub use vehicle::VehicleEvent;
pub use words::Slot;
pub use workshop_planning::WorkshopPlanningEvent;

/// The events of one aggregate type, as the envelope carries them.
pub trait AggregateEvents:
    Serialize + DeserializeOwned + JsonSchema + Clone + std::fmt::Debug + PartialEq + Send + 'static
{
    /// The envelope's `aggregate_type` of these events, e.g. `customer`.
    const AGGREGATE_TYPE: &'static str;
    /// Every event type, in declaration order.
    const EVENT_TYPES: &'static [&'static str];

    fn event_type(&self) -> &'static str;

    /// The event an envelope's type and payload make; `Ok(None)` for an event type
    /// this code does not know (a newer producer), an error for a payload that does
    /// not have its type's shape. Reads `payload` in place (no copy).
    fn from_payload(event_type: &str, payload: &Value) -> Result<Option<Self>, serde_json::Error>;

    /// The envelope's `payload` of this event.
    fn payload(&self) -> Value;

    /// `(event_type, JSON Schema of its payload)` for every event type, each schema
    /// standing alone (its own `$defs`).
    fn payload_schemas(settings: &SchemaSettings) -> Vec<(&'static str, Schema)>;
}

/// Declares an aggregate type's event enum: each line names the event type once, the
/// variant and its payload type. The enum gets serde's adjacent tagging (`event_type`,
/// `payload`) and an [`AggregateEvents`] implementation.
macro_rules! aggregate_events {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $aggregate:literal {
            $( $(#[$variant_meta:meta])* $event_type:literal => $variant:ident($payload:ty), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(tag = "event_type", content = "payload")]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $event_type)] $variant($payload), )+
        }

        impl $crate::events::AggregateEvents for $name {
            const AGGREGATE_TYPE: &'static str = $aggregate;
            const EVENT_TYPES: &'static [&'static str] = &[$($event_type),+];

            fn event_type(&self) -> &'static str {
                match self {
                    $( $name::$variant(_) => $event_type, )+
                }
            }

            fn from_payload(
                event_type: &str,
                payload: &serde_json::Value,
            ) -> Result<Option<Self>, serde_json::Error> {
                use serde::Deserialize as _;
                Ok(Some(match event_type {
                    $( $event_type => $name::$variant(<$payload>::deserialize(payload)?), )+
                    _ => return Ok(None),
                }))
            }

            fn payload(&self) -> serde_json::Value {
                let payload = match self {
                    $( $name::$variant(payload) => serde_json::to_value(payload), )+
                };
                // Plain structs of strings, numbers and words always serialise.
                payload.unwrap_or_default()
            }

            fn payload_schemas(
                settings: &schemars::generate::SchemaSettings,
            ) -> Vec<(&'static str, schemars::Schema)> {
                vec![$(
                    ($event_type, settings.clone().into_generator().into_root_schema_for::<$payload>()),
                )+]
            }
        }
    };
}
pub(crate) use aggregate_events;

/// The JSON Schema of every event type's payload, by event type (sorted), each titled
/// with its event type and naming its aggregate type. Generated once per process.
pub fn schemas() -> &'static [(&'static str, Value)] {
    static SCHEMAS: LazyLock<Vec<(&'static str, Value)>> = LazyLock::new(generate);
    &SCHEMAS
}

fn generate() -> Vec<(&'static str, Value)> {
    let settings = SchemaSettings::draft2020_12();
    let mut all = Vec::new();
    all.extend(titled::<CustomerEvent>(&settings));
    all.extend(titled::<DriverEvent>(&settings));
    all.extend(titled::<VehicleEvent>(&settings));
    all.extend(titled::<ResourceScheduleEvent>(&settings));
    all.extend(titled::<TechnicianEvent>(&settings));
    all.extend(titled::<WorkshopPlanningEvent>(&settings));
    all.extend(titled::<RouteEvent>(&settings));
    all.extend(titled::<DeliveryEvent>(&settings));
    all.sort_by_key(|(event_type, _)| *event_type);
    all
}

fn titled<E: AggregateEvents>(settings: &SchemaSettings) -> Vec<(&'static str, Value)> {
    E::payload_schemas(settings)
        .into_iter()
        .map(|(event_type, schema)| {
            let mut schema = schema.to_value();
            if let Some(object) = schema.as_object_mut() {
                object.insert("title".into(), event_type.into());
                object.insert("x-aggregate-type".into(), E::AGGREGATE_TYPE.into());
            }
            (event_type, sorted(schema))
        })
        .collect()
}

/// `value` with every object's keys in sorted order, whether or not serde_json
/// preserves insertion order (a feature another crate of the build may switch on), so
/// a schema's text is the same in every build.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The schema of one event type's payload.
pub fn schema(event_type: &str) -> Option<&'static Value> {
    schemas()
        .iter()
        .find(|(t, _)| *t == event_type)
        .map(|(_, schema)| schema)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn schemas_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
    }

    #[test]
    fn every_event_type_is_unique_and_spelled_aggregate_dot_event_dot_version() {
        let types: Vec<&str> = schemas().iter().map(|(t, _)| *t).collect();
        let unique: BTreeSet<&str> = types.iter().copied().collect();
        assert_eq!(unique.len(), types.len(), "{types:?}");
        for event_type in types {
            let parts: Vec<&str> = event_type.split('.').collect();
            let word =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            assert!(
                parts.len() == 3
                    && word(parts[0])
                    && word(parts[1])
                    && parts[2]
                        .strip_prefix('v')
                        .is_some_and(|v| v.parse::<u32>().is_ok()),
                "{event_type}"
            );
        }
    }

    /// `UPDATE_SCHEMAS=1 cargo test -p contracts` rewrites `contracts/schemas/` after a
    /// change to an event type; the diff then shows what consumers will see change.
    #[test]
    fn the_committed_schemas_are_the_ones_the_types_generate() {
        let dir = schemas_dir();
        let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
        let mut expected_files = BTreeSet::new();
        for (event_type, schema) in schemas() {
            let file = format!("{event_type}.json");
            let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            let path = dir.join(&file);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == text,
                "{} differs from the schema {event_type} generates; run \
                 `UPDATE_SCHEMAS=1 cargo test -p contracts` and commit the change",
                path.display()
            );
            expected_files.insert(file);
        }
        let committed_files: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            committed_files, expected_files,
            "a schema of no event type is committed"
        );
    }

    #[test]
    fn an_event_reads_from_its_envelope_type_and_payload_and_gives_them_back() {
        let payload = json!({ "driver_id": "018f0000-0000-7000-8000-0000000000d1" });

        let event = DriverEvent::from_payload("driver.suspended.v1", &payload)
            .unwrap()
            .unwrap();

        assert_eq!(event.event_type(), "driver.suspended.v1");
        assert_eq!(event.payload(), payload);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({ "event_type": "driver.suspended.v1", "payload": payload })
        );
    }

    #[test]
    fn an_unknown_event_type_is_none_and_a_payload_of_the_wrong_shape_an_error() {
        let payload = json!({ "driver_id": "018f0000-0000-7000-8000-0000000000d1" });
        assert!(matches!(
            DriverEvent::from_payload("driver.retired.v1", &payload),
            Ok(None)
        ));

        let error = DriverEvent::from_payload("driver.updated.v1", &payload).unwrap_err();
        assert!(
            error.to_string().contains("missing field `name`"),
            "{error}"
        );
    }

    #[test]
    fn fields_a_newer_producer_adds_are_tolerated() {
        let payload = json!({ "route_id": "018f0000-0000-7000-8000-0000000000a1", "by": "x" });
        assert!(matches!(
            RouteEvent::from_payload("route.activated.v1", &payload),
            Ok(Some(RouteEvent::Activated(_)))
        ));
    }

    #[test]
    fn personal_data_is_null_once_erased_but_never_missing() {
        let id = "018f0000-0000-7000-8000-0000000000c1";
        let erased = json!({ "customer_id": id, "personal_data": null });
        let Ok(Some(CustomerEvent::Registered(registered))) =
            CustomerEvent::from_payload("customer.registered.v1", &erased)
        else {
            panic!("an erased registration reads");
        };
        assert_eq!(registered.personal_data, None);

        let missing = json!({ "customer_id": id });
        assert!(CustomerEvent::from_payload("customer.registered.v1", &missing).is_err());
    }

    #[test]
    fn the_personal_data_schema_admits_the_clear_the_sealed_and_the_erased_form() {
        let schema = schema("customer.contact_updated.v1").unwrap();
        assert!(
            schema["required"]
                .as_array()
                .unwrap()
                .contains(&json!("personal_data"))
        );
        assert_eq!(
            schema["properties"]["personal_data"]["$ref"],
            "#/$defs/Personal"
        );
        let forms = schema["$defs"]["Personal"]["anyOf"].to_string();
        for form in ["PersonalData", "Sealed", r#"{"type":"null"}"#] {
            assert!(forms.contains(form), "{form} missing from {forms}");
        }
        assert_eq!(schema["title"], "customer.contact_updated.v1");
        assert_eq!(schema["x-aggregate-type"], "customer");
    }
}
