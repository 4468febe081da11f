//! The workshop's service catalogue (DOMAIN.md): every service belongs to exactly one
//! category, and a technician's skills are categories, so "can this technician do this
//! job" is `skills.contains(&service.category())`.

use contracts::v1;
use serde::{Deserialize, Serialize};

use crate::shared::{FieldError, required_enum};

/// A group of services; technicians are skilled per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceCategory {
    Repairs,
    Paint,
    Maintenance,
    Installation,
}

/// One service of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceService {
    CurbRashRepair,
    LeakedValveRepair,
    PanelPaint,
    FullCarPaint,
    TireRotation,
    CoolingSystem,
    CabinAirFilterReplacement,
    Suspension,
    Steering,
    BrakeSystem,
    PaintProtectionFilm,
    HomeCharger,
    WindowFilm,
    CosmeticLights,
    TwelveVoltBattery,
}

impl ServiceCategory {
    pub const ALL: [ServiceCategory; 4] = [
        ServiceCategory::Repairs,
        ServiceCategory::Paint,
        ServiceCategory::Maintenance,
        ServiceCategory::Installation,
    ];

    /// Parses a proto enum field: UNSPECIFIED is "is required", unknown values rejected.
    pub fn parse(field: &str, raw: i32) -> Result<Self, FieldError> {
        let proto = required_enum::<v1::ServiceCategory>(field, raw)?;
        Self::try_from(proto).map_err(|_| FieldError::new(field, "is required"))
    }
}

impl MaintenanceService {
    pub const ALL: [MaintenanceService; 15] = [
        MaintenanceService::CurbRashRepair,
        MaintenanceService::LeakedValveRepair,
        MaintenanceService::PanelPaint,
        MaintenanceService::FullCarPaint,
        MaintenanceService::TireRotation,
        MaintenanceService::CoolingSystem,
        MaintenanceService::CabinAirFilterReplacement,
        MaintenanceService::Suspension,
        MaintenanceService::Steering,
        MaintenanceService::BrakeSystem,
        MaintenanceService::PaintProtectionFilm,
        MaintenanceService::HomeCharger,
        MaintenanceService::WindowFilm,
        MaintenanceService::CosmeticLights,
        MaintenanceService::TwelveVoltBattery,
    ];

    /// The category a technician needs as a skill to do this service.
    pub fn category(self) -> ServiceCategory {
        use MaintenanceService::*;
        match self {
            CurbRashRepair | LeakedValveRepair => ServiceCategory::Repairs,
            PanelPaint | FullCarPaint => ServiceCategory::Paint,
            TireRotation
            | CoolingSystem
            | CabinAirFilterReplacement
            | Suspension
            | Steering
            | BrakeSystem => ServiceCategory::Maintenance,
            PaintProtectionFilm | HomeCharger | WindowFilm | CosmeticLights | TwelveVoltBattery => {
                ServiceCategory::Installation
            }
        }
    }

    /// Parses a proto enum field: UNSPECIFIED is "is required", unknown values rejected.
    pub fn parse(field: &str, raw: i32) -> Result<Self, FieldError> {
        let proto = required_enum::<v1::MaintenanceService>(field, raw)?;
        Self::try_from(proto).map_err(|_| FieldError::new(field, "is required"))
    }
}

/// The proto value was UNSPECIFIED, which names no category or service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the value is unspecified")]
pub struct Unspecified;

impl TryFrom<v1::ServiceCategory> for ServiceCategory {
    type Error = Unspecified;

    fn try_from(proto: v1::ServiceCategory) -> Result<Self, Unspecified> {
        match proto {
            v1::ServiceCategory::Unspecified => Err(Unspecified),
            v1::ServiceCategory::Repairs => Ok(ServiceCategory::Repairs),
            v1::ServiceCategory::Paint => Ok(ServiceCategory::Paint),
            v1::ServiceCategory::Maintenance => Ok(ServiceCategory::Maintenance),
            v1::ServiceCategory::Installation => Ok(ServiceCategory::Installation),
        }
    }
}

impl From<ServiceCategory> for v1::ServiceCategory {
    fn from(category: ServiceCategory) -> Self {
        match category {
            ServiceCategory::Repairs => v1::ServiceCategory::Repairs,
            ServiceCategory::Paint => v1::ServiceCategory::Paint,
            ServiceCategory::Maintenance => v1::ServiceCategory::Maintenance,
            ServiceCategory::Installation => v1::ServiceCategory::Installation,
        }
    }
}

impl TryFrom<v1::MaintenanceService> for MaintenanceService {
    type Error = Unspecified;

