//! The experiment that led to `jsonld::ContextCache` (option #2 in BENCHMARKS.md, now applied):
//! what JSON-LD expansion of the sample badge costs when the badge's top-level contexts are
//! processed once and the result reused. Uses the `json-ld` crate directly with its default options (not
//! Passerelle's safe-mode policy), and a loader holding the bundled contexts already parsed.
//!
//! - `expand_every_time`: what happens today (minus re-parsing the context JSON): the
//!   document's `@context` is processed during expansion;
//! - `expand_with_cached_context`: the same document without its `@context`, expanded from the
//!   active context processed once beforehand (one clone of it per document);
//! - `process_context`: processing the three top-level contexts alone.
//!
//! Both expansions are checked to give the same expanded document before anything is timed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use json_ld::syntax::{Parse, TryFromJson};
use json_ld::{Context, Expand, IriBuf, Process, RemoteDocument};
use serde_json::Value;

use passerelle_core::contexts;
use passerelle_core::model::sample;

type Loader = HashMap<IriBuf, RemoteDocument>;

fn parsed_loader() -> Loader {
    contexts::all()
        .iter()
        .map(|bundled| {
            let iri = IriBuf::new(bundled.url.to_owned()).expect("bundled URLs are IRIs");
            let (json, _) =
                json_syntax::Value::parse_str(bundled.json).expect("bundled contexts are JSON");
            (iri.clone(), RemoteDocument::new(Some(iri), None, json))
        })
        .collect()
}

fn expand(
    input: &json_syntax::Value,
    context: Context,
    loader: &Loader,
) -> json_ld::ExpandedDocument {
    pollster::block_on(input.expand_full(
        &mut (),
        context,
        None,
        loader,
        json_ld::expansion::Options::default(),
        (),
    ))
    .expect("the badge expands")
}

fn bench_context_cache(c: &mut Criterion) {
    let loader = parsed_loader();
    let badge = sample::data_literacy_badge();
    let with_context = json_syntax::Value::from_serde_json(badge.clone());
    let mut bare = badge.clone();
    let context_json = match &mut bare {
        Value::Object(map) => map.remove("@context").expect("the badge has an @context"),
        _ => unreachable!("the sample badge is an object"),
    };
    let without_context = json_syntax::Value::from_serde_json(bare);
    let local_context = json_ld::syntax::context::Context::try_from_json(
        json_syntax::Value::from_serde_json(context_json),
    )
    .expect("the badge's @context is a valid context");
    let process = || {
        pollster::block_on(local_context.process(&mut (), &loader, None))
            .expect("the badge's contexts process")
            .into_processed()
    };
    let cached = process();

    let every_time = expand(&with_context, Context::default(), &loader);
    let reused = expand(&without_context, cached.clone(), &loader);
    assert!(
        every_time == reused,
        "expanding from the cached context must give the same document"
    );

    let mut group = c.benchmark_group("context_cache");
    group.bench_function("expand_every_time", |b| {
        b.iter(|| expand(black_box(&with_context), Context::default(), &loader))
    });
    group.bench_function("expand_with_cached_context", |b| {
        b.iter(|| expand(black_box(&without_context), cached.clone(), &loader))
    });
    group.bench_function("process_context", |b| b.iter(process));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_context_cache
}
criterion_main!(benches);
