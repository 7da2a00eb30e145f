//! Values that msgpack carries as Pyro5 extension types, and the serde convention that carries
//! them through any serde serializer.
//!
//! Pyro5's msgpack serializer uses ext 0x30 (complex, two native-endian f64), 0x31 (an integer
//! beyond 64 bits, ASCII decimal), 0x32 (a naive datetime, native-endian f64 timestamp) and 0x33
//! (a date, native-endian i64 ordinal). [`Value`](super::Value) serializes these as rmp-serde's
//! extension newtype ([`EXT_STRUCT_NAME`] holding `(code, bytes)`), which rmp-serde writes as a
//! real msgpack ext; the json writer and `to_value` recognise the same newtype.

/// rmp-serde's name for a newtype struct that is written as a msgpack ext (`(i8, bytes)`).
pub(crate) const EXT_STRUCT_NAME: &str = "_ExtStruct";
/// Extension code for `complex`.
pub(crate) const EXT_COMPLEX: i8 = 0x30;
/// Extension code for integers outside [-2^63, 2^64).
pub(crate) const EXT_BIGINT: i8 = 0x31;
/// Extension code for naive `datetime`.
pub(crate) const EXT_DATETIME: i8 = 0x32;
/// Extension code for `date`.
pub(crate) const EXT_DATE: i8 = 0x33;

/// A calendar date (Python `datetime.date`), proleptic Gregorian.
///
/// ```
/// use pyro::value::Date;
///
/// let d = Date::new(2024, 1, 2).unwrap();
/// assert_eq!(d.ordinal(), 738887);
/// assert_eq!(Date::from_ordinal(738887), Some(d));
/// assert_eq!(d.to_string(), "2024-01-02");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date `year-month-day`, or `None` if it does not exist or is outside Python's years 1..=9999.
    ///
    /// ```
    /// use pyro::value::Date;
    /// assert!(Date::new(2023, 2, 29).is_none());
    /// assert!(Date::new(2024, 2, 29).is_some());
    /// ```
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let valid =
            (1..=9999).contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The year.
    ///
    /// ```
    /// assert_eq!(pyro::value::Date::new(2024, 1, 2).unwrap().year(), 2024);
    /// ```
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    ///
    /// ```
    /// assert_eq!(pyro::value::Date::new(2024, 1, 2).unwrap().month(), 1);
    /// ```
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    ///
    /// ```
    /// assert_eq!(pyro::value::Date::new(2024, 1, 2).unwrap().day(), 2);
    /// ```
    pub fn day(self) -> u8 {
        self.day
    }

    /// Python's `date.toordinal()`: 1 for 0001-01-01.
    ///
    /// ```
    /// assert_eq!(pyro::value::Date::new(1, 1, 1).unwrap().ordinal(), 1);
    /// ```
    pub fn ordinal(self) -> i64 {
        let y = i64::from(self.year) - 1;
        let days_before_year = y * 365 + y / 4 - y / 100 + y / 400;
        let days_before_month: i64 = (1..self.month).map(|m| i64::from(days_in_month(self.year, m))).sum();
        days_before_year + days_before_month + i64::from(self.day)
    }

    /// Python's `date.fromordinal(n)`, or `None` outside 0001-01-01..=9999-12-31.
    ///
    /// ```
    /// use pyro::value::Date;
    /// assert_eq!(Date::from_ordinal(1), Date::new(1, 1, 1));
    /// assert_eq!(Date::from_ordinal(0), None);
    /// ```
    pub fn from_ordinal(n: i64) -> Option<Date> {
        const MAX_ORDINAL: i64 = 3_652_059; // 9999-12-31
        if !(1..=MAX_ORDINAL).contains(&n) {
            return None;
        }
        // Count whole 400/100/4/1-year cycles, as CPython's ord_to_ymd does.
        let mut n = n - 1;
        let n400 = n / 146_097;
        n %= 146_097;
        let n100 = n / 36_524;
        n %= 36_524;
        let n4 = n / 1_461;
        n %= 1_461;
        let n1 = n / 365;
        n %= 365;
        let mut year = n400 * 400 + n100 * 100 + n4 * 4 + n1 + 1;
        if n1 == 4 || n100 == 4 {
            // The last day of a leap cycle.
            year -= 1;
            return Date::new(i32::try_from(year).ok()?, 12, 31);
        }
        let year = i32::try_from(year).ok()?;
        let mut month = 1u8;
        loop {
            let len = i64::from(days_in_month(year, month));
            if n < len {
                break;
            }
            n -= len;
            month += 1;
        }
        Date::new(year, month, u8::try_from(n + 1).ok()?)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn ordinal_round_trips_across_leap_boundaries() {
        for n in (1..3_652_060).step_by(97).chain([1, 59, 60, 365, 366, 730_119, 730_120, 3_652_059]) {
            let date = Date::from_ordinal(n).expect("in range");
            assert_eq!(date.ordinal(), n, "{date}");
        }
        assert_eq!(Date::new(2000, 12, 31).map(Date::ordinal), Some(730_485));
        assert_eq!(Date::from_ordinal(3_652_060), None);
    }
}
