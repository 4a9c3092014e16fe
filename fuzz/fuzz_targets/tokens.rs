//! Everything that reads a token or an address from a request: signing and download link
//! tokens, the embed cookie, admin and client tokens (JWT), API keys, origins, ids and the
//! forwarding headers behind a proxy. Any input gives an answer, never a panic; what parses
//! is what it claims to be.
#![no_main]

use dojang_core::infra::client_ip::{resolve, TrustedProxies};
use dojang_core::infra::crypto::SigningToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Some(t) = SigningToken::parse(s) {
        assert_eq!(t.as_str(), s);
        assert_eq!(t.hash().len(), 64);
    }
    if let Ok(v) = http::HeaderValue::from_str(s) {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, v.clone());
        if let Some(cookie) = dojang_core::embed::cookie_token(&headers) {
            assert_eq!(cookie.len(), 64);
        }
        headers.insert(http::header::FORWARDED, v.clone());
        headers.insert(http::header::HeaderName::from_static("x-forwarded-for"), v);
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let _ = resolve("127.0.0.1".parse().unwrap(), &headers, &trusted);
    }
    if let Ok(t) = dojang_core::api::tokens::parse(s) {
        assert!(s.starts_with(t.signed));
    }
    let _ = dojang_core::api::keys::parse_key(s);
    if let Some(o) = dojang_core::embed::parse_origin(s) {
        assert!(o.starts_with("http://") || o.starts_with("https://"));
        assert_eq!(dojang_core::embed::parse_origin(&o).as_deref(), Some(o.as_str()), "an origin parses as itself");
    }
    let _ = dojang_core::embed::parse_origins(s);
    let _ = TrustedProxies::parse(s);
    let _ = dojang_core::ids::EnvelopeId::parse(s);
    let _ = dojang_core::types::EmailAddress::parse(s);
});
