//! Faults an operator or an attacker meets (issue 13): the platform must notice them
//! and say so, never serve on as if nothing happened. Each test starts the whole
//! embedded platform (`pitlane up`) on a data directory of its own.

mod rewound_log;
