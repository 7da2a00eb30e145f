//! Calendar arithmetic for timestamps: the proleptic Gregorian date of a day count since the
//! Unix epoch, without a time zone database.
//!
//! pyro's log lines ([`logging`](crate::logging)) and programs writing Python-style
//! `isoformat()` or `ctime()` texts need the date of a [`SystemTime`](std::time::SystemTime);
//! [`civil_from_days`] gives it from the whole days since 1970-01-01.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use pyro::calendar::civil_from_days;
//!
//! let time = UNIX_EPOCH + Duration::from_secs(1_764_600_000); // 2025-12-01T14:40:00Z
//! let secs = time.duration_since(UNIX_EPOCH).unwrap().as_secs();
//! let (year, month, day) = civil_from_days((secs / 86_400) as i64);
//! assert_eq!(format!("{year:04}-{month:02}-{day:02}"), "2025-12-01");
//! ```

/// The proleptic Gregorian `(year, month, day)` that is `days` days after 1970-01-01 (before
/// it for a negative count), by Howard Hinnant's `civil_from_days`. Months and days count from
/// 1; years before 1 are astronomical (0 is 1 BC). Every `i64` has a date: the arithmetic is
/// done in `i128`.
///
/// ```
/// use pyro::calendar::civil_from_days;
///
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// assert_eq!(civil_from_days(19_782), (2024, 2, 29));
/// assert_eq!(civil_from_days(-719_162), (1, 1, 1));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shifted to eras of 400 years starting on 0000-03-01, so that a leap day ends its year.
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..=146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of the era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year, 0..=365
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    // The year is at most |days| / 365 + 1 from 1970, so it fits; month and day are small.
    (year as i64, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;
    use crate::value::Date;

    /// 1970-01-01 as Python's `date.toordinal()`.
    const EPOCH_ORDINAL: i64 = 719_163;

    #[test]
    fn agrees_with_python_ordinals_over_all_of_pythons_years() {
        // Date::from_ordinal is CPython's algorithm, an independent one; every 7th day of
        // 0001-01-01..=9999-12-31, and every day around the epoch and the century leap rules.
        let around = |center: i64| (center - 800)..(center + 800);
        let days = (-719_162..=2_932_896).step_by(7).chain(around(0)).chain(around(10_957)).chain(around(-25_567));
        for days in days {
            let date = Date::from_ordinal(days + EPOCH_ORDINAL).expect("in Python's range");
            let expected = (i64::from(date.year()), u32::from(date.month()), u32::from(date.day()));
            assert_eq!(civil_from_days(days), expected, "{days} days after 1970-01-01");
        }
    }

    #[test]
    fn the_extremes_of_i64_have_dates() {
        let (year, month, day) = civil_from_days(i64::MAX);
        assert!(year > 25_000_000_000_000_000 && (1..=12).contains(&month) && (1..=31).contains(&day));
        let (year, month, day) = civil_from_days(i64::MIN);
        assert!(year < -25_000_000_000_000_000 && (1..=12).contains(&month) && (1..=31).contains(&day));
    }
}