    fn try_from(proto: v1::MaintenanceService) -> Result<Self, Unspecified> {
        use MaintenanceService as S;
        use v1::MaintenanceService as P;
        Ok(match proto {
            P::Unspecified => return Err(Unspecified),
            P::CurbRashRepair => S::CurbRashRepair,
            P::LeakedValveRepair => S::LeakedValveRepair,
            P::PanelPaint => S::PanelPaint,
            P::FullCarPaint => S::FullCarPaint,
            P::TireRotation => S::TireRotation,
            P::CoolingSystem => S::CoolingSystem,
            P::CabinAirFilterReplacement => S::CabinAirFilterReplacement,
            P::Suspension => S::Suspension,
            P::Steering => S::Steering,
            P::BrakeSystem => S::BrakeSystem,
            P::PaintProtectionFilm => S::PaintProtectionFilm,
            P::HomeCharger => S::HomeCharger,
            P::WindowFilm => S::WindowFilm,
            P::CosmeticLights => S::CosmeticLights,
            P::TwelveVoltBattery => S::TwelveVoltBattery,
        })
    }
}

impl From<MaintenanceService> for v1::MaintenanceService {
    fn from(service: MaintenanceService) -> Self {
        use MaintenanceService as S;
        use v1::MaintenanceService as P;
        match service {
            S::CurbRashRepair => P::CurbRashRepair,
            S::LeakedValveRepair => P::LeakedValveRepair,
            S::PanelPaint => P::PanelPaint,
            S::FullCarPaint => P::FullCarPaint,
            S::TireRotation => P::TireRotation,
            S::CoolingSystem => P::CoolingSystem,
            S::CabinAirFilterReplacement => P::CabinAirFilterReplacement,
            S::Suspension => P::Suspension,
            S::Steering => P::Steering,
            S::BrakeSystem => P::BrakeSystem,
            S::PaintProtectionFilm => P::PaintProtectionFilm,
            S::HomeCharger => P::HomeCharger,
            S::WindowFilm => P::WindowFilm,
            S::CosmeticLights => P::CosmeticLights,
            S::TwelveVoltBattery => P::TwelveVoltBattery,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MaintenanceService::*;
    use ServiceCategory::*;

    /// DOMAIN.md's catalogue, written out independently of `category()`.
    const CATALOGUE: [(MaintenanceService, ServiceCategory); 15] = [
        (CurbRashRepair, Repairs),
        (LeakedValveRepair, Repairs),
        (PanelPaint, Paint),
        (FullCarPaint, Paint),
        (TireRotation, Maintenance),
        (CoolingSystem, Maintenance),
        (CabinAirFilterReplacement, Maintenance),
        (Suspension, Maintenance),
        (Steering, Maintenance),
        (BrakeSystem, Maintenance),
        (PaintProtectionFilm, Installation),
        (HomeCharger, Installation),
        (WindowFilm, Installation),
        (CosmeticLights, Installation),
        (TwelveVoltBattery, Installation),
    ];

    #[test]
    fn every_service_belongs_to_the_category_domain_md_gives_it() {
        for (service, category) in CATALOGUE {
            assert_eq!(service.category(), category, "{service:?}");
        }
        let listed: Vec<_> = CATALOGUE.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            listed,
            MaintenanceService::ALL,
            "the catalogue lists every service"
        );
    }

    #[test]
    fn services_and_categories_serialise_as_snake_case() {
        assert_eq!(
            serde_json::to_value(CabinAirFilterReplacement).unwrap(),
            "cabin_air_filter_replacement"
        );
        assert_eq!(
            serde_json::to_value(TwelveVoltBattery).unwrap(),
            "twelve_volt_battery"
        );
        assert_eq!(serde_json::to_value(Installation).unwrap(), "installation");
    }

    #[test]
    fn every_service_and_category_round_trips_through_its_proto_value() {
        for service in MaintenanceService::ALL {
            let proto = v1::MaintenanceService::from(service);
            assert_eq!(MaintenanceService::try_from(proto), Ok(service));
            assert_eq!(
                MaintenanceService::parse("service", proto as i32),
                Ok(service)
            );
        }
        for category in ServiceCategory::ALL {
            let proto = v1::ServiceCategory::from(category);
            assert_eq!(ServiceCategory::try_from(proto), Ok(category));
        }
    }

    #[test]
    fn unspecified_and_unknown_proto_values_are_rejected_naming_the_field() {
        assert_eq!(
            MaintenanceService::try_from(v1::MaintenanceService::Unspecified),
            Err(Unspecified)
        );
        for raw in [0, 9] {
            let error = ServiceCategory::parse("skills", raw).unwrap_err();
            assert_eq!(error.field, "skills", "{raw}");
        }
        for raw in [0, 16] {
            let error = MaintenanceService::parse("service", raw).unwrap_err();
            assert_eq!(error.field, "service", "{raw}");
        }
    }
}
