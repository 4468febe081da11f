use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use es_core::testing::AggregateTest;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::shared::{
    CustomerId, DomainRule, LicenseNumber, RuleKind, TechnicianId, Text, Timeslot,
};
use crate::workshop::{MaintenanceService, ServiceCategory};
use MaintenanceService::*;
use ServiceCategory::*;

type Test = AggregateTest<WorkshopPlanning>;

fn date() -> PlanningDate {
    PlanningDate::from(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap())
}

/// A moment on the planning date, in minutes after midnight (may run past the day).
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

/// A slot between two whole hours of the planning date.
fn hours(from: i64, to: i64) -> Timeslot {
    Timeslot::new("slot", at(from * 60), at(to * 60)).unwrap()
}

fn job_id(n: u128) -> JobId {
    JobId::from(Uuid::from_u128(n))
}

fn tech(n: u128) -> TechnicianId {
    TechnicianId::from(Uuid::from_u128(1000 + n))
}

fn vehicle(n: usize) -> LicenseNumber {
    LicenseNumber::parse("vehicle", ["AB-123-C", "12-ABC-3", "X-1-Y", "QQ-99-Z"][n]).unwrap()
}

fn text(raw: &str) -> Text<2000> {
    Text::parse("text", raw).unwrap()
}

fn skilled(n: u128, skills: &[ServiceCategory]) -> TechnicianRef {
    TechnicianRef {
        id: tech(n),
        skills: skills.iter().copied().collect(),
    }
}

/// Job `n` for vehicle `n` (so jobs do not share a vehicle unless a test says so),
/// a brake-system service (category maintenance), no technician.
fn job(n: u128, slot: Timeslot) -> PlanMaintenanceJob {
    PlanMaintenanceJob {
        date: date(),
        job_id: job_id(n),
        slot,
        vehicle: vehicle(n as usize % 4),
        customer_id: CustomerId::from(Uuid::from_u128(500)),
        service: BrakeSystem,
        description: text("Squeaky brakes"),
        technician: None,
    }
}

fn with_tech(plan: PlanMaintenanceJob, n: u128) -> PlanMaintenanceJob {
    PlanMaintenanceJob {
        technician: Some(skilled(n, &[Maintenance])),
        ..plan
    }
}

fn planned(plan: &PlanMaintenanceJob) -> WorkshopPlanningEvent {
    WorkshopPlanningEvent::JobPlanned {
        date: plan.date,
        job_id: plan.job_id,
        slot: plan.slot,
        vehicle: plan.vehicle.clone(),
        customer_id: plan.customer_id,
        service: plan.service,
        category: plan.service.category(),
        description: plan.description.clone(),
        technician_id: plan.technician.as_ref().map(|t| t.id),
    }
}

/// The events of a planning holding these jobs.
fn history(jobs: &[PlanMaintenanceJob]) -> Vec<WorkshopPlanningEvent> {
    let created = WorkshopPlanningEvent::PlanningCreated { date: date() };
    std::iter::once(created)
        .chain(jobs.iter().map(planned))
        .collect()
}

fn plan(job: PlanMaintenanceJob) -> WorkshopPlanningCommand {
    WorkshopPlanningCommand::PlanMaintenanceJob(job)
}

fn assign(n: u128, technician: TechnicianRef) -> WorkshopPlanningCommand {
    WorkshopPlanningCommand::AssignTechnician {
        job_id: job_id(n),
        technician,
    }
}

fn finish(n: u128) -> WorkshopPlanningCommand {
    WorkshopPlanningCommand::FinishMaintenanceJob {
        job_id: job_id(n),
        actual: hours(8, 11),
        notes: Some(text("Pads replaced")),
    }
}

fn cancel(n: u128) -> WorkshopPlanningCommand {
    WorkshopPlanningCommand::CancelMaintenanceJob {
        job_id: job_id(n),
        reason: text("Customer called off"),
    }
}

