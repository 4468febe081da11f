//! `bench audit`: the auditors' verify and export over a realistic log.

use std::io::{BufReader, BufWriter};
use std::time::Instant;

use es_core::audit::{self, Filter, NoProgress, Scope};

use super::workload::realistic_log;

pub async fn run_bench(events: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (sqlite, total) = realistic_log(dir.path(), events).await?;

    let (started, cpu) = (Instant::now(), cpu_seconds());
    // The store itself, not `dyn EventStore`: verify and export take the lean file path.
    let report = audit::verify(&*sqlite, &Scope::All, NoProgress).await?;
    let verify_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.is_intact(),
        "verify found a break: {:?}",
        report.first_break
    );
    anyhow::ensure!(
        report.events_checked == total,
        "verify checked {} of {total} events",
        report.events_checked
    );
    eprintln!(
        "verified {} events in {} streams in {verify_secs:.2} s ({})",
        report.events_checked,
        report.streams_checked,
        cpu_per_event(cpu, total)
    );

    let path = dir.path().join("export.ndjson");
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let summary = audit::export(
        &*sqlite,
        &Scope::All,
        &Filter::default(),
        &mut out,
        NoProgress,
    )
    .await?;
    drop(out);
    let export_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.trailer.count == total,
        "export wrote {} of {total} events",
        summary.trailer.count
    );
    let bytes = std::fs::metadata(&path)?.len();
    eprintln!(
        "exported {} events ({:.0} MiB) in {export_secs:.2} s ({})",
        summary.trailer.count,
        bytes as f64 / (1 << 20) as f64,
        cpu_per_event(cpu, total)
    );

    // Not a RESULT: the offline check of the file, for information.
    let started = Instant::now();
    let file = BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let checked =
        tokio::task::spawn_blocking(move || audit::verify_export(file, NoProgress)).await??;
    anyhow::ensure!(
        checked.is_intact(),
        "the export does not verify: {:?}",
        checked.first_problem
    );
    eprintln!(
        "verified the export file in {:.2} s ({:.0} events/s)",
        started.elapsed().as_secs_f64(),
        checked.events_checked as f64 / started.elapsed().as_secs_f64()
    );

    super::result("verify_all", total as f64 / verify_secs, "events/s");
    super::result("export_all", total as f64 / export_secs, "events/s");
    Ok(())
}

/// CPU time of this process so far (user + system), where Linux tells it: on a shared
/// machine it varies less than wall time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some((utime + stime) / 100.0)
}

fn cpu_per_event(before: Option<f64>, events: u64) -> String {
    match (before, cpu_seconds()) {
        (Some(before), Some(after)) => format!(
            "{:.2} µs CPU per event",
            (after - before) * 1e6 / events as f64
        ),
        _ => "CPU time unknown".to_owned(),
    }
}
