//! Verifying an export file offline: every line parses, every event's hash matches its
//! content, the chains of the exported events link up, and the trailer agrees.
//!
//! A stream exported from its version 1 is checked from genesis (zero `prev_hash`). A
//! stream whose first exported event is a later version (an export that starts at a
//! position mid-stream) is checked from that event on, taking its own `prev_hash` as
//! the seed: the link to the events before it is not in the file and is not claimed.
//! A version jump within a stream re-seeds the same way. Whether those are allowed is
//! what the trailer's `streams` ([`Coverage`]) claims: `from_start` allows neither (a
//! missing first event or a jump is a removed line), `contiguous` allows the late
//! start only, `sparse` (events picked by type, correlation, actor or time) both.
//!
//! What this cannot prove: that nothing was cut from the end of a stream, or a whole
//! stream left out, by someone who also fixed the trailer. The trailer is not a
//! signature; comparing the hashes with the store's (`verify`) is what ties an export
//! to the log.

use std::fmt;
use std::io::{self, BufRead};

use crate::hash::Hash;

use super::chains::{Chains, Linked, Start};
use super::export::{ExportLine, FORMAT, Trailer, TrailerLine, WitnessHeader, WitnessLine};
use super::filter::Coverage;
use super::progress::Progress;
use super::report::{Break, BrokenLink};
use super::source::{PAGE, Row};
use super::witnessed::{HeadCheck, WitnessProblem, WitnessReport, Witnessed};
use crate::heads::TrustedKeys;

/// The outcome of [`verify_export`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Lines read, the trailer included.
    pub lines: u64,
    /// Events whose line parsed and whose link held (those before the first problem).
    pub events_checked: u64,
    pub streams_checked: u64,
    /// The trailer, when the file has one that parses.
    pub trailer: Option<Trailer>,
    /// The witness line, when the file opens with one, and what its head said.
    pub witness: Option<(WitnessHeader, WitnessReport)>,
    /// The problem on the earliest line, if any.
    pub first_problem: Option<ExportProblem>,
}

impl ExportReport {
    pub fn is_intact(&self) -> bool {
        self.first_problem.is_none()
    }
}

/// What is wrong with an export file; `line` numbers start at 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportProblem {
    /// The line is neither an event line nor the trailer (cut, edited, not JSON).
    Malformed { line: u64, reason: String },
    /// The event on this line does not hold: its hash, or its link to the previous
    /// exported event of its stream.
    Broken { line: u64, link: BrokenLink },
    /// The file ends without a trailer: it was cut short.
    MissingTrailer { lines: u64 },
    /// The trailer is of another format.
    UnknownFormat { line: u64, format: String },
    /// The trailer counts a different number of events than the lines above it.
    CountMismatch { line: u64, trailer: u64, found: u64 },
    /// The trailer's `last_hash` is not the hash of the last event line.
    LastHashMismatch {
        line: u64,
        trailer: Option<Hash>,
        found: Option<Hash>,
    },
    /// A line follows the trailer.
    AfterTrailer { line: u64 },
    /// The events are not the log the witness line's signed head witnessed.
    Witness { line: u64, problem: WitnessProblem },
}

impl ExportProblem {
    /// The line it is on (one past the last line for a missing trailer).
    pub fn line(&self) -> u64 {
        match self {
            ExportProblem::Malformed { line, .. }
            | ExportProblem::Broken { line, .. }
            | ExportProblem::UnknownFormat { line, .. }
            | ExportProblem::CountMismatch { line, .. }
            | ExportProblem::LastHashMismatch { line, .. }
            | ExportProblem::AfterTrailer { line }
            | ExportProblem::Witness { line, .. } => *line,
            ExportProblem::MissingTrailer { lines } => lines + 1,
        }
    }
}

