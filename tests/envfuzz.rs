//! A seeded fuzz of the env-file path (reading as python-dotenv does, `${…}` expansion,
//! reference syntax, the checks that a value can be passed): random and mutated env files,
//! seeded from the differential table's cases, must never panic, must give the same answer
//! twice, and must keep values and messages within the documented bounds. It runs for
//! `KEYWARD_FUZZ_SECS` seconds (default 3) from `KEYWARD_FUZZ_SEED` (default fixed), and says
//! how many inputs it tried; a failure prints the seed and the input to reproduce it.
//! Also: values written by `known::to_env_text` read back unchanged.

use crate::fuzz::Rng;
use keyward::env::knownvalues::{to_env_text, KnownValue, Part};
use keyward::launch::readenv::{self, Options, MAX_EXPANDED, MAX_VALUE};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

/// The largest input generated: bounds the work per input.
const MAX_INPUT: usize = 16 * 1024;

/// Pieces of env-file syntax that mutations insert: quotes, escapes, references, separators.
const PIECES: &[&str] = &[
    "$",
    "${",
    "}",
    ":-",
    "-",
    "=",
    " = ",
    "'",
    "\"",
    "\\",
    "\\'",
    "\\\"",
    "\\n",
    "\\\\",
    "#",
    " #",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "export ",
    "${A}",
    "${A:-d}",
    "${B-x}",
    "${VAULT_TOKEN}",
    "${VAULT_SECRET_ID}",
    "vault://secret/app#db",
    "vault://secret/app?version=0#x",
    "file:///x",
    "file://rel",
    "é",
    "\u{feff}",
    "\u{0}",
    "\u{1c}",
    "\u{85}",
    "\u{2028}",
    "A",
    "KEY",
    "MY-KEY",
    "a.b",
    "1",
    "'KEY'",
    "=",
    "\"\"\"",
];

fn seeds() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dotenv-table.json");
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut seeds: Vec<String> = table["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["text"].as_str().unwrap().to_string())
        .collect();
    seeds.push(chain(26, true));
    seeds.push(chain(40, false));
    seeds
}

/// `V_1=ab`, then each value built from the previous one: twice (a bomb) or once (deep).
fn chain(len: usize, twice: bool) -> String {
    let mut text = String::from("V_1=ab\n");
    for i in 2..=len {
        let previous = format!("${{V_{}}}", i - 1);
        let value = if twice { previous.repeat(2) } else { previous };
        text.push_str(&format!("V_{i}={value}\n"));
    }
    text
}

/// Byte offset of a char boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(rng: &mut Rng, seeds: &[String], text: &mut String) {
    for _ in 0..1 + rng.below(6) {
        let at = boundary(text, rng.below(text.len() + 1));
        match rng.below(7) {
            0 | 1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                text.insert_str(at, piece)
            }
            2 => {
                let end = boundary(text, at + rng.below(8));
                text.replace_range(at..end, "");
            }
            3 => {
                let end = boundary(text, at + rng.below(32));
                let copy = text[at..end].to_string();
                text.insert_str(at, &copy.repeat(1 + rng.below(4)));
            }
            4 => {
                let other = rng.pick(seeds).clone();
                text.insert_str(at, &other);
            }
            5 => {
                let c = char::from_u32(rng.below(0x250) as u32).unwrap_or('?');
                text.insert(at, c);
            }
            _ => {
                let line = format!(
                    "K{}=${{K{}}}${{K{}}}\n",
                    rng.below(9),
                    rng.below(9),
                    rng.below(9)
                );
                text.insert_str(at, &line);
            }
        }
        if text.len() > MAX_INPUT {
            let end = boundary(text, MAX_INPUT);
            text.truncate(end);
        }
    }
}

fn process(rng: &mut Rng) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for name in ["A", "B", "PORT", "VAULT_TOKEN", "V_1", "K1"] {
        if rng.below(3) == 0 {
            env.insert(
                name.to_string(),
                ["", "x", "${A}", "9000"][rng.below(4)].to_string(),
            );
        }
    }
    env
}

