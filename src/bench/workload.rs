//! A realistic event log for benchmarks, made by the real domain: proto requests go
//! through each context's `convert.rs` and the pure aggregates, in memory; each
//! aggregate's events are then appended in one request.
//!
//! One unit of work is a customer with a car, a driver, a fleet van, a route with two
//! checkpoints run by one delivery from pick-up to proof (with an incident), and a
//! finished workshop job: 25 events (and one planning per 40 units).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use command::deliveries::{Delivery, DeliveryCommand, Route, create_delivery};
use command::shared::{Addressed, IntoCommand};
use command::workshop::WorkshopPlanning;
use contracts::v1::*;
use es_core::envelope::now;
use es_core::{
    Aggregate, AppendRequest, DomainEvent, EventMetadata, EventStore, ExpectedVersion,
    ProposedEvent,
};
use uuid::Uuid;

/// Events one unit appends, for sizing.
pub const EVENTS_PER_UNIT: u64 = 25;

fn id() -> String {
    Uuid::now_v7().to_string()
}

fn ts(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    })
}

/// One aggregate's state and the events decided for it, not yet stored.
struct Pending<A: Aggregate> {
    id: String,
    state: A,
    events: Vec<A::Event>,
}

impl<A: Aggregate> Pending<A> {
    fn new() -> Self {
        Self {
            id: String::new(),
            state: A::default(),
            events: Vec::new(),
        }
    }

    fn run(&mut self, addressed: Addressed<A::Command>) -> anyhow::Result<()> {
        self.id = addressed.aggregate_id;
        let events = self
            .state
            .handle(addressed.command)
            .map_err(|e| anyhow::anyhow!("{} {}: {e}", A::TYPE, self.id))?;
        events.iter().for_each(|e| self.state.apply(e));
        self.events.extend(events);
        Ok(())
    }

    fn send<R: IntoCommand<Aggregate = A>>(
        &mut self,
        request: R,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let addressed = request
            .into_command(at)
            .map_err(|e| anyhow::anyhow!("bench request: {e}"))?;
        self.run(addressed)
    }

