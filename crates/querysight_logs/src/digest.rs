//! Per query shape totals: count, total, mean, p95 and max duration, in bounded memory.

use rustc_hash::FxHashMap;

/// Log-linear histogram of durations (microseconds): exact below 16 µs, then 16 buckets per
/// power of two, so a percentile read from it is within 6.25 % of the true value. At most
/// about 1,000 buckets (4 KiB), allocated up to the largest value seen.
#[derive(Clone, Debug, Default)]
pub(crate) struct Histogram {
    counts: Vec<u32>,
}

const SUB: u32 = 16;

fn bucket(v: u64) -> usize {
    if v < u64::from(SUB) {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= 4
    let sub = (v >> (e - 4)) & u64::from(SUB - 1);
    (SUB + (e - 4) * SUB) as usize + sub as usize
}

/// The smallest value of a bucket, and its width.
fn bucket_range(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < u64::from(SUB) {
        return (i, 1);
    }
    let e = (i - u64::from(SUB)) / u64::from(SUB) + 4;
    let sub = (i - u64::from(SUB)) % u64::from(SUB);
    let width = 1_u64 << (e - 4);
    ((1_u64 << e) + sub * width, width)
}

impl Histogram {
    pub fn record(&mut self, v: u64) {
        let b = bucket(v);
        if b >= self.counts.len() {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] = self.counts[b].saturating_add(1);
    }

    /// The value at quantile `q` (0..=1): the midpoint of the bucket holding it, capped by
    /// `max`; `max` itself when the quantile is the largest value. `None` when empty.
    pub fn quantile(&self, q: f64, max: u64) -> Option<u64> {
        let total: u64 = self.counts.iter().map(|c| u64::from(*c)).sum();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        if rank == total {
            return Some(max);
        }
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                let (low, width) = bucket_range(i);
                return Some((low + width / 2).min(max));
            }
        }
        Some(max)
    }
}

/// Totals of one shape.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShapeTotals {
    pub count: u64,
    /// Executions with a known duration.
    pub timed: u64,
    pub total_us: u64,
    pub max_us: u64,
    pub hist: Histogram,
    pub first_file: u32,
    pub first_line: u64,
}

/// Totals per fingerprint.
#[derive(Debug, Default)]
pub(crate) struct Digest {
    pub shapes: FxHashMap<u64, ShapeTotals>,
}

impl Digest {
    pub fn record(&mut self, fingerprint: u64, duration: Option<u64>, file: u32, line: u64) {
        let t = self
            .shapes
            .entry(fingerprint)
            .or_insert_with(|| ShapeTotals {
                first_file: file,
                first_line: line,
                ..ShapeTotals::default()
            });
        t.count += 1;
        if let Some(d) = duration {
            t.timed += 1;
            t.total_us = t.total_us.saturating_add(d);
            t.max_us = t.max_us.max(d);
            t.hist.record(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip() {
        for v in [
            0_u64,
            1,
            15,
            16,
            17,
            31,
            32,
            100,
            1000,
            123_456,
            u64::MAX / 3,
        ] {
            let (low, width) = bucket_range(bucket(v));
            assert!(
                low <= v && v < low.saturating_add(width),
                "{v}: {low} {width}"
            );
        }
    }

    #[test]
    fn p95_is_close() {
        let mut h = Histogram::default();
        for v in 1..=1000 {
            h.record(v);
        }
        let p95 = h.quantile(0.95, 1000).unwrap();
        assert!((p95 as i64 - 950).abs() <= 950 / 16, "{p95}");
        assert_eq!(Histogram::default().quantile(0.95, 0), None);
    }
}