/// The properties one input must have; `Err` says which failed.
fn check(text: &str, env: &BTreeMap<String, String>, options: Options) -> Result<(), String> {
    let path = Path::new(".env");
    let read = || catch_unwind(AssertUnwindSafe(|| readenv::read(path, text, env, options)));
    let first = read().map_err(|_| "panicked".to_string())?;
    let second = read().map_err(|_| "panicked the second time".to_string())?;
    if first.values != second.values || first.messages != second.messages {
        return Err("two readings differ".into());
    }
    let lines = text.lines().count() + 1;
    let message_bytes: usize = first.messages.iter().map(String::len).sum();
    if message_bytes > 4096 * lines {
        return Err(format!(
            "{message_bytes} bytes of messages for {lines} lines"
        ));
    }
    let total: usize = first.values.values().map(String::len).sum();
    if total > text.len() + MAX_EXPANDED + MAX_VALUE {
        return Err(format!("{total} bytes of values from {} bytes", text.len()));
    }
    if !first.refused {
        for (key, value) in &first.values {
            if value.contains('\0') || value.len() > MAX_VALUE || key.contains(['=', '\0']) {
                return Err(format!(
                    "{key} cannot be passed, yet the start is not refused"
                ));
            }
        }
    }
    Ok(())
}

fn budget() -> Duration {
    let secs = std::env::var("KEYWARD_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

#[test]
fn random_and_mutated_env_files_never_panic_and_stay_bounded() {
    let seed = std::env::var("KEYWARD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6b65_7977_6172_6421_u64);
    let mut rng = Rng(seed | 1);
    let seeds = seeds();
    let (start, budget) = (Instant::now(), budget());
    let (mut inputs, mut slowest) = (0u64, (Duration::ZERO, 0));
    // Every seed unchanged first, then mutations until the budget is spent.
    while inputs < seeds.len() as u64 || start.elapsed() < budget {
        let mut text = match seeds.get(inputs as usize) {
            Some(seed) => seed.clone(),
            None => rng.pick(&seeds).clone(),
        };
        if inputs >= seeds.len() as u64 {
            mutate(&mut rng, &seeds, &mut text);
        }
        let env = process(&mut rng);
        let options = Options {
            override_existing: rng.below(2) == 0,
            expand_single_quoted: rng.below(2) == 0,
        };
        let began = Instant::now();
        if let Err(why) = check(&text, &env, options) {
            panic!("seed {seed}, input {inputs}: {why}\ninput: {text:?}\nprocess: {env:?}");
        }
        if began.elapsed() > slowest.0 {
            slowest = (began.elapsed(), text.len());
        }
        inputs += 1;
    }
    eprintln!(
        "env-file fuzz: {inputs} inputs in {:.1?} from seed {seed}, no finding; slowest input \
         {:.1?} ({} bytes)",
        start.elapsed(),
        slowest.0,
        slowest.1
    );
}

#[test]
fn known_values_written_as_env_text_read_back_unchanged() {
    let mut rng = Rng(0x005e_ed0f_7e57);
    const CHARS: &[char] = &[
        'a', 'Z', '0', ' ', '\t', '\n', '\r', '\'', '"', '\\', '$', '{', '}', ':', '-', '#', '=',
        'é', '\u{85}',
    ];
    for round in 0..2000 {
        let values: Vec<KnownValue> = (0..1 + rng.below(4))
            .map(|i| KnownValue {
                name: format!("K{i}"),
                part: Part::Whole,
                origin: String::new(),
                value: (0..rng.below(12)).map(|_| *rng.pick(CHARS)).collect(),
            })
            .collect();
        // python-dotenv's grammar closes at most one quoted value ending in a backslash.
        let trailing = values
            .iter()
            .filter(|v| {
                v.value.ends_with('\\')
                    && v.value
                        .contains(|c: char| !c.is_ascii_alphanumeric() && c != '\\')
            })
            .count();
        if trailing > 1 {
            continue;
        }
        let text = to_env_text(&values);
        let read = readenv::read(Path::new("-"), &text, &BTreeMap::new(), Options::default());
        for known in &values {
            assert_eq!(
                read.values.get(&known.name),
                Some(&known.value),
                "round {round}: {text:?} -> {:?}",
                read.messages
            );
        }
    }
}
