//! Text a client chose (a token's header, a request path), made safe to write into a
//! log line or a message: bounded, and without the control characters that would let
//! it forge a line of its own.

/// At most `max` characters of `text`, every character but printable ASCII replaced by
/// `?`; a longer text is cut and ends in `...`.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut shown: String = text
        .chars()
        .take(max)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if text.chars().nth(max).is_some() {
        shown.push_str("...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_cut_to_its_bound_and_keeps_no_control_or_foreign_character() {
        assert_eq!(printable("RS256", 32), "RS256");
        assert_eq!(printable("a\r\nb\tc\u{1b}[31mé", 32), "a??b?c?[31m?");
        assert_eq!(printable(&"x".repeat(10_000), 8), "xxxxxxxx...");
    }
}
