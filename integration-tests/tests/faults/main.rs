//! Faults an operator or an attacker meets (issue 13): the platform must notice them
//! and say so, never serve on as if nothing happened. Each test starts the whole
//! embedded platform (`pitlane up`) on a data directory of its own.

// The REST suite's platform and client; not every helper is used here.
#[allow(dead_code)]
#[path = "../rest/helpers.rs"]
mod helpers;

mod disk_full;
mod kill_nine;
mod rewound_log;
mod stalled_booking;
