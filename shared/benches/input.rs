//! What refusing duplicate keys costs (issue 11.1): `input::parse_json` — the caps, UTF-8 and
//! depth checks and a parse that refuses a repeated key, the way every untrusted JSON enters —
//! against a plain `serde_json::from_slice` of the same bytes, on the sample Open Badge
//! (`model::sample::data_literacy_badge`, ≈ 4.4 KB) and on a 1,000-entry array of small objects
//! (many keys, little text).
//!
//! `cargo bench -p passerelle-core --bench input`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use passerelle_core::input::{parse_json, InputLimits};
use passerelle_core::model::sample;
use serde_json::Value;

fn bench_input(c: &mut Criterion) {
    let badge = serde_json::to_vec(&sample::data_literacy_badge()).expect("the badge serialises");
    let many: Vec<Value> = (0..1000)
        .map(
            |i| serde_json::json!({"id": i, "type": "Result", "value": format!("{i}"), "ok": true}),
        )
        .collect();
    let many = serde_json::to_vec(&many).expect("the array serialises");
    let limits = InputLimits::default();
    for (name, bytes) in [("badge", &badge), ("objects_1000", &many)] {
        // Both read the same document.
        let checked = parse_json(bytes, &limits).expect("no duplicates");
        let plain: Value = serde_json::from_slice(bytes).expect("valid JSON");
        assert_eq!(checked, plain);

        let mut group = c.benchmark_group(format!("parse/{name}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("input_parse_json", |b| {
            b.iter(|| parse_json(black_box(bytes), &limits).expect("parses"))
        });
        group.bench_function("serde_json_from_slice", |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)).expect("parses"))
        });
        group.finish();
    }
}

criterion_group!(benches, bench_input);
criterion_main!(benches);
