//! Meta writes expiry times in its error messages in Pacific time:
//! "Session has expired on Tuesday, 10-Feb-15 16:00:00 PST." No date crate needed for that.

const WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month 1..=12, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `n`-th Sunday (1-based) of a month, as a day count.
fn nth_sunday(year: i64, month: i64, n: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    // 1970-01-01 was a Thursday: weekday index 0 = Thursday, 3 = Sunday.
    let offset = (3 - first.rem_euclid(7)).rem_euclid(7);
    first + offset + 7 * (n - 1)
}

/// True while US daylight saving time applies (2nd Sunday of March 10:00 UTC to 1st Sunday
/// of November 09:00 UTC).
fn is_daylight(unix: i64) -> bool {
    let (year, _, _) = civil_from_days(unix.div_euclid(86_400));
    let start = nth_sunday(year, 3, 2) * 86_400 + 10 * 3600;
    let end = nth_sunday(year, 11, 1) * 86_400 + 9 * 3600;
    (start..end).contains(&unix)
}

/// `Tuesday, 10-Feb-15 16:00:00 PST`.
pub fn format(unix: i64) -> String {
    let (offset, zone) = if is_daylight(unix) {
        (-7 * 3600, "PDT")
    } else {
        (-8 * 3600, "PST")
    };
    let local = unix + offset;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!(
        "{weekday}, {day:02}-{month}-{:02} {:02}:{:02}:{:02} {zone}",
        year.rem_euclid(100),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn formats_like_meta_in_winter_and_summer() {
        // 2015-02-11T00:00:00Z is 10 Feb 16:00 in California (PST).
        assert_eq!(format(1_423_612_800), "Tuesday, 10-Feb-15 16:00:00 PST");
        // 2024-07-01T12:00:00Z is 05:00 PDT.
        assert_eq!(format(1_719_835_200), "Monday, 01-Jul-24 05:00:00 PDT");
    }
}
