//! Consistency tokens on the REST surface (DESIGN §6): every command answers one in
//! `X-Consistency-Token` and its body; a GET that passes it back (header or `?after=`)
//! reads its own write. On the wire a token is `<stream id>:<version>:<position>` —
//! opaque to clients, readable to operators.

use contracts::v1::ConsistencyToken;

pub const HEADER: &str = "x-consistency-token";

pub fn encode(token: &ConsistencyToken) -> String {
    format!("{}:{}:{}", token.stream_id, token.version, token.position)
}

/// `None` when the text is not a token.
pub fn decode(text: &str) -> Option<ConsistencyToken> {
    let mut parts = text.trim().rsplitn(3, ':');
    let position = parts.next()?.parse().ok()?;
    let version = parts.next()?.parse().ok()?;
    let stream_id = parts.next()?;
    let valid_stream = !stream_id.is_empty()
        && stream_id.len() <= 300
        && stream_id.bytes().all(|b| b.is_ascii_graphic());
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