fn finished(n: u128) -> WorkshopPlanningEvent {
    WorkshopPlanningEvent::JobFinished {
        date: date(),
        job_id: job_id(n),
        actual: hours(8, 11),
        notes: Some(text("Pads replaced")),
        vehicle: vehicle(n as usize % 4),
        technician_id: None,
    }
}

fn cancelled(n: u128) -> WorkshopPlanningEvent {
    WorkshopPlanningEvent::JobCancelled {
        date: date(),
        job_id: job_id(n),
        reason: text("Customer called off"),
        vehicle: vehicle(n as usize % 4),
        technician_id: None,
    }
}

/// Job 1 planned 08–10, then `event` (its finish or cancellation).
fn job_1_then(event: WorkshopPlanningEvent) -> Vec<WorkshopPlanningEvent> {
    [history(&[job(1, hours(8, 10))]), vec![event]].concat()
}

/// Job 1 (08–10) given technician `n`, which replaces `previous`.
fn assigned(n: u128, previous: Option<TechnicianId>) -> WorkshopPlanningEvent {
    WorkshopPlanningEvent::TechnicianAssigned {
        date: date(),
        job_id: job_id(1),
        slot: hours(8, 10),
        technician_id: tech(n),
        previous_technician_id: previous,
    }
}

/// Job 1 is no longer planned: it is `status`.
fn not_planned(status: JobStatus) -> WorkshopPlanningError {
    WorkshopPlanningError::JobNotPlanned {
        job_id: job_id(1),
        status,
    }
}

/// `next` is accepted beside `existing`: its one event plans it.
fn assert_planned_beside(existing: &[PlanMaintenanceJob], next: PlanMaintenanceJob) {
    Test::given(history(existing))
        .when(plan(next.clone()))
        .then_expect_events(vec![planned(&next)]);
}

fn state(events: &[WorkshopPlanningEvent]) -> WorkshopPlanning {
    let mut planning = WorkshopPlanning::default();
    events.iter().for_each(|event| planning.apply(event));
    planning
}

#[test]
fn the_first_job_of_a_date_creates_the_planning_before_planning_the_job() {
    let first = with_tech(job(1, hours(8, 10)), 1);
    Test::given_no_previous_events()
        .when(plan(first.clone()))
        .then_expect_events(vec![
            WorkshopPlanningEvent::PlanningCreated { date: date() },
            WorkshopPlanningEvent::JobPlanned {
                date: date(),
                job_id: job_id(1),
                slot: hours(8, 10),
                vehicle: vehicle(1),
                customer_id: CustomerId::from(Uuid::from_u128(500)),
                service: BrakeSystem,
                category: Maintenance,
                description: text("Squeaky brakes"),
                technician_id: Some(tech(1)),
            },
        ]);
}

#[test]
fn a_later_job_of_the_date_is_planned_without_creating_the_planning_again() {
    assert_planned_beside(&[job(1, hours(8, 10))], job(2, hours(8, 10)));
}

#[test]
fn the_planning_lists_its_jobs_with_their_slots_and_status() {
    let planning = state(
        &[
            history(&[job(1, hours(8, 10)), job(2, hours(9, 12))]),
            vec![cancelled(1)],
        ]
        .concat(),
    );
    assert_eq!(planning.date(), Some(date()));
    let all: Vec<_> = planning
        .jobs()
        .map(|j| (j.id(), j.slot(), j.status()))
        .collect();
    assert_eq!(
        all,
        vec![
            (job_id(1), hours(8, 10), JobStatus::Cancelled),
            (job_id(2), hours(9, 12), JobStatus::Planned),
        ]
    );
    let planned: Vec<_> = planning.planned_jobs().map(Job::id).collect();
    assert_eq!(planned, vec![job_id(2)]);
}

#[test]
fn a_job_starting_before_the_planning_date_is_rejected() {
    let slot = Timeslot::new("slot", at(-30), at(60)).unwrap();
    Test::given_no_previous_events()
        .when(plan(job(1, slot)))
        .then_expect_error(WorkshopPlanningError::SlotOutsideDate(date()));
}

