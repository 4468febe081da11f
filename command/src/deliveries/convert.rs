//! `DeliveryCommands` requests → route and delivery commands. Every field is parsed
//! here, once, and a bad one fails naming its proto field (`location`, `sequence`…).
//! Commands that record when something happened take the server's `now`.
//!
//! `CreateDeliveryRequest` is the exception: its command needs the route's summary,
//! which only the command handler can load, so [`create_delivery`] parses the ids and
//! the handler builds `DeliveryCommand::Create` from them.

use chrono::{DateTime, Utc};
use contracts::v1;

use super::checkpoint::Sequence;
use super::delivery::{Delivery, DeliveryCommand};
use super::route::{Route, RouteCommand};
use crate::shared::{
    Addressed, DeliveryId, DriverId, FieldError, IncidentId, IntoCommand, LicenseNumber, RouteId,
    Text, required_time,
};

/// The ids of a `CreateDeliveryRequest`: the new delivery and the route to load.
pub fn create_delivery(
    request: v1::CreateDeliveryRequest,
) -> Result<(DeliveryId, RouteId), FieldError> {
    let delivery_id = DeliveryId::parse("delivery_id", &request.delivery_id)?;
    let route_id = RouteId::parse("route_id", &request.route_id)?;
    Ok((delivery_id, route_id))
}

type RouteResult = Result<Addressed<RouteCommand>, FieldError>;
type DeliveryResult = Result<Addressed<DeliveryCommand>, FieldError>;

fn route_id(raw: &str) -> Result<RouteId, FieldError> {
    RouteId::parse("route_id", raw)
}

fn delivery_id(raw: &str) -> Result<DeliveryId, FieldError> {
    DeliveryId::parse("delivery_id", raw)
}

impl IntoCommand for v1::CreateRouteRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        let route_id = route_id(&self.route_id)?;
        let command = RouteCommand::Create {
            route_id,
            origin: Text::parse("origin", &self.origin)?,
            destination: Text::parse("destination", &self.destination)?,
            scheduled_start: required_time("scheduled_start", self.scheduled_start)?,
        };
        Ok(Addressed::new(route_id, command))
    }
}

impl IntoCommand for v1::UpdateRouteRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        let route_id = route_id(&self.route_id)?;
        let command = RouteCommand::Update {
            origin: Text::parse("origin", &self.origin)?,
            destination: Text::parse("destination", &self.destination)?,
            scheduled_start: required_time("scheduled_start", self.scheduled_start)?,
        };
        Ok(Addressed::new(route_id, command))
    }
}

impl IntoCommand for v1::AddCheckpointRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        let route_id = route_id(&self.route_id)?;
        let command = RouteCommand::AddCheckpoint {
            sequence: Sequence::parse("sequence", self.sequence)?,
            location: Text::parse("location", &self.location)?,
            expected_at: required_time("expected_at", self.expected_at)?,
        };
        Ok(Addressed::new(route_id, command))
    }
}

impl IntoCommand for v1::UpdateCheckpointRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        let route_id = route_id(&self.route_id)?;
        let command = RouteCommand::UpdateCheckpoint {
            sequence: Sequence::parse("sequence", self.sequence)?,
            location: Text::parse("location", &self.location)?,
            expected_at: required_time("expected_at", self.expected_at)?,
        };
        Ok(Addressed::new(route_id, command))
    }
}

impl IntoCommand for v1::ActivateRouteRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        Ok(Addressed::new(
            route_id(&self.route_id)?,
            RouteCommand::Activate,
        ))
    }
}

impl IntoCommand for v1::CompleteRouteRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        Ok(Addressed::new(
            route_id(&self.route_id)?,
            RouteCommand::Complete,
        ))
    }
}

impl IntoCommand for v1::CancelRouteRequest {
    type Aggregate = Route;

    fn into_command(self, _now: DateTime<Utc>) -> RouteResult {
        Ok(Addressed::new(
            route_id(&self.route_id)?,
            RouteCommand::Cancel,
        ))
    }
}

impl IntoCommand for v1::AssignDriverRequest {
    type Aggregate = Delivery;

    fn into_command(self, _now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let driver = DriverId::parse("driver_id", &self.driver_id)?;
        Ok(Addressed::new(
            delivery_id,
            DeliveryCommand::AssignDriver { driver },
        ))
    }
}

impl IntoCommand for v1::AssignVehicleRequest {
    type Aggregate = Delivery;

    fn into_command(self, _now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let vehicle = LicenseNumber::parse("vehicle_license_number", &self.vehicle_license_number)?;
        Ok(Addressed::new(
            delivery_id,
            DeliveryCommand::AssignVehicle { vehicle },
        ))
    }
}

impl IntoCommand for v1::StartTransitRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        Ok(Addressed::new(
            delivery_id(&self.delivery_id)?,
            DeliveryCommand::StartTransit { at: now },
        ))
    }
}

impl IntoCommand for v1::ReachCheckpointRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let command = DeliveryCommand::ReachCheckpoint {
            sequence: Sequence::parse("sequence", self.sequence)?,
            location: Text::parse("location", &self.location)?,
            at: now,
        };
        Ok(Addressed::new(delivery_id, command))
    }
}

impl IntoCommand for v1::MarkOutForDeliveryRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        Ok(Addressed::new(
            delivery_id(&self.delivery_id)?,
            DeliveryCommand::MarkOutForDelivery { at: now },
        ))
    }
}

impl IntoCommand for v1::CaptureProofOfDeliveryRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let command = DeliveryCommand::CaptureProofOfDelivery {
            receiver_name: Text::parse("receiver_name", &self.receiver_name)?,
            signature_reference: Text::parse("signature_reference", &self.signature_reference)?,
            at: now,
        };
        Ok(Addressed::new(delivery_id, command))
    }
}

impl IntoCommand for v1::FailDeliveryRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let reason = Text::parse("reason", &self.reason)?;
        Ok(Addressed::new(
            delivery_id,
            DeliveryCommand::Fail { reason, at: now },
        ))
    }
}

impl IntoCommand for v1::RetryDeliveryRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        Ok(Addressed::new(
            delivery_id(&self.delivery_id)?,
            DeliveryCommand::Retry { at: now },
        ))
    }
}

impl IntoCommand for v1::ReportIncidentRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let command = DeliveryCommand::ReportIncident {
            incident_id: IncidentId::parse("incident_id", &self.incident_id)?,
            incident_type: Text::parse("incident_type", &self.incident_type)?,
            description: Text::parse("description", &self.description)?,
            at: now,
        };
        Ok(Addressed::new(delivery_id, command))
    }
}

impl IntoCommand for v1::ResolveIncidentRequest {
    type Aggregate = Delivery;

    fn into_command(self, now: DateTime<Utc>) -> DeliveryResult {
        let delivery_id = delivery_id(&self.delivery_id)?;
        let command = DeliveryCommand::ResolveIncident {
            incident_id: IncidentId::parse("incident_id", &self.incident_id)?,
            resolution: Text::parse("resolution", &self.resolution)?,
            at: now,
        };
        Ok(Addressed::new(delivery_id, command))
    }
}

#[cfg(test)]
mod tests;
