//! The statuses of the deliveries context as the read models store them (snake_case
//! text, as the events carry them) and as the query API answers them (proto enums).

use chrono::{DateTime, Utc};
pub use contracts::events::delivery::DeliveryStatus;
use contracts::v1;

use crate::api::QueryError;
use crate::store::DbError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteStatus {
    Planning,
    Active,
    Completed,
    Cancelled,
}

impl RouteStatus {
    const ALL: [RouteStatus; 4] = [
        RouteStatus::Planning,
        RouteStatus::Active,
        RouteStatus::Completed,
        RouteStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RouteStatus::Planning => "planning",
            RouteStatus::Active => "active",
            RouteStatus::Completed => "completed",
            RouteStatus::Cancelled => "cancelled",
        }
    }

    pub fn to_proto(self) -> v1::RouteStatus {
        match self {
            RouteStatus::Planning => v1::RouteStatus::Planning,
            RouteStatus::Active => v1::RouteStatus::Active,
            RouteStatus::Completed => v1::RouteStatus::Completed,
            RouteStatus::Cancelled => v1::RouteStatus::Cancelled,
        }
    }

    /// A stored status back as the proto enum; anything else is a corrupt row.
    pub fn proto_of_stored(table: &'static str, stored: &str) -> Result<i32, DbError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == stored)
            .map(|s| s.to_proto() as i32)
            .ok_or_else(|| unknown_status(table, stored))
    }

    /// A request's status filter: `None` for UNSPECIFIED ("any"), an error naming
    /// `field` for a number the enum does not have.
    pub fn filter_of(field: &str, raw: i32) -> Result<Option<RouteStatus>, QueryError> {
        match v1::RouteStatus::try_from(raw) {
            Ok(v1::RouteStatus::Unspecified) => Ok(None),
            Ok(wanted) => Ok(Self::ALL.into_iter().find(|s| s.to_proto() == wanted)),
            Err(_) => Err(QueryError::invalid(
                field,
                format!("{raw} is not a route status"),
            )),
        }
    }
}

/// The delivery statuses of the events ([`DeliveryStatus`], written once in
/// `contracts`) as the query API answers and filters them.
pub trait DeliveryStatusProto: Sized {
    fn to_proto(self) -> v1::DeliveryStatus;
    fn parse_stored(table: &'static str, stored: &str) -> Result<Self, DbError>;
    fn proto_of_stored(table: &'static str, stored: &str) -> Result<i32, DbError>;
    fn filter_of(field: &str, raw: i32) -> Result<Option<Self>, QueryError>;
}

impl DeliveryStatusProto for DeliveryStatus {
    fn to_proto(self) -> v1::DeliveryStatus {
        match self {
            DeliveryStatus::PickedUp => v1::DeliveryStatus::PickedUp,
            DeliveryStatus::InTransit => v1::DeliveryStatus::InTransit,
            DeliveryStatus::OutForDelivery => v1::DeliveryStatus::OutForDelivery,
            DeliveryStatus::Delivered => v1::DeliveryStatus::Delivered,
            DeliveryStatus::Failed => v1::DeliveryStatus::Failed,
        }
    }

    fn parse_stored(table: &'static str, stored: &str) -> Result<DeliveryStatus, DbError> {
        DeliveryStatus::parse(stored).ok_or_else(|| unknown_status(table, stored))
    }

    /// A stored status back as the proto enum; anything else is a corrupt row.
    fn proto_of_stored(table: &'static str, stored: &str) -> Result<i32, DbError> {
        Self::parse_stored(table, stored).map(|s| s.to_proto() as i32)
    }

    /// A request's status filter: `None` for UNSPECIFIED ("any"), an error naming
    /// `field` for a number the enum does not have.
    fn filter_of(field: &str, raw: i32) -> Result<Option<DeliveryStatus>, QueryError> {
        match v1::DeliveryStatus::try_from(raw) {
            Ok(v1::DeliveryStatus::Unspecified) => Ok(None),
            Ok(wanted) => Ok(DeliveryStatus::ALL
                .iter()
                .copied()
                .find(|s| s.to_proto() == wanted)),
            Err(_) => Err(QueryError::invalid(
                field,
                format!("{raw} is not a delivery status"),
            )),
        }
    }
}

/// A checkpoint's read-model status: reached, else delayed once `now` is past its
/// expected time, else pending. Reaching it exactly at the expected time is on time.
pub fn checkpoint_status(
    reached: bool,
    expected_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> v1::CheckpointStatus {
    if reached {
        v1::CheckpointStatus::Reached
    } else if now > expected_at {
        v1::CheckpointStatus::Delayed
    } else {
        v1::CheckpointStatus::Pending
    }
}

fn unknown_status(table: &'static str, stored: &str) -> DbError {
    DbError::Shape {
        table,
        reason: format!("unknown status `{stored}`"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_checkpoint_is_delayed_only_once_past_its_expected_time_and_unreached() {
        let expected = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        let before = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 1, 1, 11, 0, 0).unwrap();
        assert_eq!(
            checkpoint_status(false, expected, before),
            v1::CheckpointStatus::Pending
        );
        assert_eq!(
            checkpoint_status(false, expected, expected),
            v1::CheckpointStatus::Pending
        );
        assert_eq!(
            checkpoint_status(false, expected, after),
            v1::CheckpointStatus::Delayed
        );
        assert_eq!(
            checkpoint_status(true, expected, after),
            v1::CheckpointStatus::Reached
        );
    }

    #[test]
    fn every_stored_status_maps_to_its_proto_value_and_back() {
        for &status in DeliveryStatus::ALL {
            let proto = DeliveryStatus::proto_of_stored("deliveries", status.as_str()).unwrap();
            assert_eq!(
                DeliveryStatus::filter_of("status", proto).unwrap(),
                Some(status)
            );
        }
        for status in RouteStatus::ALL {
            let proto = RouteStatus::proto_of_stored("routes", status.as_str()).unwrap();
            assert_eq!(
                RouteStatus::filter_of("status", proto).unwrap(),
                Some(status)
            );
        }
        assert!(DeliveryStatus::proto_of_stored("deliveries", "lost").is_err());
    }

    #[test]
    fn an_unspecified_status_filter_means_any_and_an_unknown_number_names_its_field() {
        assert_eq!(RouteStatus::filter_of("status", 0).unwrap(), None);
        assert_eq!(DeliveryStatus::filter_of("status", 0).unwrap(), None);
        assert!(matches!(
            RouteStatus::filter_of("status", 42),
            Err(QueryError::Invalid { field, .. }) if field == "status"
        ));
        assert!(matches!(
            DeliveryStatus::filter_of("status", -1),
            Err(QueryError::Invalid { field, .. }) if field == "status"
        ));
    }
}
