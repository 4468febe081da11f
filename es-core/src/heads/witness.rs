//! The witness file: signed heads appended one JSON object per line, each synced to
//! disk before the next, never rewritten. It lives outside the event store (by default
//! beside it, `heads.jsonl`; `PITLANE_HEADS_FILE` puts it elsewhere), so restoring or
//! cutting the store leaves the heads that saw more.

use std::io::Write;
use std::path::Path;

use super::SignedHead;

/// Appends `head` and syncs it.
pub fn append(path: &Path, head: &SignedHead) -> std::io::Result<()> {
    append_json_line(path, head)
}

/// Appends `value` as one JSON line to the file at `path` (created with its folder
/// when missing) and syncs it: the witness's heads and the trusted keys.
pub(super) fn append_json_line(path: &Path, value: &impl serde::Serialize) -> std::io::Result<()> {
    crate::files::create_private_parent(path)?;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    let line = serde_json::to_string(value).map_err(std::io::Error::other)?;
    writeln!(file, "{line}")?;
    file.sync_data()
}

/// Every head in the file, in the order written; none when there is no file. A last
/// line cut short by a crash is left out; any other unreadable line is an error.
pub fn read(path: &Path) -> std::io::Result<Vec<SignedHead>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut heads = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(head) => heads.push(head),
            Err(_) if n + 1 == lines.len() && !complete => {
                tracing::warn!(file = %path.display(), "the last head was cut short; it is left out");
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} line {}: {e}", path.display(), n + 1),
                ));
            }
        }
    }
    Ok(heads)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(position: u64) -> SignedHead {
        SignedHead {
            position,
            digest: "00".repeat(32),
            signed_at: "2026-12-06T09:00:00Z".into(),
            key_id: "k".into(),
            signature: "s".into(),
        }
    }

    #[test]
    fn heads_read_back_in_the_order_written_and_a_missing_file_holds_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heads.jsonl");
        assert!(read(&path).unwrap().is_empty());
        for position in [3, 7, 5] {
            append(&path, &head(position)).unwrap();
        }
        let positions: Vec<u64> = read(&path).unwrap().iter().map(|h| h.position).collect();
        assert_eq!(positions, [3, 7, 5]);
    }

    #[test]
    fn a_last_line_cut_short_is_left_out_but_a_damaged_line_before_it_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heads.jsonl");
        append(&path, &head(1)).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"position\":2,\"dig")
            .unwrap();
        assert_eq!(read(&path).unwrap().len(), 1);
        std::fs::write(&path, "garbage\n{}\n").unwrap();
        assert!(read(&path).is_err());
    }
}
