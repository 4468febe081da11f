//! REST vocabulary shared by every context: time, slots and the domain enums as
//! snake_case strings, each converting to and from its proto twin in one place.

use chrono::{DateTime, TimeZone, Utc};
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A half-open time range in UTC (RFC 3339); two slots overlap when
/// `a.start < b.end && a.end > b.start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotDto {
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub start: DateTime<Utc>,
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub end: DateTime<Utc>,
}

impl SlotDto {
    pub fn from_proto(slot: &pb::Timeslot) -> Option<Self> {
        Some(SlotDto {
            start: from_timestamp(slot.start.as_ref()?)?,
            end: from_timestamp(slot.end.as_ref()?)?,
        })
    }

    pub fn to_proto(&self) -> pb::Timeslot {
        pb::Timeslot {
            start: Some(timestamp(self.start)),
            end: Some(timestamp(self.end)),
        }
    }

    pub fn overlaps(&self, other: &SlotDto) -> bool {
        self.start < other.end && self.end > other.start
    }
}

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn from_timestamp(at: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(at.seconds, u32::try_from(at.nanos).ok()?)
        .single()
}

pub fn opt_time(at: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    at.and_then(from_timestamp)
}

/// Declares a REST enum (snake_case on the wire) with its proto conversions.
macro_rules! rest_enum {
    ($(#[$meta:meta])* $name:ident => $proto:ident { $($variant:ident = $pv:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn to_proto(self) -> i32 {
                match self { $($name::$variant => pb::$proto::$pv as i32),+ }
            }

            /// `None` for UNSPECIFIED or a value this BFF does not know.
            pub fn from_proto(value: i32) -> Option<Self> {
                match pb::$proto::try_from(value).ok()? {
                    $(pb::$proto::$pv => Some($name::$variant),)+
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}

rest_enum!(
    /// Whose a vehicle is: a customer's car or one of the operator's fleet vans.
    VehicleUsage => VehicleUsage { Customer = Customer, Fleet = Fleet }
);
rest_enum!(VehicleStatus => VehicleStatus { Available = Available, OutOfService = OutOfService });
rest_enum!(DriverStatus => DriverStatus { Active = Active, Suspended = Suspended });
rest_enum!(TechnicianStatus => TechnicianStatus { Active = Active, Inactive = Inactive });
rest_enum!(
    /// A technician's skill; a job needs its service's category.
    ServiceCategory => ServiceCategory {
        Repairs = Repairs, Paint = Paint, Maintenance = Maintenance, Installation = Installation
    }
);
rest_enum!(
    /// The workshop's service catalogue.
    MaintenanceService => MaintenanceService {
        CurbRashRepair = CurbRashRepair,
        LeakedValveRepair = LeakedValveRepair,
        PanelPaint = PanelPaint,
        FullCarPaint = FullCarPaint,
        TireRotation = TireRotation,
        CoolingSystem = CoolingSystem,
        CabinAirFilterReplacement = CabinAirFilterReplacement,
        Suspension = Suspension,
        Steering = Steering,
        BrakeSystem = BrakeSystem,
        PaintProtectionFilm = PaintProtectionFilm,
        HomeCharger = HomeCharger,
        WindowFilm = WindowFilm,
        CosmeticLights = CosmeticLights,
        TwelveVoltBattery = TwelveVoltBattery,
    }
);
rest_enum!(JobStatus => JobStatus { Planned = Planned, Finished = Finished, Cancelled = Cancelled });
rest_enum!(RouteStatus => RouteStatus {
    Planning = Planning, Active = Active, Completed = Completed, Cancelled = Cancelled
});
rest_enum!(DeliveryStatus => DeliveryStatus {
    PickedUp = PickedUp,
    InTransit = InTransit,
    OutForDelivery = OutForDelivery,
    Delivered = Delivered,
    Failed = Failed,
});
rest_enum!(CheckpointStatus => CheckpointStatus {
    Pending = Pending, Reached = Reached, Delayed = Delayed
});
rest_enum!(ResourceKind => ResourceKind {
    Driver = Driver, Vehicle = Vehicle, Technician = Technician
});
rest_enum!(SlotHolderKind => SlotHolderKind { Job = Job, Delivery = Delivery });

impl ServiceCategory {
    /// The category a catalogue service belongs to (DOMAIN.md, workshop).
    pub fn of(service: MaintenanceService) -> Self {
        use MaintenanceService as S;
        match service {
            S::CurbRashRepair | S::LeakedValveRepair => ServiceCategory::Repairs,
            S::PanelPaint | S::FullCarPaint => ServiceCategory::Paint,
            S::TireRotation
            | S::CoolingSystem
            | S::CabinAirFilterReplacement
            | S::Suspension
            | S::Steering
            | S::BrakeSystem => ServiceCategory::Maintenance,
            S::PaintProtectionFilm
            | S::HomeCharger
            | S::WindowFilm
            | S::CosmeticLights
            | S::TwelveVoltBattery => ServiceCategory::Installation,
        }
    }
}

impl DeliveryStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, DeliveryStatus::Delivered)
    }
}

/// Sort direction of list endpoints: `asc` (default) or `desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

impl Direction {
    pub fn to_proto(self) -> i32 {
        match self {
            Direction::Asc => pb::SortDirection::Ascending as i32,
            Direction::Desc => pb::SortDirection::Descending as i32,
        }
    }
}

/// Paging of every list endpoint: pass `next_page_token` back as `page_token`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageDto {
    /// Empty on the last page.
    pub next_page_token: String,
    /// Rows matching the filters across all pages.
    pub total: u64,
}

impl PageDto {
    pub fn from_proto(page: Option<pb::PageInfo>) -> Self {
        let page = page.unwrap_or_default();
        PageDto {
            next_page_token: page.next_page_token,
            total: page.total,
        }
    }
}

pub fn page_request(page_size: Option<u32>, page_token: Option<String>) -> pb::PageRequest {
    pb::PageRequest {
        page_size: page_size.unwrap_or(0),
        page_token: page_token.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_travel_as_snake_case_and_round_trip_through_proto() {
        let json = serde_json::to_string(&MaintenanceService::CabinAirFilterReplacement).unwrap();
        assert_eq!(json, "\"cabin_air_filter_replacement\"");
        for status in [DeliveryStatus::PickedUp, DeliveryStatus::OutForDelivery] {
            assert_eq!(DeliveryStatus::from_proto(status.to_proto()), Some(status));
        }
        assert_eq!(VehicleUsage::from_proto(0), None);
    }

    #[test]
    fn touching_slots_do_not_overlap() {
        let at = |h| Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap();
        let a = SlotDto {
            start: at(9),
            end: at(10),
        };
        let b = SlotDto {
            start: at(10),
            end: at(11),
        };
        let c = SlotDto {
            start: at(9),
            end: at(11),
        };
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c) && c.overlaps(&b));
    }

    #[test]
    fn a_slot_round_trips_through_proto() {
        let slot = SlotDto {
            start: Utc.with_ymd_and_hms(2026, 5, 4, 9, 30, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap(),
        };
        assert_eq!(SlotDto::from_proto(&slot.to_proto()), Some(slot));
    }
}
