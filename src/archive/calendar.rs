//! Working calendars (SYS-2): weekly time slots (China time) and rest days.
//! Reply timeouts count only working minutes of the rule's calendar.

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    clock::{china, minute_of_day},
    error::{AppError, AppResult, Msg},
};

const BAD_SLOT: Msg = Msg::new(
    "CALENDAR_SLOT_INVALID",
    "时间段格式为HH:MM-HH:MM，且开始早于结束",
    "Time slots are HH:MM-HH:MM with the start before the end",
);
const BAD_DATE: Msg = Msg::new("CALENDAR_DATE_INVALID", "节假日格式为YYYY-MM-DD", "Holidays are YYYY-MM-DD dates");
const BAD_WEEK: Msg =
    Msg::new("CALENDAR_WEEK_INCOMPLETE", "需要七天（周一至周日）的时间段", "Seven days of slots are needed, Monday first");
pub const NAME_INVALID: Msg = Msg::new("CALENDAR_NAME_INVALID", "日历名称为1-30个字", "A calendar name is 1-30 characters");

#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(name = "TimeSlot", input_name = "TimeSlotInput")]
pub struct TimeSlot {
    /// "HH:MM", China time.
    pub start: String,
    /// "HH:MM" ("24:00" is midnight).
    pub end: String,
}

/// The working time of a calendar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkingTime {
    /// Monday first: minute ranges of the day.
    pub week: Vec<Vec<(u32, u32)>>,
    pub holidays: Vec<NaiveDate>,
}

impl WorkingTime {
    pub fn parse(week: &[Vec<TimeSlot>], holidays: &[String]) -> AppResult<WorkingTime> {
        if week.len() != 7 {
            return Err(AppError::bad_input("week", BAD_WEEK));
        }
        let mut days = Vec::with_capacity(7);
        for day in week {
            let mut slots = Vec::new();
            for s in day {
                match (minute_of_day(&s.start), minute_of_day(&s.end)) {
                    (Some(a), Some(b)) if a < b => slots.push((a, b)),
                    _ => return Err(AppError::bad_input("week", BAD_SLOT)),
                }
            }
            slots.sort_unstable();
            days.push(slots);
        }
        let holidays = holidays
            .iter()
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| AppError::bad_input("holidays", BAD_DATE)))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(WorkingTime { week: days, holidays })
    }

    /// The moment `minutes` working minutes after `start`. Looks ahead at
    /// most a year; a calendar with no working time gives `None`.
    pub fn add_working_minutes(&self, start: DateTime<Utc>, minutes: i64) -> Option<DateTime<Utc>> {
        let tz = china();
        let local = start.with_timezone(&tz);
        let mut left = minutes * 60;
        let mut day = local.date_naive();
        let mut from_sec = local.time().signed_duration_since(NaiveTime::MIN).num_seconds();
        for _ in 0..366 {
            if !self.holidays.contains(&day) {
                for &(a, b) in &self.week[day.weekday().num_days_from_monday() as usize] {
                    let (a, b) = (a as i64 * 60, b as i64 * 60);
                    let begin = a.max(from_sec);
                    if begin >= b {
                        continue;
                    }
                    if b - begin >= left {
                        let at = day.and_time(NaiveTime::MIN) + Duration::seconds(begin + left);
                        return tz.from_local_datetime(&at).single().map(|d| d.with_timezone(&Utc));
                    }
                    left -= b - begin;
                }
            }
            day = day.succ_opt()?;
            from_sec = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nine_to_six_weekdays() -> WorkingTime {
        let slot = vec![TimeSlot { start: "09:00".into(), end: "12:00".into() }, TimeSlot { start: "13:00".into(), end: "18:00".into() }];
        let week: Vec<Vec<TimeSlot>> = (0..7).map(|d| if d < 5 { slot.clone() } else { vec![] }).collect();
        WorkingTime::parse(&week, &["2026-12-07".into()]).unwrap()
    }

    fn china_at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        china().with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn working_minutes_skip_lunch_nights_weekends_and_holidays() {
        let w = nine_to_six_weekdays();
        // Wednesday 2026-12-02 11:50 + 30 min: 10 before lunch, 20 after.
        assert_eq!(w.add_working_minutes(china_at(2026, 12, 2, 11, 50), 30), Some(china_at(2026, 12, 2, 13, 20)));
        // Friday 17:50 + 20 min: Monday 12-07 is a holiday, so Tuesday 09:10.
        assert_eq!(w.add_working_minutes(china_at(2026, 12, 4, 17, 50), 20), Some(china_at(2026, 12, 8, 9, 10)));
        // A message at night waits for the morning.
        assert_eq!(w.add_working_minutes(china_at(2026, 12, 2, 22, 0), 1), Some(china_at(2026, 12, 3, 9, 1)));
    }

    #[test]
    fn slots_must_be_ordered_and_the_week_complete() {
        let bad = vec![vec![TimeSlot { start: "18:00".into(), end: "09:00".into() }]; 7];
        assert_eq!(WorkingTime::parse(&bad, &[]).unwrap_err().field.as_deref(), Some("week"));
        assert!(WorkingTime::parse(&[vec![]], &[]).is_err());
        let never = WorkingTime::parse(&vec![vec![]; 7], &[]).unwrap();
        assert_eq!(never.add_working_minutes(Utc::now(), 1), None);
    }
}
