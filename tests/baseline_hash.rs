//! Baselines do not give secrets back: entries are salted, slow hashes of the report
//! fingerprint (PBKDF2-HMAC-SHA256 under a per-baseline salt), optionally keyed; a version-1
//! baseline keeps hiding its findings and says how to upgrade; strict dates, any fingerprint
//! case and a UTF-8 byte-order mark are accepted where people edit the file.

use crate::harness::{json, Project};
use keyward::secret::{fingerprint, hex, hmac_sha256, pbkdf2_sha256};
use predicates::str::contains;
use serde_json::Value;

const FILE: &str = ".keyward-baseline.json";
const WEAK: &str = "Summer2024!";
const KEY: &str = "0123456789abcdef0123456789abcdef";

fn weak_password_project() -> Project {
    let p = Project::new();
    p.write("app/settings.py", format!("password = \"{WEAK}\"\n"));
    p
}

fn record(p: &Project) -> Value {
    p.keyward().args(["baseline", "-o", FILE]).assert().code(0);
    json(&std::fs::read(p.join(FILE)).unwrap())
}

fn scan(p: &Project, key: Option<&str>) -> (Option<i32>, Value, String) {
    let mut cmd = p.keyward();
    cmd.args(["scan", "--format", "json", "--baseline", FILE]);
    if let Some(key) = key {
        cmd.env("KEYWARD_FINGERPRINT_KEY", key);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = if out.stdout.is_empty() {
        Value::Null
    } else {
        json(&out.stdout)
    };
    (out.status.code(), report, stderr)
}

/// A version-1 baseline as keyward used to write it: the plain report fingerprint.
fn legacy_baseline(p: &Project) {
    let plain = fingerprint("generic-password", WEAK.as_bytes());
    let v1 = serde_json::json!({"version": 1, "entries": [{
        "fingerprint": plain, "rule": "generic-password", "path": "app/settings.py",
        "reason": "rotated in March"}]});
    p.write(FILE, serde_json::to_string_pretty(&v1).unwrap());
}

#[test]
fn a_baseline_does_not_give_a_weak_password_back() {
    // regression: entries were sha256(rule ‖ 0 ‖ value), so one hash per word of a list
    // found `Summer2024!`
    let p = weak_password_project();
    let bl = record(&p);
    let entry = &bl["entries"][0];
    let guessed: Vec<String> = ["password", "Winter2023!", WEAK, "hunter2"]
        .iter()
        .map(|w| fingerprint("generic-password", w.as_bytes()))
        .collect();
    let stored = entry["fingerprint"].as_str().unwrap();
    assert!(!guessed.iter().any(|g| g == stored), "{bl}");
    // what it is instead: PBKDF2 of the report fingerprint under the file's own salt
    assert_eq!(bl["version"], 2);
    let hashing = &bl["hashing"];
    assert_eq!(hashing["scheme"], "pbkdf2-sha256");
    let salt = hashing["salt"].as_str().unwrap();
    let iterations = hashing["iterations"].as_u64().unwrap() as u32;
    assert!(iterations >= 100_000);
    assert_eq!(
        stored,
        hex(&pbkdf2_sha256(
            guessed[2].as_bytes(),
            salt.as_bytes(),
            iterations
        ))
    );
    // the report fingerprint is unchanged (stable across runs, as labels files expect)
    let (code, report, _) = scan(&p, None);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["baselined"], 1);
    let plain = p
        .keyward()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json(&plain.stdout)["findings"][0]["fingerprint"],
        guessed[2]
    );
    // another baseline of the same finding has another salt; re-recording keeps this one
    let other = Project::new();
    other.write("app/settings.py", format!("password = \"{WEAK}\"\n"));
    assert_ne!(record(&other)["hashing"]["salt"], salt);
    assert_eq!(record(&p), bl);
}

#[test]
fn a_version_1_baseline_still_hides_and_says_how_to_upgrade() {
    let p = weak_password_project();
    legacy_baseline(&p);
    let (code, report, stderr) = scan(&p, None);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["stats"]["baselined"], 1);
    assert!(
        stderr.contains("version 1") && stderr.contains("keyward baseline --upgrade -o"),
        "{stderr}"
    );
    p.keyward()
        .args(["baseline", "--upgrade", "-o", FILE])
        .assert()
        .code(0)
        .stderr(contains("upgraded 1 baseline entries"));
    let bl = json(&std::fs::read(p.join(FILE)).unwrap());
    assert_eq!(bl["version"], 2);
    assert_eq!(bl["entries"][0]["reason"], "rotated in March");
    let (code, report, stderr) = scan(&p, None);
    assert_eq!((code, &report["stats"]["baselined"]), (Some(0), &1.into()));
    assert!(!stderr.contains("version 1"), "{stderr}");
}

#[test]
fn a_keyed_baseline_needs_its_key() {
    let p = weak_password_project();
    let out = p
        .keyward()
        .args(["baseline", "-o", FILE])
        .env("KEYWARD_FINGERPRINT_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let bl = json(&std::fs::read(p.join(FILE)).unwrap());
    assert_eq!(bl["hashing"]["key_id"].as_str().unwrap().len(), 16);
    let (code, report, stderr) = scan(&p, Some(KEY));
    assert_eq!(code, Some(0), "{stderr}");
    // with a key the report fingerprint is keyed too
    let unkeyed = fingerprint("generic-password", WEAK.as_bytes());
    let keyed = hex(&hmac_sha256(KEY.as_bytes(), unkeyed.as_bytes()));
    let key_file = p.join("../fingerprint.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let out = p
        .keyward()
        .args(["scan", "--format", "json", "--fingerprint-key-file"])
        .arg(&key_file)
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["findings"][0]["fingerprint"], keyed);
    assert_eq!(report["stats"]["baselined"], 1);
    let (code, _, stderr) = scan(&p, None);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("KEYWARD_FINGERPRINT_KEY"), "{stderr}");
    let (code, _, stderr) = scan(&p, Some("another key of enough length"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("different fingerprint key"), "{stderr}");
    let (code, _, stderr) = scan(&p, Some("short"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("at least 16 bytes"), "{stderr}");
}

#[test]
fn impossible_dates_are_refused_and_case_and_bom_are_accepted() {
    let p = weak_password_project();
    let mut bl = record(&p);
    bl["entries"][0]["expires"] = "2099-02-30".into();
    p.write(FILE, serde_json::to_string(&bl).unwrap());
    let (code, _, stderr) = scan(&p, None);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("2099-02-30") && stderr.contains(FILE),
        "{stderr}"
    );
    bl["entries"][0]["expires"] = "2096-02-29".into();
    let upper = bl["entries"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_uppercase();
    bl["entries"][0]["fingerprint"] = upper.into();
    p.write(
        FILE,
        format!("\u{feff}{}", serde_json::to_string(&bl).unwrap()),
    );
    let (code, report, stderr) = scan(&p, None);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["stats"]["baselined"], 1);
    // a byte-order mark before .keyward.yaml is accepted too
    p.write(".keyward.yaml", "\u{feff}allow:\n  paths: ['app/**']\n");
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(json(&out.stdout)["stats"]["allowed"], 1);
}
