//! The delivery status machine: `picked_up → in_transit → out_for_delivery →
//! delivered`; any non-terminal status → `failed`; `failed → picked_up` (retry);
//! `delivered` is terminal.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    Failed,
}

/// Every transition the machine allows, as `(from, to)`.
pub const TRANSITIONS: [(DeliveryStatus, DeliveryStatus); 7] = {
    use DeliveryStatus::*;
    [
        (PickedUp, InTransit),
        (InTransit, OutForDelivery),
        (OutForDelivery, Delivered),
        (PickedUp, Failed),
        (InTransit, Failed),
        (OutForDelivery, Failed),
        (Failed, PickedUp),
    ]
};

impl DeliveryStatus {
    pub fn can_become(self, to: DeliveryStatus) -> bool {
        TRANSITIONS.contains(&(self, to))
    }

    /// `delivered` is the only status nothing leaves (a failed delivery can be retried).
    pub fn is_terminal(self) -> bool {
        self == DeliveryStatus::Delivered
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::PickedUp => "picked_up",
            DeliveryStatus::InTransit => "in_transit",
            DeliveryStatus::OutForDelivery => "out_for_delivery",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::*;
    use super::*;

    const ALL: [DeliveryStatus; 5] = [PickedUp, InTransit, OutForDelivery, Delivered, Failed];

    #[test]
    fn delivered_is_the_only_status_nothing_leaves() {
        for status in ALL {
            let leaves = ALL.iter().any(|to| status.can_become(*to));
            assert_eq!(status.is_terminal(), !leaves, "{status}");
        }
    }

    #[test]
    fn every_non_terminal_status_except_failed_can_fail() {
        for status in ALL {
            let expected = matches!(status, PickedUp | InTransit | OutForDelivery);
            assert_eq!(status.can_become(Failed), expected, "{status}");
        }
    }

    #[test]
    fn statuses_serialise_as_snake_case() {
        for status in ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
