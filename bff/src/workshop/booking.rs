//! The read-model checks of a job's booking, made under the scheduling guard's locks:
//! the customer, vehicle and technician are known and active, and free in the slot.

use chrono::NaiveDate;
use contracts::v1 as pb;
use uuid::Uuid;

use super::plannings::{planning_stream, read_planning};
use crate::convert::SlotDto;
use crate::extract::RequestContext;
use crate::problem::{ApiError, ProblemKind};
use crate::scheduling::{Resource, checks};
use crate::state::AppState;

/// The read-model checks of a booking, made under the guard's locks. Every read waits
/// for the client's tokens, the guard's (the last booking of each locked resource) and
/// the last write this BFF made to the entity read.
pub(super) struct Booking<'a> {
    pub(super) state: &'a AppState,
    pub(super) ctx: &'a RequestContext,
    pub(super) tokens: &'a [pb::ConsistencyToken],
}

impl Booking<'_> {
    async fn wait_for(&self, stream: Option<String>) -> Vec<pb::ConsistencyToken> {
        let streams: Vec<String> = stream.into_iter().collect();
        checks::tokens_for(self.state, self.ctx, self.tokens, &streams).await
    }

    /// A new job: the customer and vehicle are known, the vehicle is free in the slot
    /// (no overlapping planned job or delivery), and the technician, if any, is active
    /// and free. The reads are independent, so they run side by side; their refusals
    /// are reported in a fixed order. Returns the technician as the aggregate needs it.
    pub(super) async fn check_plan(
        &self,
        slot: &SlotDto,
        job_id: &str,
        customer_id: Uuid,
        vehicle: &Resource,
        technician: Option<Resource>,
    ) -> Result<Option<pb::TechnicianRef>, ApiError> {
        let (state, ctx) = (self.state, self.ctx);
        let customer_id = customer_id.to_string();
        let customer = async {
            let wait_for = self.wait_for(Some(format!("customer-{customer_id}"))).await;
            checks::known_customer(state, ctx, "customer_id", &customer_id, wait_for).await
        };
        let known_vehicle = async {
            let wait_for = self.wait_for(Some(format!("vehicle-{}", vehicle.id))).await;
            checks::known_vehicle(state, ctx, "vehicle_license_number", &vehicle.id, wait_for).await
        };
        // A slot held by this job's own id is no conflict: it is this very job, planned
        // by an earlier attempt of the request; the aggregate answers such a retry
        // (first reply for the same Idempotency-Key) or refuses the reused id.
        let vehicle_free = async {
            let wait_for = self.wait_for(None).await;
            checks::ensure_free(state, ctx, vehicle, slot, Some(job_id), wait_for).await
        };
        let technician = async {
            let Some(technician) = &technician else {
                return Ok(None);
            };
            let wait_for = self
                .wait_for(Some(format!("technician-{}", technician.id)))
                .await;
            let known =
                checks::active_technician(state, ctx, "technician_id", &technician.id, wait_for)
                    .await?;
            let wait_for = self.wait_for(None).await;
            checks::ensure_free(state, ctx, technician, slot, Some(job_id), wait_for).await?;
            Ok(Some(known))
        };
        let (customer, known_vehicle, vehicle_free, technician) =
            tokio::join!(customer, known_vehicle, vehicle_free, technician);
        customer?;
        known_vehicle?;
        vehicle_free?;
        technician
    }

    /// An assignment: the job is on the date's planning (else 404), the technician is
    /// active and free in the job's planned slot (the job itself aside).
    pub(super) async fn check_assign(
        &self,
        date: NaiveDate,
        job_id: &str,
        technician: &Resource,
    ) -> Result<pb::TechnicianRef, ApiError> {
        let (state, ctx) = (self.state, self.ctx);
        let planning = async {
            let wait_for = self.wait_for(Some(planning_stream(date))).await;
            read_planning(state, ctx, date, wait_for).await
        };
        let known = async {
            let wait_for = self
                .wait_for(Some(format!("technician-{}", technician.id)))
                .await;
            checks::active_technician(state, ctx, "technician_id", &technician.id, wait_for).await
        };
        let (planning, known) = tokio::join!(planning, known);
        let job = planning?
            .jobs
            .into_iter()
            .find(|job| job.job_id == job_id)
            .ok_or_else(|| {
                ApiError::not_found(format!("no job {job_id} is planned on {date}"))
                    .with_reason("job_not_found")
            })?;
        let known = known?;
        let slot = job
            .planned_slot
            .as_ref()
            .and_then(SlotDto::from_proto)
            .ok_or_else(|| {
                ApiError::new(
                    ProblemKind::UpstreamError,
                    format!("the planning read model holds job {job_id} without its slot"),
                )
            })?;
        let wait_for = self.wait_for(None).await;
        checks::ensure_free(state, ctx, technician, &slot, Some(job_id), wait_for).await?;
        Ok(known)
    }
}
