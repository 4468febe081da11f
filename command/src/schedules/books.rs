//! Which events book or free a resource: deliveries book drivers and vans, maintenance
//! jobs book vehicles. Every aggregate implements [`Books`]; only these two book
//! anything.

use es_core::Aggregate;

use super::{Change, Holder, ScheduledResource};
use crate::customers::Customer;
use crate::deliveries::{Delivery, DeliveryEvent, DeliveryStatus, Route};
use crate::fleet::{Driver, Vehicle};
use crate::workshop::{Technician, WorkshopPlanning, WorkshopPlanningEvent};

pub trait Books: Aggregate {
    /// The schedule changes `events` make, in order; `self` is the state they were
    /// decided on (before them).
    fn bookings(&self, events: &[Self::Event]) -> Vec<(ScheduledResource, Change)> {
        let _ = events;
        Vec::new()
    }
}

impl Books for Customer {}
impl Books for Driver {}
impl Books for Vehicle {}
impl Books for Technician {}
impl Books for Route {}

/// A delivery holds its driver and its van from assignment until it is delivered; a
/// reassignment frees the one it replaces.
impl Books for Delivery {
    fn bookings(&self, events: &[DeliveryEvent]) -> Vec<(ScheduledResource, Change)> {
        let mut changes = Vec::new();
        for event in events {
            match event {
                DeliveryEvent::DriverAssigned {
                    delivery_id,
                    driver_id,
                    previous_driver_id,
                    slot,
                } => {
                    let holder = Holder::delivery(delivery_id.as_uuid());
                    if let Some(previous) = previous_driver_id.filter(|p| p != driver_id) {
                        changes.push((
                            ScheduledResource::driver(previous),
                            Change::Release { holder },
                        ));
                    }
                    changes.push((
                        ScheduledResource::driver(*driver_id),
                        Change::Reserve {
                            holder,
                            slot: *slot,
                        },
                    ));
                }
                DeliveryEvent::VehicleAssigned {
                    delivery_id,
                    vehicle_license_number,
                    previous_vehicle_license_number,
                    slot,
                } => {
                    let holder = Holder::delivery(delivery_id.as_uuid());
                    if let Some(previous) = previous_vehicle_license_number
                        .as_ref()
                        .filter(|p| *p != vehicle_license_number)
                    {
                        changes.push((
                            ScheduledResource::vehicle(previous),
                            Change::Release { holder },
                        ));
                    }
                    changes.push((
                        ScheduledResource::vehicle(vehicle_license_number),
                        Change::Reserve {
                            holder,
                            slot: *slot,
                        },
                    ));
                }
                DeliveryEvent::StatusChanged {
                    delivery_id,
                    to: DeliveryStatus::Delivered,
                    ..
                } => {
                    let holder = Holder::delivery(delivery_id.as_uuid());
                    if let Some(driver) = self.driver() {
                        changes.push((
                            ScheduledResource::driver(driver),
                            Change::Release { holder },
                        ));
                    }
                    if let Some(vehicle) = self.vehicle() {
                        changes.push((
                            ScheduledResource::vehicle(vehicle),
                            Change::Release { holder },
                        ));
                    }
                }
                _ => {}
            }
        }
        changes
    }
}

/// A planned job holds its vehicle until it is finished or cancelled. (Its technician
/// is held by the planning itself: see the module documentation.)
impl Books for WorkshopPlanning {
    fn bookings(&self, events: &[WorkshopPlanningEvent]) -> Vec<(ScheduledResource, Change)> {
        events
            .iter()
            .filter_map(|event| match event {
                WorkshopPlanningEvent::JobPlanned {
                    job_id,
                    slot,
                    vehicle,
                    ..
                } => Some((
                    ScheduledResource::vehicle(vehicle),
                    Change::Reserve {
                        holder: Holder::job(job_id.as_uuid()),
                        slot: *slot,
                    },
                )),
                WorkshopPlanningEvent::JobFinished {
                    job_id, vehicle, ..
                }
                | WorkshopPlanningEvent::JobCancelled {
                    job_id, vehicle, ..
                } => Some((
                    ScheduledResource::vehicle(vehicle),
                    Change::Release {
                        holder: Holder::job(job_id.as_uuid()),
                    },
                )),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::shared::{DeliveryId, DriverId, LicenseNumber, Timeslot};

    fn slot() -> Timeslot {
        let at = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
        Timeslot::new("slot", at(8), at(12)).unwrap()
    }

    #[test]
    fn a_driver_reassignment_frees_the_previous_driver_and_books_the_new_one() {
        let delivery_id = DeliveryId::from(Uuid::from_u128(1));
        let (old, new) = (
            DriverId::from(Uuid::from_u128(2)),
            DriverId::from(Uuid::from_u128(3)),
        );
        let changes = Delivery::default().bookings(&[DeliveryEvent::DriverAssigned {
            delivery_id,
            driver_id: new,
            previous_driver_id: Some(old),
            slot: slot(),
        }]);
        let holder = Holder::delivery(delivery_id.as_uuid());
        assert_eq!(
            changes,
            vec![
                (ScheduledResource::driver(old), Change::Release { holder }),
                (
                    ScheduledResource::driver(new),
                    Change::Reserve {
                        holder,
                        slot: slot()
                    }
                ),
            ]
        );
    }

    #[test]
    fn a_vehicle_assigned_again_to_the_same_delivery_is_not_released() {
        let plate = LicenseNumber::parse("vehicle", "AB-123-C").unwrap();
        let changes = Delivery::default().bookings(&[DeliveryEvent::VehicleAssigned {
            delivery_id: DeliveryId::from(Uuid::from_u128(1)),
            vehicle_license_number: plate.clone(),
            previous_vehicle_license_number: Some(plate.clone()),
            slot: slot(),
        }]);
        assert_eq!(changes.len(), 1);
        assert!(matches!(changes[0].1, Change::Reserve { .. }));
    }

    #[test]
    fn aggregates_that_book_nothing_have_no_bookings() {
        assert!(Route::default().bookings(&[]).is_empty());
        assert!(Customer::default().bookings(&[]).is_empty());
    }
}
