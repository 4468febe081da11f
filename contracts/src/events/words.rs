//! What several aggregates' events share: time slots and the closed vocabularies
//! (snake_case words) of statuses, kinds and the workshop's catalogue.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A half-open span of time, `start` before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Declares a closed vocabulary: each variant's word is written once, and the enum
/// gets serde and JSON Schema as that word, [`as_str`](Self::as_str), `ALL` and `parse`.
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident = $word:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $word)] $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word events and read models carry.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word, )+
                }
            }

            /// The value a stored word names, if any.
            pub fn parse(word: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == word)
            }
        }
    };
}
pub(crate) use words;

words! {
    /// The workshop's service categories; a technician's skills are categories.
    pub enum ServiceCategory {
        Repairs = "repairs",
        Paint = "paint",
        Maintenance = "maintenance",
        Installation = "installation",
    }
}

words! {
    /// The services of the workshop's catalogue, each of one category.
    pub enum MaintenanceService {
        CurbRashRepair = "curb_rash_repair",
        LeakedValveRepair = "leaked_valve_repair",
        PanelPaint = "panel_paint",
        FullCarPaint = "full_car_paint",
        TireRotation = "tire_rotation",
        CoolingSystem = "cooling_system",
        CabinAirFilterReplacement = "cabin_air_filter_replacement",
        Suspension = "suspension",
        Steering = "steering",
        BrakeSystem = "brake_system",
        PaintProtectionFilm = "paint_protection_film",
        HomeCharger = "home_charger",
        WindowFilm = "window_film",
        CosmeticLights = "cosmetic_lights",
        TwelveVoltBattery = "twelve_volt_battery",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_reads_back_as_its_value_and_an_unknown_word_as_none() {
        for service in MaintenanceService::ALL {
            assert_eq!(MaintenanceService::parse(service.as_str()), Some(*service));
            let json = serde_json::to_value(service).unwrap();
            assert_eq!(json, service.as_str());
        }
        assert_eq!(ServiceCategory::parse("welding"), None);
    }
}
