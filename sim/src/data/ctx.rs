//! Shared generation context: seed, day range and the user's (fixed) UTC offset.

use crate::rng::Rng;
use crate::timefmt;
use chrono::{Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};

pub struct Ctx {
    pub seed: u64,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub tz: FixedOffset,
}

/// Offsets picked from the seed when none is given: a mix east and west of UTC so local and UTC days differ.
const OFFSETS_H: &[i32] = &[-5, 1, -8, 2, 9, -3, 0, 10];

impl Ctx {
    pub fn new(seed: u64, days: u32, last: NaiveDate, tz: Option<FixedOffset>) -> Self {
        let tz = tz.unwrap_or_else(|| {
            let h = Rng::keyed(seed, &["tz"]).pick(OFFSETS_H);
            FixedOffset::east_opt(h * 3600).unwrap_or(Utc.fix())
        });
        let first = last - Duration::days(i64::from(days.max(1)) - 1);
        Ctx {
            seed,
            first,
            last,
            tz,
        }
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take_while(move |d| *d <= self.last)
    }

    pub fn rng(&self, labels: &[&str]) -> Rng {
        Rng::keyed(self.seed, labels)
    }

    /// Local wall-clock time `secs` seconds after midnight of `day` (may spill into the next day).
    pub fn at(&self, day: NaiveDate, secs: i64) -> NaiveDateTime {
        day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(secs)
    }

    /// `YYYY-MM-DDTHH:MM:SS.000±HH:MM` in the user's offset.
    pub fn ts(&self, dt: NaiveDateTime) -> String {
        timefmt::local(dt, self.tz)
    }

    pub fn epoch(&self, dt: NaiveDateTime) -> i64 {
        timefmt::epoch_local(dt, self.tz)
    }

    /// Whether the ring was worn during the night ending on `day` (~5% of nights have no sleep data).
    pub fn worn(&self, day: NaiveDate) -> bool {
        self.rng(&["worn", &day.to_string()]).chance(0.95)
    }

    /// Stable document id for (collection, day, index).
    pub fn id(&self, collection: &str, day: NaiveDate, index: usize) -> String {
        self.rng(&["id", collection, &day.to_string(), &index.to_string()])
            .uuid()
    }
}
