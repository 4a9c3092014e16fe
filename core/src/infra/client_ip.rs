//! The address a request comes from. Behind a reverse proxy every connection comes from the
//! proxy, so the one forwarding header the operator's proxy writes — `X-Forwarded-For` by
//! default, or `Forwarded` (RFC 7239) — is believed, but only when the connection comes from
//! a proxy the operator trusts (`DOJANG_TRUSTED_PROXIES`), and only up to the first hop that
//! is not one of them. A client cannot name its own address by sending a header itself: the
//! other header is never read (proxies pass a header they do not write through untouched).

use std::net::IpAddr;

/// The client's address as resolved once per request (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Which header the trusted proxies write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// The networks whose connections may say on whose behalf they come, and the header they say
/// it in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>, ForwardedHeader);

impl TrustedProxies {
    /// A list of CIDR blocks or single addresses, separated by commas or spaces.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("{s:?} is not an address or a CIDR block"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| Self(nets, ForwardedHeader::default()))
    }

    /// The same proxies, writing `header`.
    pub fn with_header(self, header: ForwardedHeader) -> Self {
        Self(self.0, header)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The key that limits and throttles count an address under: an IPv4 address itself, an
/// IPv6 address by its /64 (one subscriber holds a whole /64, so counting single addresses
/// would give each of them 2^64 fresh limits).
pub fn subscriber(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client behind `peer`: the peer itself unless it is trusted; then the nearest hop the
/// forwarding headers name that is not a trusted proxy (or the farthest hop named, when
/// every one is trusted).
pub fn resolve(peer: IpAddr, headers: &http::HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers, trusted.1);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(*ip);
                if !trusted.contains(client) {
                    return client;
                }
            }
            // An obfuscated or unknown hop: nothing beyond it can be believed.
            None => return client,
        }
    }
    client
}

/// The hops named by the proxies' header, nearest last; `None` for a hop that names no address
/// (`unknown`, an obfuscated identifier, garbage).
fn forwarded_hops(headers: &http::HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let values = |name: http::header::HeaderName| -> Vec<String> { headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect() };
    if header == ForwardedHeader::Forwarded {
        return values(http::header::FORWARDED)
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| node_address(v.trim().trim_matches('"')))
            })
            .collect();
    }
    values(http::header::HeaderName::from_static("x-forwarded-for")).iter().flat_map(|v| v.split(',')).map(|s| node_address(s.trim())).collect()
}

/// An address out of a node: `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_from_trusted_proxies_and_only_up_to_the_first_untrusted_hop() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        let spoof = headers(&[("x-forwarded-for", "6.6.6.6")]);
        assert_eq!(resolve(ip("203.0.113.9"), &spoof, &trusted), ip("203.0.113.9"), "an untrusted peer is the client");
        assert_eq!(resolve(ip("203.0.113.9"), &spoof, &TrustedProxies::default()), ip("203.0.113.9"));
        // The proxy appended the real client after what the client claimed.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.1.1")]);
        assert_eq!(resolve(ip("10.0.0.2"), &chain, &trusted), ip("198.51.100.7"));
        // A client's own `Forwarded` is never read while the proxies write X-Forwarded-For.
        let both = headers(&[("forwarded", "for=6.6.6.6"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(resolve(ip("10.0.0.2"), &both, &trusted), ip("198.51.100.7"));
        let rfc = trusted.clone().with_header(ForwardedHeader::Forwarded);
        assert_eq!(resolve(ip("10.0.0.2"), &both, &rfc), ip("6.6.6.6"), "…and the other way round");
        let fwd = headers(&[("forwarded", "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(resolve(ip("127.0.0.1"), &fwd, &rfc), ip("2001:db8::7"));
        let fwd = headers(&[("forwarded", "for=192.0.2.60:8080;by=10.0.0.1")]);
        assert_eq!(resolve(ip("::ffff:127.0.0.1"), &fwd, &rfc), ip("192.0.2.60"), "mapped IPv6 peers are their IPv4 address");
        let hidden = headers(&[("forwarded", "for=6.6.6.6, for=_hidden")]);
        assert_eq!(resolve(ip("10.0.0.2"), &hidden, &rfc), ip("10.0.0.2"), "nothing beyond an obfuscated hop is believed");
        assert_eq!(resolve(ip("10.0.0.2"), &headers(&[]), &trusted), ip("10.0.0.2"));
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(resolve(ip("10.0.0.2"), &all_trusted, &trusted), ip("10.9.9.9"));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert_eq!(subscriber(ip("2001:db8:1:2:aaaa::1")), subscriber(ip("2001:db8:1:2:bbbb::9")), "one /64, one key");
        assert_ne!(subscriber(ip("2001:db8:1:2::1")), subscriber(ip("2001:db8:1:3::1")));
        assert_eq!(subscriber(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert!(TrustedProxies::parse("nope").is_err());
    }
}
