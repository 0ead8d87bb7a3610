//! Calendar arithmetic on days since 1970-01-01 (proleptic Gregorian, like PostgreSQL `date`).
//!
//! - `days_from_civil` / `civil_from_days`: Howard Hinnant, "chrono-Compatible Low-Level Date
//!   Algorithms" (2013, <https://howardhinnant.github.io/date_algorithms.html>), computed in i64 so
//!   no i32 day overflows.
//! - `age_on`: completed years with PostgreSQL `age()` semantics. A 2000-02-29 birthday is reached
//!   on 03-01 in non-leap years: PostgreSQL gives `age('2001-02-28', '2000-02-29')` = 11 mons
//!   30 days (not yet 1 year) and `age('2001-03-01', '2000-02-29')` = 1 year 1 day.
//! - `age_group`: the bands '<20', '20-29', '30-39', '40-49', '50-59', '60+'.
//! - `month_of` / `month_start_day`: calendar-month buckets of a local day.

use crate::error::{FitError, FitResult};

/// The age groups, youngest first, as returned by [`age_group`].
pub const AGE_GROUPS: [&str; 6] = ["<20", "20-29", "30-39", "40-49", "50-59", "60+"];

/// Days since 1970-01-01 of the proleptic Gregorian date `y`-`m`-`d` (Hinnant's
/// `days_from_civil`). Expects `m` in 1..=12 and `d` in 1..=31; other values are not checked
/// (the result is then meaningless but nothing panics or overflows).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let m = i64::from(m);
    let d = i64::from(d);
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (m + 9) % 12; // March = 0 .. February = 11
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// (year, month 1..=12, day 1..=31) of `days` since 1970-01-01 (Hinnant's `civil_from_days`).
/// Total: every i32 maps to a valid date.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    // |days| <= 2^31 keeps |y| below 5.9 million, so the casts are exact.
    (y as i32, m as u32, d as u32)
}

/// Completed years from `birth_date_days` to `on_days` (both days since 1970-01-01), the year
/// field of PostgreSQL `age(on, birth)`.
///
/// A birthday is reached when (month, day) of `on` is at or past (month, day) of the birth, so a
/// 29 February birthday is reached on 1 March in non-leap years (PostgreSQL's `age()` rule). If
/// `on_days` is before the birth the result is negative and truncated toward zero, as PostgreSQL
/// does: `age('1998-06-15', '2000-06-15')` = -2 years.
pub fn age_on(birth_date_days: i32, on_days: i32) -> i32 {
    if on_days < birth_date_days {
        return -age_on(on_days, birth_date_days);
    }
    let (by, bm, bd) = civil_from_days(birth_date_days);
    let (oy, om, od) = civil_from_days(on_days);
    (oy - by) - i32::from((om, od) < (bm, bd))
}

/// The age group of `age` in completed years: '<20', '20-29', '30-39', '40-49', '50-59', '60+'.
///
/// The decades match the age bands of the VO2max norms (see `norms`), whose youngest band
/// ("under 30") covers both '<20' and '20-29'.
pub fn age_group(age: i32) -> &'static str {
    match age {
        i32::MIN..=19 => AGE_GROUPS[0],
        20..=29 => AGE_GROUPS[1],
        30..=39 => AGE_GROUPS[2],
        40..=49 => AGE_GROUPS[3],
        50..=59 => AGE_GROUPS[4],
        _ => AGE_GROUPS[5],
    }
}

/// (year, month) of the calendar month containing `day` (days since 1970-01-01).
pub fn month_of(day: i32) -> (i32, u32) {
    let (y, m, _) = civil_from_days(day);
    (y, m)
}