impl fmt::Display for ExportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = |hash: &Option<Hash>| hash.map_or("null".to_owned(), |h| h.to_hex());
        match self {
            ExportProblem::Malformed { line, reason } => {
                write!(f, "line {line} is not an export line: {reason}")
            }
            ExportProblem::Broken { line, link } => write!(f, "line {line}: {link}"),
            ExportProblem::MissingTrailer { lines } => {
                write!(f, "no trailer after line {lines}: the export was cut short")
            }
            ExportProblem::UnknownFormat { line, format } => write!(
                f,
                "line {line}: the trailer's format is `{format}`, expected `{FORMAT}`"
            ),
            ExportProblem::CountMismatch {
                line,
                trailer,
                found,
            } => write!(
                f,
                "line {line}: the trailer counts {trailer} events, the file has {found}"
            ),
            ExportProblem::LastHashMismatch {
                line,
                trailer,
                found,
            } => write!(
                f,
                "line {line}: the trailer's last hash is {}, the last event's is {}",
                hex(trailer),
                hex(found)
            ),
            ExportProblem::AfterTrailer { line } => {
                write!(f, "line {line} follows the trailer")
            }
            ExportProblem::Witness { line, problem } => write!(f, "line {line}: {problem}"),
        }
    }
}

/// Re-verifies an export (format `pitlane-export-v1`) read from `reader`, without the
/// store; see the module docs for how chains that start mid-stream are checked.
///
/// Content problems are in the report, the first by line; only a failing reader is an
/// error. Memory grows with the number of streams, not of lines.
pub fn verify_export(
    mut reader: impl BufRead,
    mut progress: impl Progress,
) -> io::Result<ExportReport> {
    progress.start(None);
    // Checked as if late starts and gaps were allowed; whether they are is known at
    // the trailer.
    let mut chains = Chains::new(Start::Anywhere);
    let mut scan = Scan::default();
    let mut buffer = Vec::with_capacity(4096);
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        scan.lines += 1;
        let line = trim_line_end(&buffer);
        if scan.trailer.is_some() {
            scan.problem(ExportProblem::AfterTrailer { line: scan.lines });
        } else if scan.lines == 1 && line.starts_with(b"{\"witness\"") {
            scan.read_witness(line);
        } else if line.starts_with(b"{\"trailer\"") {
            scan.read_trailer(line);
        } else {
            scan.event_lines += 1;
            if scan.hard.is_none() {
                scan.check_event(&mut chains, line);
            }
        }
        if scan.lines % PAGE as u64 == 0 {
            progress.advance(scan.events_checked);
        }
    }
    progress.advance(scan.events_checked);
    Ok(scan.into_report(&chains))
}

/// What the reading has seen so far.
#[derive(Default)]
struct Scan {
    lines: u64,
    event_lines: u64,
    events_checked: u64,
    last_hash: Option<Hash>,
    trailer: Option<(u64, Trailer)>,
    /// The first problem that is one whatever the trailer says; checking stops there.
    hard: Option<ExportProblem>,
    /// The first stream starting after version 1: a problem if the trailer says
    /// `from_start`.
    seeded: Option<ExportProblem>,
    /// The first version jump: a problem unless the trailer says `sparse`.
    jump: Option<ExportProblem>,
    /// The witness line and the running check of its head.
    witness: Option<(WitnessHeader, HeadCheck)>,
    last_position: u64,
}

impl Scan {
    fn problem(&mut self, problem: ExportProblem) {
        if self.hard.is_none() {
            self.hard = Some(problem);
        }
    }