#[test]
fn a_job_ending_after_the_planning_date_is_rejected() {
    let slot = Timeslot::new("slot", at(23 * 60), at(24 * 60 + 1)).unwrap();
    Test::given(history(&[]))
        .when(plan(job(1, slot)))
        .then_expect_error(WorkshopPlanningError::SlotOutsideDate(date()));
}

#[test]
fn a_job_ending_at_midnight_ends_on_the_next_date_and_is_rejected() {
    Test::given_no_previous_events()
        .when(plan(job(1, hours(22, 24))))
        .then_expect_error(WorkshopPlanningError::SlotOutsideDate(date()));
}

#[test]
fn a_job_for_another_date_is_rejected_by_this_planning() {
    let other = PlanningDate::from(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    Test::given(history(&[]))
        .when(plan(PlanMaintenanceJob {
            date: other,
            ..job(1, hours(8, 10))
        }))
        .then_expect_error(WorkshopPlanningError::DateMismatch {
            planning: date(),
            command: other,
        });
}

#[test]
fn a_job_id_already_in_the_planning_is_rejected() {
    Test::given(history(&[job(1, hours(8, 10))]))
        .when(plan(job(1, hours(14, 15))))
        .then_expect_error(WorkshopPlanningError::JobAlreadyExists(job_id(1)));
}

#[test]
fn three_overlapping_jobs_fit_the_three_workstations() {
    assert_planned_beside(
        &[job(1, hours(8, 10)), job(2, hours(8, 12))],
        job(3, hours(9, 11)),
    );
}

#[test]
fn a_fourth_overlapping_job_is_rejected() {
    let busy = [
        job(1, hours(8, 10)),
        job(2, hours(8, 12)),
        job(3, hours(9, 11)),
    ];
    Test::given(history(&busy))
        .when(plan(job(4, hours(9, 10))))
        .then_expect_error(WorkshopPlanningError::TooManyOverlappingJobs {
            at: at(9 * 60),
            holders: vec![job_id(1), job_id(2), job_id(3)],
        });
}

#[test]
fn a_job_overlapping_three_jobs_that_never_run_at_once_is_accepted() {
    // 08–09, 09–10, 10–11 all overlap 08–11, but never more than two run at once.
    let chain = [
        job(1, hours(8, 9)),
        job(2, hours(9, 10)),
        job(3, hours(10, 11)),
    ];
    assert_planned_beside(&chain, job(4, hours(8, 11)));
}

#[test]
fn a_job_touching_three_running_jobs_does_not_overlap_them() {
    let busy = [
        job(1, hours(8, 10)),
        job(2, hours(8, 10)),
        job(3, hours(8, 10)),
    ];
    assert_planned_beside(&busy, job(4, hours(10, 12)));
}

#[test]
fn a_vehicle_cannot_have_two_overlapping_jobs() {
    let same_car = PlanMaintenanceJob {
        vehicle: vehicle(1),
        ..job(2, hours(9, 11))
    };
    Test::given(history(&[job(1, hours(8, 10))]))
        .when(plan(same_car))
        .then_expect_error(WorkshopPlanningError::VehicleDoubleBooked {
            vehicle: vehicle(1),
            job_id: job_id(1),
            slot: hours(8, 10),
        });
}

#[test]
fn a_vehicle_can_have_consecutive_jobs() {
    assert_planned_beside(
        &[job(1, hours(8, 10))],
        PlanMaintenanceJob {
            vehicle: vehicle(1),
            ..job(2, hours(10, 11))
        },
    );
}

#[test]
fn a_technician_cannot_be_planned_on_two_overlapping_jobs() {
    Test::given(history(&[with_tech(job(1, hours(8, 10)), 7)]))
        .when(plan(with_tech(job(2, hours(9, 11)), 7)))
        .then_expect_error(WorkshopPlanningError::TechnicianDoubleBooked {
            technician_id: tech(7),
            job_id: job_id(1),
            slot: hours(8, 10),
        });
}

#[test]
fn a_technician_must_hold_the_skill_for_the_planned_jobs_category() {
    let painter = PlanMaintenanceJob {
        technician: Some(skilled(7, &[Paint, Repairs])),
        ..job(1, hours(8, 10))
    };
    Test::given_no_previous_events()
        .when(plan(painter))
        .then_expect_error(WorkshopPlanningError::TechnicianLacksSkill {
            technician_id: tech(7),
            category: Maintenance,
        });
}

#[test]
fn assigning_a_skilled_free_technician_records_the_assignment() {
    Test::given(history(&[job(1, hours(8, 10))]))
        .when(assign(1, skilled(7, &[Maintenance])))
        .then_expect_events(vec![assigned(7, None)]);
}

#[test]
fn assigning_a_technician_without_the_skill_is_rejected() {
    Test::given(history(&[job(1, hours(8, 10))]))
        .when(assign(1, skilled(7, &[Installation])))
        .then_expect_error(WorkshopPlanningError::TechnicianLacksSkill {
            technician_id: tech(7),
            category: Maintenance,
        });
}

#[test]
fn assigning_a_technician_busy_in_an_overlapping_job_is_rejected() {
    let busy = [with_tech(job(1, hours(8, 10)), 7), job(2, hours(9, 11))];
    Test::given(history(&busy))
        .when(assign(2, skilled(7, &[Maintenance])))
        .then_expect_error(WorkshopPlanningError::TechnicianDoubleBooked {
            technician_id: tech(7),
            job_id: job_id(1),
            slot: hours(8, 10),
        });
}

#[test]
fn reassigning_a_job_replaces_its_previous_technician() {
    let events = history(&[with_tech(job(1, hours(8, 10)), 7)]);
    Test::given(events.clone())
        .when(assign(1, skilled(8, &[Maintenance])))
        .then_expect_events(vec![assigned(8, Some(tech(7)))]);
    // Technician 7 is free again: they can take an overlapping job.
    let mut planning = state(&events);
    let reassigned = planning
        .handle(assign(1, skilled(8, &[Maintenance])))
        .unwrap();
    reassigned.iter().for_each(|event| planning.apply(event));
    assert_eq!(
        planning.job(job_id(1)).and_then(Job::technician),
        Some(tech(8))
    );
    assert!(
        planning
            .handle(plan(with_tech(job(2, hours(9, 11)), 7)))
            .is_ok()
    );
}

#[test]
fn assigning_a_job_its_own_technician_again_does_not_conflict_with_itself() {
    Test::given(history(&[with_tech(job(1, hours(8, 10)), 7)]))
        .when(assign(1, skilled(7, &[Maintenance])))
        .then_expect_events(vec![assigned(7, Some(tech(7)))]);
}

#[test]
fn only_a_planned_job_gets_a_technician() {
    Test::given(job_1_then(finished(1)))
        .when(assign(1, skilled(7, &[Maintenance])))
        .then_expect_error(not_planned(JobStatus::Finished));
}

#[test]
fn finishing_a_planned_job_records_its_actual_slot_and_notes() {
    Test::given(history(&[job(1, hours(8, 10))]))
        .when(finish(1))
        .then_expect_events(vec![finished(1)]);
    let planning = state(&job_1_then(finished(1)));
    let done = planning.job(job_id(1)).unwrap();
    assert_eq!(done.status(), JobStatus::Finished);
    assert_eq!(done.actual(), Some(hours(8, 11)));
    assert_eq!(done.notes(), Some(&text("Pads replaced")));
}

#[test]
fn finishing_or_cancelling_names_the_jobs_vehicle_and_technician() {
    let job_with_tech = with_tech(job(1, hours(8, 10)), 7);
    let then = Test::given(history(&[job_with_tech]))
        .when(cancel(1))
        .into_result();
    assert!(matches!(
        then.unwrap().as_slice(),
        [WorkshopPlanningEvent::JobCancelled { technician_id: Some(t), vehicle, .. }]
            if *t == tech(7) && *vehicle == self::vehicle(1)
    ));
}

#[test]
fn a_finished_job_cannot_be_finished_again() {
    Test::given(job_1_then(finished(1)))
        .when(finish(1))
        .then_expect_error(not_planned(JobStatus::Finished));
}

#[test]
fn a_cancelled_job_cannot_be_finished() {
    Test::given(job_1_then(cancelled(1)))
        .when(finish(1))
        .then_expect_error(not_planned(JobStatus::Cancelled));
}

#[test]
fn cancelling_a_planned_job_records_the_reason() {
    Test::given(history(&[job(1, hours(8, 10))]))
        .when(cancel(1))
        .then_expect_events(vec![cancelled(1)]);
    let planning = state(&job_1_then(cancelled(1)));
    let reason = planning.job(job_id(1)).and_then(Job::cancel_reason);
    assert_eq!(reason, Some(&text("Customer called off")));
}

#[test]
fn only_a_planned_job_can_be_cancelled() {
    for (done, status) in [
        (finished(1), JobStatus::Finished),
        (cancelled(1), JobStatus::Cancelled),
    ] {
        Test::given(job_1_then(done))
            .when(cancel(1))
            .then_expect_error(not_planned(status));
    }
}

#[test]
fn an_unknown_job_id_is_not_found() {
    for command in [assign(9, skilled(7, &[Maintenance])), finish(9), cancel(9)] {
        Test::given(history(&[job(1, hours(8, 10))]))
            .when(command)
            .then_expect_error(WorkshopPlanningError::JobNotFound(job_id(9)));
    }
}

#[test]
fn a_job_command_on_a_date_without_a_planning_is_not_found() {
    for command in [assign(1, skilled(7, &[Maintenance])), finish(1), cancel(1)] {
        Test::given_no_previous_events()
            .when(command)
            .then_expect_error(WorkshopPlanningError::PlanningNotFound);
    }
}

#[test]
fn finished_and_cancelled_jobs_free_their_workstation_vehicle_and_technician() {
    let busy = [
        with_tech(job(1, hours(8, 10)), 7),
        job(2, hours(8, 10)),
        job(3, hours(8, 10)),
    ];
    let events = [history(&busy), vec![cancelled(1), finished(2)]].concat();
    // Same vehicle and technician as job 1, and two more jobs in the freed stations.
    let reuse = with_tech(
        PlanMaintenanceJob {
            vehicle: vehicle(1),
            ..job(5, hours(8, 10))
        },
        7,
    );
    let mut planning = state(&events);
    for next in [reuse, job(6, hours(8, 10))] {
        let accepted = planning
            .handle(plan(next))
            .expect("a freed slot is available");
        accepted.iter().for_each(|event| planning.apply(event));
    }
    assert_eq!(planning.planned_jobs().count(), 3);
    Test::given(events)
        .when(plan(job(5, hours(9, 10))))
        .then_expect_events(vec![planned(&job(5, hours(9, 10)))]);
}

#[test]
fn errors_have_stable_reasons_and_kinds() {
    use WorkshopPlanningError as E;
    let slot = hours(8, 10);
    let cases = [
        (
            E::PlanningNotFound,
            "planning_not_found",
            RuleKind::NotFound,
        ),
        (
            E::JobNotFound(job_id(1)),
            "job_not_found",
            RuleKind::NotFound,
        ),
        (
            E::JobAlreadyExists(job_id(1)),
            "job_already_exists",
            RuleKind::AlreadyExists,
        ),
        (
            E::DateMismatch {
                planning: date(),
                command: date(),
            },
            "planning_date_mismatch",
            RuleKind::Violation,
        ),
        (
            E::SlotOutsideDate(date()),
            "slot_outside_planning_date",
            RuleKind::Violation,
        ),
        (
            E::TooManyOverlappingJobs {
                at: at(0),
                holders: vec![],
            },
            "too_many_overlapping_jobs",
            RuleKind::Violation,
        ),
        (
            E::VehicleDoubleBooked {
                vehicle: vehicle(0),
                job_id: job_id(1),
                slot,
            },
            "vehicle_double_booked",
            RuleKind::Violation,
        ),
        (
            E::TechnicianDoubleBooked {
                technician_id: tech(1),
                job_id: job_id(1),
                slot,
            },
            "technician_double_booked",
            RuleKind::Violation,
        ),
        (
            E::TechnicianLacksSkill {
                technician_id: tech(1),
                category: Paint,
            },
            "technician_lacks_skill",
            RuleKind::Violation,
        ),
        (
            E::JobNotPlanned {
                job_id: job_id(1),
                status: JobStatus::Finished,
            },
            "job_not_planned",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind), "{error:?}");
    }
}

