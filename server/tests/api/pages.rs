use crate::helpers::spawn_app;

fn nonce_of(html: &str) -> String {
    let at = html.find("nonce=\"").expect("the hydration script has a nonce") + 7;
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn home_page_is_rendered_on_the_server_with_a_nonce_csp_and_the_wasm() {
    let app = spawn_app().await;
    let r = app.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/pkg/dojang.js"), "loads the hydration bundle");
    assert!(r.body.contains("/pkg/dojang.css"));
    let csp = r.header("content-security-policy").expect("pages have a CSP");
    let nonce = nonce_of(&r.body);
    assert!(nonce.len() >= 16);
    assert!(csp.contains(&format!("'nonce-{nonce}'")), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(!csp.contains("'unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    let second = app.get("/").await;
    assert_ne!(nonce_of(&second.body), nonce, "a fresh nonce per response");
    app.stop().await;
}

#[tokio::test]
async fn language_comes_from_the_browser_and_the_cookie() {
    let app = spawn_app().await;
    let r = app.get_with("/login", &[("accept-language", "ko-KR,ko;q=0.9,en;q=0.5")]).await;
    assert!(r.body.contains("<html lang=\"ko\""), "{}", &r.body[..200.min(r.body.len())]);
    assert!(r.body.contains("도장에 로그인"));

    let r = app.get("/lang?set=en&next=/login").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/login"));
    let r = app.get_with("/login", &[("accept-language", "ko-KR")]).await;
    assert!(r.body.contains("Log in to Dojang"), "the cookie wins over the browser");
    app.stop().await;
}

#[tokio::test]
async fn the_language_switch_never_redirects_off_site() {
    let app = spawn_app().await;
    for next in ["//evil.example.com/", "https://evil.example.com/", "/\\evil.example.com"] {
        let r = app.get(&format!("/lang?set=ko&next={}", urlencode(next))).await;
        assert_eq!(r.header("location").as_deref(), Some("/"), "{next}");
    }
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_page() {
    let app = spawn_app().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Page not found"));
    app.stop().await;
}

#[tokio::test]
async fn static_assets_are_served_from_the_site_root() {
    let app = spawn_app().await;
    let r = app.get("/favicon.svg").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<svg"));
    app.stop().await;
}
