//! Turns `locales/<lang>.toml` into Rust (`src/i18n.rs` includes it): one constant per key,
//! one table per language, and each text in both languages at once ("English · 한국어", for
//! the documents that speak both). A key missing from any language, or a duplicate, fails
//! the build, so no page, email or PDF can show a raw key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

const LANGS: [&str; 2] = ["en", "ko"];

fn parse(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{}:{}: expected key = \"value\"", path.display(), n + 1));
        let key = key.trim().to_owned();
        let value = value.trim();
        assert!(value.len() >= 2 && value.starts_with('"') && value.ends_with('"'), "{}:{}: value must be in double quotes", path.display(), n + 1);
        let value = value[1..value.len() - 1].replace("\\\"", "\"").replace("\\n", "\n");
        assert!(
            key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'),
            "{}:{}: keys are lowercase snake_case",
            path.display(),
            n + 1
        );
        assert!(out.insert(key.clone(), value).is_none(), "{}: duplicate key {key}", path.display());
    }
    out
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let tables: Vec<BTreeMap<String, String>> = LANGS
        .iter()
        .map(|l| {
            let p = dir.join(format!("{l}.toml"));
            println!("cargo:rerun-if-changed={}", p.display());
            parse(&p)
        })
        .collect();
    let keys: Vec<&String> = tables[0].keys().collect();
    for (lang, table) in LANGS.iter().zip(&tables) {
        let mine: Vec<&String> = table.keys().collect();
        assert_eq!(mine, keys, "locales/{lang}.toml must have exactly the keys of locales/en.toml");
    }
    let constant = |key: &str| key.replace('.', "_").to_uppercase();
    let mut seen = BTreeSet::new();
    for key in &keys {
        assert!(seen.insert(constant(key)), "locales: {key} has the constant name of another key");
    }
    let (en, ko) = (&tables[0], &tables[1]);
    let mut code = String::new();
    writeln!(code, "/// Text keys, generated from locales/*.toml.").unwrap();
    writeln!(code, "pub mod k {{\n    use super::Key;").unwrap();
    for (i, key) in keys.iter().enumerate() {
        writeln!(code, "    pub const {}: Key = Key({i});", constant(key)).unwrap();
    }
    writeln!(code, "}}").unwrap();
    writeln!(code, "/// Each text in English and Korean at once: \"English · 한국어\".").unwrap();
    writeln!(code, "pub mod both {{").unwrap();
    for key in &keys {
        writeln!(code, "    pub const {}: &str = {:?};", constant(key), format!("{} · {}", en[*key], ko[*key])).unwrap();
    }
    writeln!(code, "}}").unwrap();
    for (lang, table) in LANGS.iter().zip(&tables) {
        writeln!(code, "const {}: [&str; {}] = [", lang.to_uppercase(), keys.len()).unwrap();
        for key in &keys {
            writeln!(code, "    {:?},", table[*key]).unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    writeln!(code, "const NAMES: [&str; {}] = [", keys.len()).unwrap();
    for key in &keys {
        writeln!(code, "    {key:?},").unwrap();
    }
    writeln!(code, "];").unwrap();
    writeln!(code, "fn key_by_name(name: &str) -> Option<Key> {{\n    match name {{").unwrap();
    for (i, key) in keys.iter().enumerate() {
        writeln!(code, "        {key:?} => Some(Key({i})),").unwrap();
    }
    writeln!(code, "        _ => None,\n    }}\n}}").unwrap();
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("i18n.rs");
    std::fs::write(out, code).unwrap();
}