    fn into_append(self) -> anyhow::Result<AppendRequest> {
        let events = self
            .events
            .iter()
            .map(|event| {
                let (event_type, payload) = es_core::aggregate::encode(event)?;
                Ok(ProposedEvent::new(
                    event_type,
                    event.schema_version(),
                    payload,
                    now(),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(AppendRequest {
            aggregate_type: A::TYPE.into(),
            aggregate_id: self.id,
            expected: ExpectedVersion::NoStream,
            events,
            metadata: EventMetadata::system(),
            idempotency: None,
        })
    }
}

/// The appends for `units` units of work; plannings are shared by 40 units per day.
pub fn appends(units: u64) -> anyhow::Result<Vec<AppendRequest>> {
    let base = DateTime::parse_from_rfc3339("2027-03-01T06:00:00Z")?.with_timezone(&Utc);
    let mut appends = Vec::with_capacity(units as usize * 7);
    let mut plannings: HashMap<i64, Pending<WorkshopPlanning>> = HashMap::new();
    for unit in 0..units {
        let day = base + Duration::days((unit / 40) as i64);
        let customer_id = id();
        let plate = format!("CK-{}-{}", unit % 1000, (unit / 1000) % 1000);
        let van = format!("VN-{}-{}", unit % 1000, (unit / 1000) % 1000);
        let driver_id = id();

        let mut customer = Pending::<command::customers::Customer>::new();
        let contact = |name: &str| RegisterCustomerRequest {
            customer_id: customer_id.clone(),
            name: name.into(),
            address: "12 Harbour Road".into(),
            postal_code: "1011 AB".into(),
            city: "Amsterdam".into(),
            telephone: "+31 20 555 0100".into(),
            email: format!("customer{unit}@example.com"),
            idempotency_key: None,
        };
        customer.send(contact("Ada Customer"), day)?;
        let c = contact("Ada Customer-Renamed");
        customer.send(
            UpdateCustomerContactRequest {
                customer_id: c.customer_id,
                name: c.name,
                address: c.address,
                postal_code: c.postal_code,
                city: c.city,
                telephone: c.telephone,
                email: c.email,
                idempotency_key: None,
            },
            day,
        )?;
        appends.push(customer.into_append()?);

        let mut car = Pending::<command::fleet::Vehicle>::new();
        car.send(
            RegisterVehicleRequest {
                license_number: plate.clone(),
                brand: "Polestar".into(),
                model: "2".into(),
                owner_customer_id: Some(customer_id.clone()),
                usage: VehicleUsage::Customer as i32,
                idempotency_key: None,
            },
            day,
        )?;
        appends.push(car.into_append()?);

        let mut fleet_van = Pending::<command::fleet::Vehicle>::new();
        fleet_van.send(
            RegisterVehicleRequest {
                license_number: van.clone(),
                brand: "Mercedes".into(),
                model: "eSprinter".into(),
                owner_customer_id: None,
                usage: VehicleUsage::Fleet as i32,
                idempotency_key: None,
            },
            day,
        )?;
        fleet_van.send(
            ChangeVehicleStatusRequest {
                license_number: van.clone(),
                status: VehicleStatus::OutOfService as i32,
                idempotency_key: None,
            },
            day,
        )?;
        fleet_van.send(
            ChangeVehicleStatusRequest {
                license_number: van.clone(),
                status: VehicleStatus::Available as i32,
                idempotency_key: None,
            },
            day,
        )?;
        appends.push(fleet_van.into_append()?);

        let mut driver = Pending::<command::fleet::Driver>::new();
        driver.send(
            RegisterDriverRequest {
                driver_id: driver_id.clone(),
                name: format!("Driver {unit}"),
                driving_licence_number: format!("DL-{unit}"),
                idempotency_key: None,
            },
            day,
        )?;
        appends.push(driver.into_append()?);

        let technician_id = id();
        let mut technician = Pending::<command::workshop::Technician>::new();
        technician.send(
            RegisterTechnicianRequest {
                technician_id: technician_id.clone(),
                name: format!("Technician {unit}"),
                skills: vec![
                    ServiceCategory::Maintenance as i32,
                    ServiceCategory::Repairs as i32,
                ],
                idempotency_key: None,
            },
            day,
        )?;
        appends.push(technician.into_append()?);

        let (route, delivery) = delivery_run(day, &driver_id, &van)?;
        appends.push(route);
        appends.push(delivery);

        let planning = plannings
            .entry((unit / 40) as i64)
            .or_insert_with(Pending::new);
        let slot_start = day + Duration::minutes(((unit % 40) * 15) as i64);
        let job_id = id();
        planning.send(
            PlanMaintenanceJobRequest {
                planning_date: day.format("%Y-%m-%d").to_string(),
                job_id: job_id.clone(),
                slot: Some(Timeslot {
                    start: ts(slot_start),
                    end: ts(slot_start + Duration::minutes(15)),
                }),
                vehicle_license_number: plate,
                customer_id,
                service: MaintenanceService::TireRotation as i32,
                description: "seasonal tyre swap".into(),
                technician: Some(TechnicianRef {
                    technician_id,
                    skills: vec![ServiceCategory::Maintenance as i32],
                }),
                idempotency_key: None,
            },
            day,
        )?;
        planning.send(
            FinishMaintenanceJobRequest {
                planning_date: day.format("%Y-%m-%d").to_string(),
                job_id,
                actual_start: ts(slot_start),
                actual_end: ts(slot_start + Duration::minutes(14)),
                notes: "done".into(),
                idempotency_key: None,
            },
            day,
        )?;
    }
    let mut days: Vec<_> = plannings.into_iter().collect();
    days.sort_by_key(|(day, _)| *day);
    for (_, planning) in days {
        appends.push(planning.into_append()?);
    }
    Ok(appends)
}

/// A route with two checkpoints, and one delivery that runs it to proof of delivery.
fn delivery_run(
    day: DateTime<Utc>,
    driver_id: &str,
    van: &str,
) -> anyhow::Result<(AppendRequest, AppendRequest)> {
    let route_id = id();
    let mut route = Pending::<Route>::new();
    route.send(
        CreateRouteRequest {
            route_id: route_id.clone(),
            origin: "Depot North".into(),
            destination: "City Centre".into(),
            scheduled_start: ts(day + Duration::hours(2)),
            idempotency_key: None,
        },
        day,
    )?;
    for sequence in 1..=2u32 {
        route.send(
            AddCheckpointRequest {
                route_id: route_id.clone(),
                sequence,
                location: format!("Stop {sequence}"),
                expected_at: ts(day + Duration::hours(2) + Duration::minutes(30 * sequence as i64)),
                idempotency_key: None,
            },
            day,
        )?;
    }
    route.send(
        ActivateRouteRequest {
            route_id: route_id.clone(),
            idempotency_key: None,
        },
        day,
    )?;
    let summary = route
        .state
        .summary()
        .ok_or_else(|| anyhow::anyhow!("route has no summary"))?;

    let delivery_id = id();
    let (parsed_id, _) = create_delivery(CreateDeliveryRequest {
        delivery_id: delivery_id.clone(),
        route_id: route_id.clone(),
        idempotency_key: None,
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut delivery = Pending::<Delivery>::new();
    delivery.run(Addressed::new(
        &delivery_id,
        DeliveryCommand::Create {
            delivery_id: parsed_id,
            route: summary,
        },
    ))?;
    let at = day + Duration::hours(2);
    let d = || delivery_id.clone();
    delivery.send(
        AssignDriverRequest {
            delivery_id: d(),
            driver_id: driver_id.into(),
            idempotency_key: None,
        },
        at,
    )?;
    delivery.send(
        AssignVehicleRequest {
            delivery_id: d(),
            vehicle_license_number: van.into(),
            idempotency_key: None,
        },
        at,
    )?;
    delivery.send(
        StartTransitRequest {
            delivery_id: d(),
            idempotency_key: None,
        },
        at,
    )?;
    let incident_id = id();
    delivery.send(
        ReportIncidentRequest {
            delivery_id: d(),
            incident_id: incident_id.clone(),
            incident_type: "delay".into(),
            description: "traffic on the ring road".into(),
            idempotency_key: None,
        },
        at + Duration::minutes(10),
    )?;
    for sequence in 1..=2u32 {
        delivery.send(
            ReachCheckpointRequest {
                delivery_id: d(),
                sequence,
                location: format!("Stop {sequence}"),
                idempotency_key: None,
            },
            at + Duration::minutes(30 * sequence as i64),
        )?;
    }
    delivery.send(
        ResolveIncidentRequest {
            delivery_id: d(),
            incident_id,
            resolution: "cleared".into(),
            idempotency_key: None,
        },
        at + Duration::minutes(61),
    )?;
    delivery.send(
        MarkOutForDeliveryRequest {
            delivery_id: d(),
            idempotency_key: None,
        },
        at + Duration::minutes(62),
    )?;
    delivery.send(
        CaptureProofOfDeliveryRequest {
            delivery_id: d(),
            receiver_name: "Receiver".into(),
            signature_reference: "sig://bench".into(),
            idempotency_key: None,
        },
        at + Duration::minutes(70),
    )?;
    Ok((route.into_append()?, delivery.into_append()?))
}

/// Appends everything with 32 concurrent writers (so group commit applies).
/// A SQLite event store in `dir` holding about `events` events of realistic work made
/// through the domain, checkpointed (readers then find every page in the database
/// file, as on a store at rest); with the number of events stored.
pub async fn realistic_log(
    dir: &std::path::Path,
    events: u64,
) -> anyhow::Result<(Arc<es_core::SqliteEventStore>, u64)> {
    let units = events.div_ceil(EVENTS_PER_UNIT);
    eprintln!(
        "generating {units} units of work (~{} events) through the domain…",
        units * EVENTS_PER_UNIT
    );
    let requests = tokio::task::spawn_blocking(move || appends(units)).await??;
    let sqlite = Arc::new(es_core::SqliteEventStore::open(dir.join("events.db"))?);
    let filling = std::time::Instant::now();
    let total = fill(sqlite.clone(), requests).await?;
    sqlite.checkpoint().await?;
    eprintln!(
        "stored {total} events in {:.1} s",
        filling.elapsed().as_secs_f64()
    );
    Ok((sqlite, total))
}

pub async fn fill(store: Arc<dyn EventStore>, appends: Vec<AppendRequest>) -> anyhow::Result<u64> {
    let queue = Arc::new(std::sync::Mutex::new(appends.into_iter()));
    let writers: Vec<_> = (0..32)
        .map(|_| {
            let (store, queue) = (store.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue
                        .lock()
                        .map_err(|_| anyhow::anyhow!("queue poisoned"))?
                        .next();
                    let Some(request) = next else {
                        return anyhow::Ok(());
                    };
                    store.append(request).await?;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    Ok(*store.head().borrow())
}