// ---------------------------------------------------------------- properties

/// One random plan command: quarter-hour slot from 08:00, vehicle 0–3, maybe one of
/// three technicians (all skilled, so only the overlap rules can refuse).
fn arbitrary_job() -> impl Strategy<Value = (i64, i64, usize, Option<u128>)> {
    (
        0i64..40,
        1i64..12,
        0usize..4,
        proptest::option::of(0u128..3),
    )
}

/// Independent oracle: the most planned jobs in progress at once, checked at every
/// job start (a maximum of simultaneous jobs always begins at some job's start).
fn most_at_once(slots: &[Timeslot]) -> usize {
    slots
        .iter()
        .map(|s| slots.iter().filter(|o| o.contains(s.start())).count())
        .max()
        .unwrap_or(0)
}

fn pairwise_disjoint(slots: &[Timeslot]) -> bool {
    slots
        .iter()
        .enumerate()
        .all(|(i, a)| slots[i + 1..].iter().all(|b| !a.overlaps(b)))
}

proptest! {
    #[test]
    fn accepted_plans_never_overbook_workstations_vehicles_or_technicians(
        jobs in proptest::collection::vec(arbitrary_job(), 1..30)
    ) {
        let mut planning = WorkshopPlanning::default();
        for (n, (start, length, car, technician)) in jobs.into_iter().enumerate() {
            let slot = Timeslot::new(
                "slot",
                at(8 * 60 + start * 15),
                at(8 * 60 + (start + length) * 15),
            ).unwrap();
            let mut next = job(n as u128, slot);
            next.vehicle = vehicle(car);
            next.technician = technician.map(|t| skilled(t, &ServiceCategory::ALL));

            // What the oracle says the rules demand, before asking the aggregate.
            let others: Vec<&Job> = planning.planned_jobs().collect();
            let mut slots: Vec<Timeslot> = others.iter().map(|j| j.slot()).collect();
            slots.push(slot);
            let car_clash = others.iter().any(|j| j.vehicle() == &next.vehicle && j.slot().overlaps(&slot));
            let tech_clash = next.technician.as_ref().is_some_and(|t| {
                others.iter().any(|j| j.technician() == Some(t.id) && j.slot().overlaps(&slot))
            });
            let must_refuse = car_clash || tech_clash || most_at_once(&slots) > WORKSTATIONS;

            match planning.handle(plan(next)) {
                Ok(events) => {
                    prop_assert!(!must_refuse, "accepted a job the rules forbid");
                    events.iter().for_each(|event| planning.apply(event));
                }
                Err(error) => {
                    prop_assert!(must_refuse, "refused a valid job: {error:?}");
                }
            }
        }

        let planned: Vec<&Job> = planning.planned_jobs().collect();
        let slots: Vec<Timeslot> = planned.iter().map(|j| j.slot()).collect();
        prop_assert!(most_at_once(&slots) <= WORKSTATIONS);
        for car in 0..4 {
            let booked: Vec<Timeslot> = planned.iter()
                .filter(|j| j.vehicle() == &vehicle(car)).map(|j| j.slot()).collect();
            prop_assert!(pairwise_disjoint(&booked), "vehicle {car} double-booked");
        }
        for t in 0..3 {
            let booked: Vec<Timeslot> = planned.iter()
                .filter(|j| j.technician() == Some(tech(t))).map(|j| j.slot()).collect();
            prop_assert!(pairwise_disjoint(&booked), "technician {t} double-booked");
        }
    }
}
