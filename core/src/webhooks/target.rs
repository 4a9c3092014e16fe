//! Where a webhook may go: public addresses only. A URL naming a loopback, private or other
//! non-public address is refused when the endpoint is saved, and every address a name
//! resolves to is checked again when sending (so DNS cannot point a saved endpoint inward).

use std::net::IpAddr;

/// A host that is a loopback, private or otherwise non-public address by itself (an IP
/// literal or `localhost`); names are checked again after resolution when sending.
pub fn is_private_host(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    }
}

/// Not a public unicast address: loopback, private, link-local, shared (CGNAT), unspecified,
/// multicast, broadcast, documentation, benchmarking or reserved ranges.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            // Addresses that carry an IPv4 address reach it: IPv4-compatible (::a.b.c.d) and
            // 6to4 (2002:a.b.c.d::) are judged by it, Teredo (2001:0::/32) and the
            // discard prefix (100::/64) are refused outright.
            let embedded = |hi: u16, lo: u16| is_private(IpAddr::V4(std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))));
            if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return embedded(s[6], s[7]);
            }
            if s[0] == 0x2002 {
                return embedded(s[1], s[2]);
            }
            v6.is_loopback()
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] == 0x0100 && s[1..4] == [0; 3])
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused_public_ones_pass() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378::1",
            "100::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip} must be refused");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "172.32.0.1", "2002:5db8:d822::1", "::8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip} is public");
        }
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(is_private_host(&url("http://localhost:8080/x")));
        assert!(is_private_host(&url("http://[::1]/x")));
        assert!(!is_private_host(&url("https://hooks.example.com/x")));
    }
}
