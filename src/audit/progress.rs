//! Progress of long audit runs: a bar with rate and ETA on a terminal, a plain line
//! every 2 s otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use es_core::audit::Progress;

pub struct Reporter {
    label: &'static str,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_line: Instant,
}

impl Reporter {
    pub fn new(label: &'static str) -> Self {
        Reporter {
            label,
            bar: None,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }
}

impl Progress for Reporter {
    fn start(&mut self, expected_events: Option<u64>) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = match expected_events {
            Some(total) => indicatif::ProgressBar::new(total),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let style = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {human_pos}/{human_len} events, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(self.label);
        self.bar = Some(bar);
    }

    fn advance(&mut self, events_done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(events_done);
        } else if self.last_line.elapsed() >= Duration::from_secs(2) {
            self.last_line = Instant::now();
            let rate = events_done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            eprintln!("{}: {events_done} events ({rate:.0} events/s)", self.label);
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
