//! Deterministic pseudo-random numbers (splitmix64).
//!
//! Every generator derives its own stream from `seed` plus string labels (collection, day, ...), so adding a
//! document to one collection never shifts the numbers of another: output stays stable across edits.

pub struct Rng(u64);

impl Rng {
    /// A stream keyed by `seed` and labels, e.g. `Rng::keyed(seed, &["sleep", "2026-01-14"])`.
    pub fn keyed(seed: u64, labels: &[&str]) -> Self {
        // FNV-1a over the labels (with a separator so ["ab","c"] != ["a","bc"]), mixed with the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for label in labels {
            for b in label.bytes().chain(std::iter::once(0xff)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        let mut rng = Rng(h);
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform float in [0, 1).
    pub fn float(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [lo, hi] (inclusive); returns `lo` when the range is empty.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// Uniform float in [lo, hi).
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.float()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.float() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len().max(1) as u64) as usize]
    }

    /// A UUID-v4-shaped id, so consumers that validate UUIDs accept it.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let hex = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-4{}-{}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            ["8", "9", "a", "b"][(b >> 62) as usize],
            &hex[17..20],
            &hex[20..32]
        )
    }

    /// `bytes` random bytes as lowercase hex (tokens, challenges).
    pub fn hex(&mut self, bytes: usize) -> String {
        (0..bytes)
            .map(|_| format!("{:02x}", self.next_u64() as u8))
            .collect()
    }
}

/// Round to one decimal, the precision Oura uses for most float fields.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Round to two decimals.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_streams_are_stable_and_distinct() {
        let a = Rng::keyed(1, &["sleep", "2026-01-01"]).next_u64();
        assert_eq!(a, Rng::keyed(1, &["sleep", "2026-01-01"]).next_u64());
        assert_ne!(a, Rng::keyed(2, &["sleep", "2026-01-01"]).next_u64());
        assert_ne!(a, Rng::keyed(1, &["sleep2026", "-01-01"]).next_u64());
    }

    #[test]
    fn uuid_shape() {
        let id = Rng::keyed(7, &[]).uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
