//! The collection registry: one row per `/v2/usercollection/<name>` route, mirroring api.md §2.
//! Routing, filtering, pagination, truth, docs and dumps are all driven from this table.

/// How a list route is queried.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    /// `start_date` / `end_date` (local calendar days).
    Dated,
    /// `start_datetime` / `end_datetime` (max 30 days), rows keyed by UTC `timestamp`.
    Series,
    /// `next_token` only (ring_configuration).
    Listed,
    /// A bare object, no list envelope (personal_info).
    Single,
}

/// Which date a dated collection is filtered on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DayFilter {
    /// The document's own day field (`day`, `start_day`).
    DayField,
    /// The UTC date of a datetime field: observed quirk of `workout` (api.md §3).
    UtcDateOf(&'static str),
}

#[derive(Debug)]
pub struct Collection {
    /// Route segment, e.g. `vO2_max` (capital O, as the real API spells it).
    pub name: &'static str,
    pub family: Family,
    /// `end_date` excluded (daily_activity, sleep, workout) rather than included.
    pub end_exclusive: bool,
    /// Has `/v2/usercollection/<name>/{document_id}`.
    pub single_doc: bool,
    /// Webhook `data_type` (note `vo2_max` in lower case), None when no webhooks exist.
    pub webhook: Option<&'static str>,
    /// Field holding the local calendar day, if any.
    pub day_field: Option<&'static str>,
    /// Datetime field used to order documents oldest → newest.
    pub time_field: Option<&'static str>,
    pub filter: DayFilter,
    /// The `fields` projection is ignored by the real API for these.
    pub ignores_fields: bool,
}

const fn dated(
    name: &'static str,
    end_exclusive: bool,
    day: &'static str,
    time: Option<&'static str>,
) -> Collection {
    Collection {
        name,
        family: Family::Dated,
        end_exclusive,
        single_doc: true,
        webhook: Some(name),
        day_field: Some(day),
        time_field: time,
        filter: DayFilter::DayField,
        ignores_fields: false,
    }
}

const fn series(name: &'static str) -> Collection {
    Collection {
        name,
        family: Family::Series,
        end_exclusive: true,
        single_doc: false,
        webhook: None,
        day_field: None,
        time_field: Some("timestamp"),
        filter: DayFilter::DayField,
        ignores_fields: false,
    }
}

pub static COLLECTIONS: &[Collection] = &[
    dated("daily_activity", true, "day", Some("timestamp")),
    dated("daily_readiness", false, "day", Some("timestamp")),
    dated("daily_sleep", false, "day", Some("timestamp")),
    dated("daily_spo2", false, "day", None),
    dated("daily_stress", false, "day", None),
    Collection {
        ignores_fields: true,
        ..dated("daily_resilience", false, "day", None)
    },
    dated("daily_cardiovascular_age", false, "day", None),
    Collection {
        webhook: Some("vo2_max"),
        ..dated("vO2_max", false, "day", Some("timestamp"))
    },
    dated("sleep", true, "day", Some("bedtime_start")),
    dated("sleep_time", false, "day", None),
    Collection {
        filter: DayFilter::UtcDateOf("start_datetime"),
        ..dated("workout", true, "day", Some("start_datetime"))
    },
    dated("session", false, "day", Some("start_datetime")),
    Collection {
        ignores_fields: true,
        ..dated("tag", false, "day", Some("timestamp"))
    },
    Collection {
        ignores_fields: true,
        ..dated("enhanced_tag", false, "start_day", Some("start_time"))
    },
    dated("rest_mode_period", false, "start_day", Some("start_time")),
    Collection {
        family: Family::Listed,
        day_field: None,
        ..dated("ring_configuration", false, "", Some("set_up_at"))
    },
    series("heartrate"),
    series("ring_battery_level"),
    Collection {
        family: Family::Single,
        single_doc: false,
        webhook: None,
        day_field: None,
        ..series("personal_info")
    },
];

pub fn find(name: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.name == name)
}

/// Webhook data types accepted by the subscription API (spec 1.37 enum; `meal` has no REST route).
pub fn webhook_data_types() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = COLLECTIONS.iter().filter_map(|c| c.webhook).collect();
    v.push("meal");
    v
}

pub const EVENT_TYPES: &[&str] = &["create", "update", "delete"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nineteen_collections_and_quirks() {
        assert_eq!(COLLECTIONS.len(), 19);
        assert_eq!(find("vO2_max").and_then(|c| c.webhook), Some("vo2_max"));
        assert_eq!(webhook_data_types().len(), 17);
        let exclusive: Vec<_> = COLLECTIONS
            .iter()
            .filter(|c| c.family == Family::Dated && c.end_exclusive)
            .map(|c| c.name)
            .collect();
        assert_eq!(exclusive, ["daily_activity", "sleep", "workout"]);
    }
}