/// Days since 1970-01-01 of the first day of `year`-`month`.
///
/// Errors: `month` outside 1..=12 (22023); a first day outside the i32 day range (22003).
pub fn month_start_day(year: i32, month: u32) -> FitResult<i32> {
    if !(1..=12).contains(&month) {
        return Err(FitError::invalid_param(format!("invalid month \"{month}\""))
            .with_hint("A month is a number from 1 to 12."));
    }
    let d = days_from_civil(year, month, 1);
    i32::try_from(d).map_err(|_| {
        FitError::out_of_range(format!("month \"{year}-{month:02}\" is out of range"))
            .with_detail(format!("Its first day is {d} days from 1970-01-01, beyond a 32-bit day number."))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        // (y, m, d, days since 1970-01-01, source)
        let cases: [(i32, u32, u32, i64, &str); 11] = [
            (1970, 1, 1, 0, "the epoch"),
            (1969, 12, 31, -1, "the day before the epoch"),
            (2000, 1, 1, 10_957, "Unix time 946684800 / 86400"),
            (2000, 2, 29, 11_016, "10957 + 31 + 28: 2000 is a leap year (divisible by 400)"),
            (2000, 3, 1, 11_017, "the day after 2000-02-29"),
            (2024, 1, 1, 19_723, "Unix time 1704067200 / 86400"),
            (2038, 1, 19, 24_855, "the 32-bit time_t rollover day, floor(2^31 / 86400)"),
            (1900, 1, 1, -25_567, "NTP epoch: 2208988800 s before the Unix epoch / 86400"),
            (1900, 3, 1, -25_508, "-25567 + 31 + 28: 1900 is not a leap year"),
            (0, 3, 1, -719_468, "Hinnant's shift constant: 0000-03-01 is day -719468"),
            (5_874_898, 1, 1, 2_147_483_494 - 2_440_588, "PostgreSQL DATETIME_MAX_JULIAN minus UNIX_EPOCH_JDATE"),
        ];
        for (y, m, d, days, src) in cases {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d} ({src})");
            let back = civil_from_days(i32::try_from(days).unwrap());
            assert_eq!(back, (y, m, d), "{days} ({src})");
        }
    }

    #[test]
    fn day_by_day_walk() {
        // Walk every day from 1600-03-01 to 2400-03-01 and check that each day is the calendar
        // successor of the previous one under the Gregorian leap rule, and that the round trip holds.
        let leap = |y: i32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = |y: i32, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let start = days_from_civil(1600, 3, 1) as i32;
        let end = days_from_civil(2400, 3, 1) as i32;
        assert_eq!(end - start, 800 * 365 + 194, "800 years hold 194 leap days (200 - 8 + 2)");
        let mut prev = civil_from_days(start);
        for day in start + 1..=end {
            let (y, m, d) = prev;
            let want = if d < len(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            let got = civil_from_days(day);
            assert_eq!(got, want, "day {day}");
            assert_eq!(days_from_civil(got.0, got.1, got.2), i64::from(day));
            prev = got;
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        for day in [i32::MIN, i32::MIN + 1, -1, 0, i32::MAX - 1, i32::MAX] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), i64::from(day), "{day}");
        }
    }

    fn day(y: i32, m: u32, d: u32) -> i32 {
        days_from_civil(y, m, d) as i32
    }

    #[test]
    fn ages() {
        // (birth, on, completed years, source)
        let cases = [
            (day(2000, 2, 29), day(2001, 2, 28), 0, "PostgreSQL: age('2001-02-28','2000-02-29') = 11 mons 30 days"),
            (day(2000, 2, 29), day(2001, 3, 1), 1, "PostgreSQL: age('2001-03-01','2000-02-29') = 1 year 1 day"),
            (day(2000, 2, 29), day(2004, 2, 28), 3, "leap birthday, leap year, the day before"),
            (day(2000, 2, 29), day(2004, 2, 29), 4, "leap birthday on a real 29 February"),
            (day(1990, 6, 15), day(2020, 6, 14), 29, "the day before the 30th birthday"),
            (day(1990, 6, 15), day(2020, 6, 15), 30, "on the 30th birthday"),
            (day(1990, 12, 31), day(1991, 1, 1), 0, "one day old across a year boundary"),
            (day(1985, 3, 1), day(1985, 3, 1), 0, "born today"),
            (day(1950, 1, 1), day(2024, 12, 31), 74, "74 completed years, days 1 short of 75"),
            (day(2000, 6, 15), day(1998, 6, 15), -2, "PostgreSQL: age('1998-06-15','2000-06-15') = -2 years"),
            (day(2000, 6, 15), day(1999, 6, 20), 0, "PostgreSQL: age('1999-06-20','2000-06-15') = -11 mons -26 days"),
        ];
        for (b, on, want, src) in cases {
            assert_eq!(age_on(b, on), want, "{src}");
        }
    }

    #[test]
    fn age_groups() {
        let cases = [
            (-3, "<20"), (0, "<20"), (19, "<20"), (20, "20-29"), (29, "20-29"), (30, "30-39"),
            (39, "30-39"), (40, "40-49"), (49, "40-49"), (50, "50-59"), (59, "50-59"), (60, "60+"),
            (99, "60+"), (i32::MAX, "60+"), (i32::MIN, "<20"),
        ];
        for (age, want) in cases {
            assert_eq!(age_group(age), want, "age {age}");
        }
    }

    #[test]
    fn months() {
        // (day, (year, month), first day of that month, source)
        let cases = [
            (0, (1970, 1), 0, "the epoch is a first of the month"),
            (-1, (1969, 12), -31, "1969-12-31 is in December 1969, which starts 31 days earlier"),
            (day(2000, 2, 29), (2000, 2), day(2000, 2, 1), "leap day in February"),
            (day(2000, 3, 1), (2000, 3), 11_017, "11017 = 2000-03-01, see known_days"),
            (day(2024, 2, 29), (2024, 2), 19_754, "2024-02-01 = 19723 + 31"),
            (day(2023, 12, 31), (2023, 12), 19_692, "2023-12-01 = 19723 - 31"),
        ];
        for (d, ym, start, src) in cases {
            assert_eq!(month_of(d), ym, "{src}");
            assert_eq!(month_start_day(ym.0, ym.1).unwrap(), start, "{src}");
        }
        // Every day falls in [month start, next month start).
        for d in day(1999, 1, 1)..day(2001, 1, 1) {
            let (y, m) = month_of(d);
            let s = month_start_day(y, m).unwrap();
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            assert!(s <= d && d < month_start_day(ny, nm).unwrap(), "{d}");
        }
        let e = month_start_day(2024, 13).unwrap_err();
        assert_eq!((e.kind.sqlstate(), e.message.as_str()), ("22023", "invalid month \"13\""));
        assert_eq!(month_start_day(2024, 0).unwrap_err().message, "invalid month \"0\"");
        let e = month_start_day(6_000_000, 1).unwrap_err();
        assert_eq!((e.kind.sqlstate(), e.message.as_str()), ("22003", "month \"6000000-01\" is out of range"));
    }
}
