//! Throughput of `Scope::record`, against a yardstick measured in the same run: pushing the same
//! `params_hash` values into a `Vec` (what keeping every query would cost at the very least).
//!
//! `cargo bench -p querysight_detect --bench record` prints criterion's figures, then one line
//! per workload with events/s and the ratio to the yardstick (best sample of each).
#![allow(clippy::print_stdout)] // A bench reports on stdout.

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use querysight_detect::{DetectConfig, QueryEvent, QueryKind, Scope};

/// Events per iteration.
const EVENTS: u64 = 10_000;

/// Best seen time per iteration, by benchmark name.
static BEST: Mutex<Vec<(String, Duration)>> = Mutex::new(Vec::new());

fn note(name: &str, per_iter: Duration) {
    let mut best = BEST.lock().unwrap_or_else(|e| e.into_inner());
    match best.iter_mut().find(|(n, _)| n == name) {
        Some((_, d)) => *d = (*d).min(per_iter),
        None => best.push((name.to_owned(), per_iter)),
    }
}

/// Deterministic pseudo-random u64s (SplitMix64).
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The workloads: (name, events).
fn workloads() -> Vec<(&'static str, Vec<QueryEvent>)> {
    let mut state = 42;
    // A big N+1 loop: 10 shapes interleaved, every parameter distinct (past the exact limit,
    // so the sketch path runs).
    let loop_10: Vec<_> = (0..EVENTS)
        .map(|i| {
            QueryEvent::new(1 + i % 10, next(&mut state), 7)
                .with_duration_us(150)
                .with_relation(3)
                .with_origin(1)
        })
        .collect();
    // A request-like mix: 200 groups (shape × call site), parameters drawn from 40 values so
    // they repeat (exact path, duplicates), 1 in 10 a transaction statement.
    let mix: Vec<_> = (0..EVENTS)
        .map(|i| {
            let r = next(&mut state);
            let kind = if r.is_multiple_of(10) {
                QueryKind::Other
            } else {
                QueryKind::Select
            };
            QueryEvent::new(r % 50, (r >> 20) % 40, ((r >> 8) % 4) as u32)
                .with_duration_us(i % 300)
                .with_kind(kind)
        })
        .collect();
    vec![
        ("loop_10_groups_distinct", loop_10),
        ("request_mix_200_groups", mix),
    ]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(EVENTS));
    for (name, events) in workloads() {
        group.bench_with_input(BenchmarkId::new("scope", name), &events, |b, events| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut scope = Scope::new(DetectConfig::default());
                    for event in events {
                        scope.record(black_box(event));
                    }
                    black_box(scope.query_count());
                }
                let elapsed = start.elapsed();
                note(name, elapsed / iters.max(1) as u32);
                elapsed
            });
        });
        let hashes: Vec<u64> = events.iter().map(|e| e.params_hash).collect();
        let yardstick = format!("yardstick:{name}");
        group.bench_with_input(BenchmarkId::new("vec_push", name), &hashes, |b, hashes| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut all = Vec::new();
                    for &h in hashes {
                        all.push(black_box(h));
                    }
                    black_box(all.len());
                }
                let elapsed = start.elapsed();
                note(&yardstick, elapsed / iters.max(1) as u32);
                elapsed
            });
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();

    let best = BEST.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let per_second = |d: Duration| EVENTS as f64 / d.as_secs_f64();
    for (name, record) in best.iter().filter(|(n, _)| !n.starts_with("yardstick:")) {
        let Some((_, yardstick)) = best.iter().find(|(n, _)| *n == format!("yardstick:{name}"))
        else {
            continue;
        };
        println!(
            "{name}: Scope::record {:.1} M events/s, Vec::push {:.1} M u64/s, ratio {:.1}x the yardstick's time",
            per_second(*record) / 1e6,
            per_second(*yardstick) / 1e6,
            record.as_secs_f64() / yardstick.as_secs_f64(),
        );
    }
}
