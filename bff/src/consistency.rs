//! Consistency tokens on the REST surface (DESIGN §6): every command answers one in
//! `X-Consistency-Token` and its body; a GET that passes it back (header or `?after=`)
//! reads its own write. On the wire a token is `<stream id>:<version>:<position>` —
//! opaque to clients, readable to operators.

use contracts::v1::ConsistencyToken;

pub const HEADER: &str = "x-consistency-token";

/// The `field` of a problem about a token the client sent.
pub const FIELD: &str = "X-Consistency-Token";

/// A token, as the OpenAPI document declares it: a stream id of visible ASCII but the
/// comma (which separates tokens in a header), then its version and the log position,
/// both counted from 1.
pub const PATTERN: &str = r"[\x21-\x2B\x2D-\x7E]{1,300}:[1-9][0-9]{0,18}:[1-9][0-9]{0,18}";

/// A version or position: 1 to 19 digits without a leading zero.
fn counter(digits: &str) -> Option<u64> {
    let well_formed = (1..=19).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| digits.parse().ok()).flatten()
}

/// The tokens of an `X-Consistency-Token` header: one or more, comma-separated (spaces
/// around a comma allowed); `None` unless every one is a token.
pub fn decode_list(text: &str) -> Option<Vec<ConsistencyToken>> {
    text.split(',')
        .map(|token| decode(token.trim_matches(' ')))
        .collect()
}

pub fn encode(token: &ConsistencyToken) -> String {
    format!("{}:{}:{}", token.stream_id, token.version, token.position)
}

/// `None` when the text is not a token: exactly what [`PATTERN`] matches.
pub fn decode(text: &str) -> Option<ConsistencyToken> {
    let mut parts = text.rsplitn(3, ':');
    let position = counter(parts.next()?)?;
    let version = counter(parts.next()?)?;
    let stream_id = parts.next()?;
    let valid_stream = !stream_id.is_empty()
        && stream_id.len() <= 300
        && stream_id.bytes().all(|b| b.is_ascii_graphic() && b != b',');
    valid_stream.then(|| ConsistencyToken {
        stream_id: stream_id.to_owned(),
        version,
        position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_through_its_text() {
        let token = ConsistencyToken {
            stream_id: "workshop_planning-2026-05-04".into(),
            version: 3,
            position: 42,
        };
        assert_eq!(decode(&encode(&token)), Some(token));
    }

    #[test]
    fn text_that_is_not_a_token_is_refused() {
        for bad in ["", "42", "a:b:c", "stream:1:x", ":1:2", "s p:1:2"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
