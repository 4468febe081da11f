//! The workshop's stored words (snake_case, as the command side serialises them) and
//! their proto enums.
//!
//! Read models store the event's own snake_case value (`tire_rotation`, `planned`), so a
//! rebuild never depends on proto numbering. Proto enum names are that value upper-cased
//! behind the enum's prefix (`MAINTENANCE_SERVICE_TIRE_ROTATION`), which lets one rule
//! map every word; a word no proto value names (a newer producer) reads as UNSPECIFIED
//! rather than failing the whole query.

use contracts::v1;

pub fn service_category(stored: &str) -> v1::ServiceCategory {
    v1::ServiceCategory::from_str_name(&proto_name("SERVICE_CATEGORY_", stored)).unwrap_or_default()
}

pub fn maintenance_service(stored: &str) -> v1::MaintenanceService {
    v1::MaintenanceService::from_str_name(&proto_name("MAINTENANCE_SERVICE_", stored))
        .unwrap_or_default()
}

pub fn job_status(stored: &str) -> v1::JobStatus {
    v1::JobStatus::from_str_name(&proto_name("JOB_STATUS_", stored)).unwrap_or_default()
}

pub fn technician_status(stored: &str) -> v1::TechnicianStatus {
    v1::TechnicianStatus::from_str_name(&proto_name("TECHNICIAN_STATUS_", stored))
        .unwrap_or_default()
}

/// The stored word of a proto value (`TECHNICIAN_STATUS_ACTIVE` → `active`).
pub fn stored_word(proto_name: &str, prefix: &str) -> String {
    proto_name
        .strip_prefix(prefix)
        .unwrap_or(proto_name)
        .to_ascii_lowercase()
}

fn proto_name(prefix: &str, stored: &str) -> String {
    format!("{prefix}{}", stored.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_word_maps_to_its_proto_value_and_back() {
        assert_eq!(
            service_category("installation"),
            v1::ServiceCategory::Installation
        );
        assert_eq!(
            maintenance_service("twelve_volt_battery"),
            v1::MaintenanceService::TwelveVoltBattery
        );
        assert_eq!(
            maintenance_service("cabin_air_filter_replacement"),
            v1::MaintenanceService::CabinAirFilterReplacement
        );
        assert_eq!(job_status("cancelled"), v1::JobStatus::Cancelled);
        assert_eq!(
            technician_status("inactive"),
            v1::TechnicianStatus::Inactive
        );
        assert_eq!(
            stored_word(
                v1::ServiceCategory::Paint.as_str_name(),
                "SERVICE_CATEGORY_"
            ),
            "paint"
        );
    }

    #[test]
    fn a_word_no_proto_value_names_reads_as_unspecified() {
        assert_eq!(
            service_category("welding"),
            v1::ServiceCategory::Unspecified
        );
        assert_eq!(job_status(""), v1::JobStatus::Unspecified);
    }
}
