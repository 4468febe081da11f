//! The one-line, human-readable summary each delivery event gets in the timeline.
//!
//! Summaries name ids, not people: a driver's name lives in another projection that may
//! lag or be rebuilt, and a stored summary never changes afterwards. Free texts
//! (reasons, descriptions, resolutions) are cut to [`MAX_EXCERPT`] characters; the full
//! text stays readable in the delivery's detail.

use contracts::events::DeliveryEvent;

/// The most characters of a free text a summary quotes.
pub const MAX_EXCERPT: usize = 80;

/// The summary of `change`; `incident_type` is the type of the incident a resolution
/// refers to, when the read model knows it.
pub fn summary(change: &DeliveryEvent, incident_type: Option<&str>) -> String {
    match change {
        DeliveryEvent::Created(e) => {
            let n = e.checkpoints.len();
            let plural = if n == 1 { "" } else { "s" };
            format!(
                "created on route {} with {n} checkpoint{plural}",
                e.route_id
            )
        }
        DeliveryEvent::DriverAssigned(e) => with_previous(
            format!("driver {} assigned", e.driver_id),
            e.previous_driver_id,
        ),
        DeliveryEvent::VehicleAssigned(e) => with_previous(
            format!("vehicle {} assigned", e.vehicle_license_number),
            e.previous_vehicle_license_number.as_ref(),
        ),
        DeliveryEvent::StatusChanged(e) => {
            let change = format!("{} → {}", e.from.as_str(), e.to.as_str());
            match &e.reason {
                Some(reason) => format!("{change}: {}", excerpt(reason)),
                None => change,
            }
        }
        DeliveryEvent::CheckpointReached(e) => {
            format!("reached checkpoint {} ({})", e.sequence, e.location)
        }
        DeliveryEvent::IncidentReported(e) => format!(
            "incident reported ({}): {}",
            e.incident_type,
            excerpt(&e.description)
        ),
        DeliveryEvent::IncidentResolved(e) => match incident_type {
            Some(kind) => format!("incident resolved ({kind}): {}", excerpt(&e.resolution)),
            None => format!("incident resolved: {}", excerpt(&e.resolution)),
        },
        DeliveryEvent::ProofOfDeliveryCaptured(e) => {
            format!(
                "proof of delivery captured, received by {}",
                e.receiver_name
            )
        }
    }
}

fn with_previous(text: String, previous: Option<impl std::fmt::Display>) -> String {
    match previous {
        Some(previous) => format!("{text}, replacing {previous}"),
        None => text,
    }
}

/// `text` cut to [`MAX_EXCERPT`] characters (not bytes), with `…` when cut.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_EXCERPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_free_text_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_EXCERPT + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), MAX_EXCERPT + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("short"), "short");
    }
}
