//! The API against its own spec, by tools that did not write it: schemathesis (PyPI) fuzzes
//! every operation of the served OpenAPI document, and the README's quick start runs as a
//! script against a running server.

use crate::helpers::{repo_root, spawn};
use crate::rest::{call, upload};
use dojang_core::model::Mode;
use serde_json::json;

fn venv_bin(name: &str) -> std::path::PathBuf {
    repo_root().join(".tools/venv/bin").join(name)
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_spec() {
    let app = spawn().var("DOJANG_API_RATE_PER_MINUTE", "1000000").var("DOJANG_API_BURST", "1000000").start().await;
    let key = crate::rest::org_with_key(&app, "fuzz", Mode::Live).await.key;
    // Something to find: a document and a draft.
    let doc = upload(&app, &key, "basic__002-trivial-libre-office-writer.pdf", &[]).await.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "퍼징", "documentIds": [doc] }))).await.status, 201);
    // schemathesis keeps a cache in its working directory: a scratch one.
    let scratch = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(venv_bin("schemathesis"))
        .current_dir(scratch.path())
        .args(["run", &app.url("/api/v1/openapi.json"), "--url", &app.url("/api/v1")])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
        .args(["--max-examples", "25", "--workers", "1", "--phases", "examples,coverage,fuzzing", "--no-color", "--seed", "1"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .await
        .expect("schemathesis (installed by scripts/setup.sh --test)");
    let report = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(report.contains("passed") || report.contains("PASSED"), "{report}");
    app.stop().await;
}

/// The shell block between `<!-- quickstart:begin -->` and `<!-- quickstart:end -->` of the README.
fn readme_quickstart() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme.find("<!-- quickstart:begin -->").expect("README has a quick start");
    let end = readme.find("<!-- quickstart:end -->").expect("quick start ends");
    let block = &readme[start..end];
    let code = block.split("```sh").nth(1).expect("a sh block").split("```").next().unwrap();
    code.to_owned()
}

/// The Python and Node examples in `docs/examples/`, each run against a live server: upload,
/// create, send — and the signer is emailed.
#[tokio::test]
async fn the_python_and_node_examples_run_against_a_running_server() {
    let sink = crate::smtp::SmtpSink::start();
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contract.pdf"), crate::helpers::fixture("basic__002-trivial-libre-office-writer.pdf")).unwrap();
    let examples = repo_root().join("docs/examples");
    let runs: [(std::path::PathBuf, &str); 2] = [(crate::helpers::python(), "quickstart.py"), ("node".into(), "quickstart.mjs")];
    for (i, (program, file)) in runs.into_iter().enumerate() {
        // Each in an organization of its own (the example's externalId is fixed).
        let key = crate::rest::org_with_key(&app, &format!("example-{i}"), Mode::Test).await.key;
        let out = tokio::process::Command::new(&program)
            .arg(examples.join(file))
            .arg("contract.pdf")
            .current_dir(dir.path())
            .env("DOJANG_URL", &app.address)
            .env("DOJANG_API_KEY", &key)
            .output()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{file}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let sent: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the send response is JSON");
        assert_eq!(sent["envelope"]["status"], "sent", "{file}");
        assert_eq!(sent["envelope"]["mode"], "test", "{file}");
        assert_eq!(sent["envelope"]["subject"], "근로계약서", "{file}: Korean comes through");
        assert_eq!(sent["envelope"]["externalId"], "hr-2026-0001", "{file}");
        assert!(sent["recipients"][0]["signUrl"].as_str().unwrap().contains("/sign/"), "{file}");
        let listed = call(&app, &key, "GET", "/envelopes?externalId=hr-2026-0001", None).await.json();
        assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{file}");
    }
    let mails = sink.wait_for("minjun@example.com", 2).await;
    assert!(mails.iter().all(|m| m.text.contains("/sign/")), "each signer was invited by email");
    app.stop().await;
}

#[tokio::test]
async fn the_readme_quick_start_runs_against_a_running_server() {
    let sink = crate::smtp::SmtpSink::start();
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).start().await;
    let key = crate::rest::org_with_key(&app, "quickstart", Mode::Test).await.key;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contract.pdf"), crate::helpers::fixture("basic__002-trivial-libre-office-writer.pdf")).unwrap();
    let script = readme_quickstart();
    assert_eq!(script.matches("curl ").count(), 3, "three curl steps: {script}");
    let out = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("DOJANG_URL", &app.address)
        .env("DOJANG_API_KEY", &key)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let sent: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).expect("the send response is JSON");
    assert_eq!(sent["envelope"]["status"], "sent");
    assert_eq!(sent["envelope"]["mode"], "test");
    assert!(sent["recipients"][0]["signUrl"].as_str().unwrap().contains("/sign/"));
    let mails = sink.wait_for("minjun@example.com", 1).await;
    assert!(mails[0].text.contains("/sign/"), "the signer was invited by email");
    assert_eq!(call(&app, &key, "GET", "/envelopes", None).await.json()["data"].as_array().unwrap().len(), 1);
    app.stop().await;
}