    fn check_event(&mut self, chains: &mut Chains, text: &[u8]) {
        let line = self.lines;
        let row = match serde_json::from_slice::<ExportLine<'_>>(text) {
            Ok(parsed) => Row {
                event: parsed.to_header(),
                payload_text: Some(parsed.payload.get().to_owned()),
            },
            Err(e) => {
                let reason = e.to_string();
                return self.problem(ExportProblem::Malformed { line, reason });
            }
        };
        match chains.check(&row) {
            Ok(linked) => {
                self.events_checked += 1;
                self.last_hash = Some(row.event.hash);
                self.last_position = row.event.position;
                if let Some((_, check)) = &mut self.witness {
                    check.advance(row.event.position, &row.event.hash);
                }
                let (first, expected) = match linked {
                    Linked::Next => return,
                    Linked::Seeded => (&mut self.seeded, 1),
                    Linked::Jumped { expected } => (&mut self.jump, expected),
                };
                if first.is_none() {
                    let event = row.event;
                    let link = BrokenLink {
                        stream_id: event.stream_id,
                        version: event.version,
                        position: Some(event.position),
                        problem: Break::Version {
                            expected,
                            found: event.version,
                        },
                    };
                    *first = Some(ExportProblem::Broken { line, link });
                }
            }
            Err(link) => self.problem(ExportProblem::Broken { line, link: *link }),
        }
    }

    fn read_witness(&mut self, text: &[u8]) {
        match serde_json::from_slice::<WitnessLine>(text) {
            Ok(WitnessLine { witness }) => {
                let check = HeadCheck::new(Witnessed {
                    heads: vec![witness.head.clone()],
                    trusted: TrustedKeys::new(witness.keys.clone()),
                });
                self.witness = Some((witness, check));
            }
            Err(e) => {
                let reason = format!("a malformed witness line: {e}");
                self.problem(ExportProblem::Malformed { line: 1, reason });
            }
        }
    }

    fn read_trailer(&mut self, text: &[u8]) {
        let line = self.lines;
        match serde_json::from_slice::<TrailerLine>(text) {
            Ok(TrailerLine { trailer }) => self.trailer = Some((line, trailer)),
            Err(e) => {
                let reason = format!("a malformed trailer: {e}");
                self.problem(ExportProblem::Malformed { line, reason });
            }
        }
    }

    fn into_report(mut self, chains: &Chains) -> ExportReport {
        // Checked to the end only when every event line held.
        let complete = self.hard.is_none();
        let witness = self.witness.take().map(|(header, check)| {
            let report = check.finish(self.last_position, complete);
            (header, report)
        });
        // A statement about the whole file: reported at its last line, after any
        // more precise problem.
        let lines = self.lines;
        let witness_problem = witness.as_ref().and_then(|(_, report)| {
            report
                .problem
                .clone()
                .map(|problem| ExportProblem::Witness {
                    line: lines,
                    problem,
                })
        });
        let trailer_problem = match &self.trailer {
            None => Some(ExportProblem::MissingTrailer { lines: self.lines }),
            Some((line, trailer)) => self.trailer_problem(*line, trailer),
        };
        // Without a trailer nothing is claimed (and the file is cut short anyway).
        let claim = self.trailer.as_ref().map(|(_, trailer)| trailer.streams);
        let seeded = self.seeded.filter(|_| claim == Some(Coverage::FromStart));
        let jump = self
            .jump
            .filter(|_| matches!(claim, Some(Coverage::FromStart | Coverage::Contiguous)));
        let first_problem = match trailer_problem {
            // The lines were read as this format's; another format's say nothing.
            Some(unknown @ ExportProblem::UnknownFormat { .. }) => Some(unknown),
            trailer_problem => [self.hard, seeded, jump, trailer_problem, witness_problem]
                .into_iter()
                .flatten()
                .min_by_key(ExportProblem::line),
        };
        ExportReport {
            lines: self.lines,
            events_checked: self.events_checked,
            streams_checked: chains.streams(),
            trailer: self.trailer.map(|(_, trailer)| trailer),
            witness,
            first_problem,
        }
    }

    fn trailer_problem(&self, line: u64, trailer: &Trailer) -> Option<ExportProblem> {
        if trailer.format != FORMAT {
            let format = trailer.format.clone();
            return Some(ExportProblem::UnknownFormat { line, format });
        }
        if trailer.count != self.event_lines {
            return Some(ExportProblem::CountMismatch {
                line,
                trailer: trailer.count,
                found: self.event_lines,
            });
        }
        // Only meaningful when every event line was checked (no problem above the trailer).
        let all_checked = self.hard.as_ref().is_none_or(|p| p.line() > line);
        if all_checked && trailer.last_hash != self.last_hash {
            return Some(ExportProblem::LastHashMismatch {
                line,
                trailer: trailer.last_hash,
                found: self.last_hash,
            });
        }
        None
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
