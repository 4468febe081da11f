//! The client's address, for the rate limit: the TCP peer, unless the peer is one of
//! the reverse proxies named in `PITLANE_TRUSTED_PROXIES`; then the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy. Entries further left
//! were written by whoever sent the request and prove nothing, so they are never read
//! past the first untrusted one; a header from an untrusted peer is ignored entirely.

use std::net::{IpAddr, Ipv4Addr};

use axum::http::HeaderMap;

pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// `peer`: the TCP peer (`None` without connection info, e.g. in router tests).
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    if !trusted.contains(&peer) {
        return peer;
    }
    // Every header line, left to right, then every entry; read from the right.
    let entries: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut nearest = peer;
    for entry in entries.iter().rev() {
        match parse(entry) {
            Some(ip) if trusted.contains(&ip) => nearest = ip,
            Some(ip) => return ip,
            // Garbage where an address should be: the last trusted hop is all we know.
            None => return nearest,
        }
    }
    nearest
}

/// An address as proxies write it: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443`
/// or `203.0.113.7:51000`.
fn parse(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROXY: &str = "10.0.0.2";
    const INNER_PROXY: &str = "10.0.0.3";

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(FORWARDED_FOR, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let headers = forwarded(&["198.51.100.9"]);
        assert_eq!(
            client_ip(Some(ip("203.0.113.7")), &headers, &[]),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_proxy_s_header_names_the_client_and_spoofed_entries_left_of_it_are_ignored() {
        let trusted = [ip(PROXY), ip(INNER_PROXY)];
        let headers = forwarded(&["1.2.3.4, 198.51.100.9", INNER_PROXY]);
        assert_eq!(
            client_ip(Some(ip(PROXY)), &headers, &trusted),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address_with_the_header() {
        let trusted = [ip(PROXY)];
        let headers = forwarded(&["198.51.100.9"]);
        assert_eq!(
            client_ip(Some(ip("203.0.113.7")), &headers, &trusted),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_peer_without_a_usable_header_is_its_own_client() {
        let trusted = [ip(PROXY)];
        assert_eq!(
            client_ip(Some(ip(PROXY)), &HeaderMap::new(), &trusted),
            ip(PROXY)
        );
        let garbage = forwarded(&["unknown"]);
        assert_eq!(client_ip(Some(ip(PROXY)), &garbage, &trusted), ip(PROXY));
    }

    #[test]
    fn addresses_with_ports_and_brackets_are_read() {
        let trusted = [ip(PROXY)];
        for (entry, client) in [
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("203.0.113.7:51000", "203.0.113.7"),
            ("2001:db8::2", "2001:db8::2"),
        ] {
            let headers = forwarded(&[entry]);
            assert_eq!(client_ip(Some(ip(PROXY)), &headers, &trusted), ip(client));
        }
    }
}
