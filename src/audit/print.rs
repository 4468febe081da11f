//! How audit answers are shown: readable text by default, JSON with `--json` (one
//! object per line, envelope fields in DESIGN §3 order, payloads and states as JSON).

use std::io::Write;

use contracts::v1::{
    self, AuditHistoryReply, StateAsOfReply, StateDiffReply, TraceReply, VerifyReport,
};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// An envelope as JSON, its keys in the envelope's order.
#[derive(Serialize)]
struct Envelope<'a> {
    event_id: &'a str,
    stream_id: &'a str,
    aggregate_type: &'a str,
    aggregate_id: &'a str,
    version: u64,
    position: u64,
    event_type: &'a str,
    schema_version: u32,
    occurred_at: &'a str,
    recorded_at: &'a str,
    correlation_id: &'a str,
    causation_id: &'a str,
    actor: Actor<'a>,
    traceparent: Option<&'a str>,
    payload: &'a RawValue,
    prev_hash: &'a str,
    hash: &'a str,
}

#[derive(Serialize)]
struct Actor<'a> {
    subject: &'a str,
    role: &'a str,
}

fn envelope_json(e: &v1::EventEnvelope) -> anyhow::Result<String> {
    let actor = e.actor.as_ref();
    let payload: &RawValue = serde_json::from_str(&e.payload_json)?;
    let envelope = Envelope {
        event_id: &e.event_id,
        stream_id: &e.stream_id,
        aggregate_type: &e.aggregate_type,
        aggregate_id: &e.aggregate_id,
        version: e.version,
        position: e.position,
        event_type: &e.event_type,
        schema_version: e.schema_version,
        occurred_at: &e.occurred_at,
        recorded_at: &e.recorded_at,
        correlation_id: &e.correlation_id,
        causation_id: &e.causation_id,
        actor: Actor {
            subject: actor.map_or("", |a| a.subject.as_str()),
            role: actor.map_or("", |a| a.role.as_str()),
        },
        traceparent: Some(e.traceparent.as_str()).filter(|t| !t.is_empty()),
        payload,
        prev_hash: &e.prev_hash,
        hash: &e.hash,
    };
    Ok(serde_json::to_string(&envelope)?)
}

/// Two lines per event: where and who, then the payload.
fn envelope_text(out: &mut impl Write, e: &v1::EventEnvelope, indent: &str) -> anyhow::Result<()> {
    let (subject, role) = e
        .actor
        .as_ref()
        .map_or(("", ""), |a| (a.subject.as_str(), a.role.as_str()));
    writeln!(
        out,
        "{indent}#{} {} v{}  {}  {} (schema {})  by {subject} ({role})  correlation {}  causation {}",
        e.position,
        e.stream_id,
        e.version,
        e.recorded_at,
        e.event_type,
        e.schema_version,
        e.correlation_id,
        e.causation_id
    )?;
    writeln!(out, "{indent}    {}", e.payload_json)?;
    Ok(())
}

pub fn history(out: &mut impl Write, page: &AuditHistoryReply, json: bool) -> anyhow::Result<()> {
    for event in &page.events {
        if json {
            writeln!(out, "{}", envelope_json(event)?)?;
        } else {
            envelope_text(out, event, "")?;
        }
    }
    if !json {
        let next = page.next.map_or("this is the last page".to_owned(), |n| {
            format!("next page: --after {n}")
        });
        writeln!(
            out,
            "{} events ({} read); {next}",
            page.events.len(),
            page.scanned
        )?;
    }
    Ok(())
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn event_ref(e: &v1::EventRef) -> String {
    format!("v{} {} at {}", e.version, e.event_type, e.recorded_at)
}

pub fn state(out: &mut impl Write, state: &StateAsOfReply, json: bool) -> anyhow::Result<()> {
    let value = parse(&state.state_json);
    if json {
        let last = state.last_event.as_ref().map(|e| {
            serde_json::json!({"version": e.version, "event_type": e.event_type,
                "event_id": e.event_id, "recorded_at": e.recorded_at})
        });
        let line = serde_json::json!({
            "stream_id": state.stream_id, "aggregate_type": state.aggregate_type,
            "version": state.version, "current_version": state.current_version,
            "last_event": last, "state": value,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let last = state
        .last_event
        .as_ref()
        .map_or("before its first event".to_owned(), |e| {
            format!("after {}", event_ref(e))
        });
    writeln!(
        out,
        "{} ({}) at version {} of {}, {last}:",
        state.stream_id, state.aggregate_type, state.version, state.current_version
    )?;
    writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    Ok(())
}

pub fn diff(out: &mut impl Write, diff: &StateDiffReply, json: bool) -> anyhow::Result<()> {
    if json {
        let changes: Vec<Value> = diff
            .changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "path": c.path,
                    "before": c.before_json.as_deref().map(parse),
                    "after": c.after_json.as_deref().map(parse),
                    "changed_by": c.changed_by.iter().map(|e| e.version).collect::<Vec<_>>(),
                })
            })
            .collect();
        let line = serde_json::json!({
            "stream_id": diff.stream_id, "from_version": diff.from_version,
            "to_version": diff.to_version, "changes": changes,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{} v{} → v{}: {} changed by {}",
        diff.stream_id,
        diff.from_version,
        diff.to_version,
        plural(diff.changes.len(), "field"),
        plural(diff.events.len(), "event"),
    )?;
    for change in &diff.changes {
        let shown = |v: &Option<String>| v.as_deref().unwrap_or("(absent)").to_owned();
        let by: Vec<String> = change.changed_by.iter().map(event_ref).collect();
        writeln!(
            out,
            "  {}: {} → {}   by {}",
            change.path,
            shown(&change.before_json),
            shown(&change.after_json),
            by.join(", ")
        )?;
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn trace(out: &mut impl Write, trace: &TraceReply, json: bool) -> anyhow::Result<()> {
    if !json {
        writeln!(
            out,
            "request {}: {} in {} ({})",
            trace.correlation_id,
            plural(trace.steps.len(), "event"),
            plural(trace.streams.len(), "stream"),
            trace.streams.join(", ")
        )?;
    }
    for step in &trace.steps {
        let Some(event) = &step.event else { continue };
        if json {
            writeln!(out, "{}", envelope_json(event)?)?;
        } else {
            envelope_text(out, event, &"  ".repeat(step.depth as usize + 1))?;
        }
    }
    Ok(())
}

/// The verdict, or the first broken link or the heads' objection as an error (a
/// non-zero exit).
pub fn verdict(report: &VerifyReport) -> anyhow::Result<String> {
    if let Some(link) = &report.first_break {
        anyhow::bail!("the log was altered: {}", link.detail);
    }
    let mut verdict = format!(
        "intact: {} events in {} streams, every hash chain and version sequence holds",
        report.events_checked, report.streams_checked
    );
    match &report.witness {
        Some(witness) if !witness.problem.is_empty() => {
            anyhow::bail!("the log is not the one witnessed: {}", witness.problem)
        }
        Some(witness) if witness.newest_position > 0 => {
            verdict.push_str(&format!(
                "; the log is the one its signed heads witnessed, the newest at position {} on {} \
                 ({} heads checked)",
                witness.newest_position, witness.newest_signed_at, witness.heads_checked
            ));
        }
        Some(_) => verdict.push_str("; no signed head witnessed it yet"),
        None => {}
    }
    Ok(verdict)
}
