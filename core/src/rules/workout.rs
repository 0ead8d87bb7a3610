//! The workout record challenge rules are evaluated over.

use serde_json::Value;

/// The type of a workout field, as rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A JSON number (or null when the SQL value is NULL).
    Number,
    /// A JSON string (or null).
    Text,
    /// An ISO-8601 timestamp string (or null); compared as text in rules.
    Timestamp,
}

/// The fields a rule can read with `{"var": "name"}` inside a `workouts` predicate, in
/// the order of [`Workout::values`].
pub const WORKOUT_FIELDS: &[(&str, FieldType)] = &[
    ("session_id", FieldType::Number),
    ("athlete_id", FieldType::Number),
    ("exercise", FieldType::Text),
    ("kind", FieldType::Text),
    ("started_at", FieldType::Timestamp),
    ("ended_at", FieldType::Timestamp),
    ("readings", FieldType::Number),
    ("sets", FieldType::Number),
    ("reps", FieldType::Number),
    ("full_range_reps", FieldType::Number),
    ("tonnage_kg", FieldType::Number),
    ("max_load_kg", FieldType::Number),
    ("distance_m", FieldType::Number),
    ("duration_s", FieldType::Number),
    ("avg_heart_rate", FieldType::Number),
    ("max_heart_rate", FieldType::Number),
    ("avg_speed_kmh", FieldType::Number),
    ("reps_per_min_max", FieldType::Number),
    ("est_1rm_kg", FieldType::Number),
    ("vo2_ml_kg_min", FieldType::Number),
    ("met", FieldType::Number),
    ("kcal", FieldType::Number),
];

/// The index of a workout field by name.
pub fn field_index(name: &str) -> Option<usize> {
    WORKOUT_FIELDS.iter().position(|(n, _)| *n == name)
}

/// One finished workout of the athlete, as the evaluator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Workout {
    /// When the workout ended, microseconds since 1970-01-01 00:00 UTC.
    pub ended_at_us: i64,
    /// The local calendar day of the workout, in days since 1970-01-01 (used by
    /// `distinct_days`, `streak_days` and `streak_weeks`).
    pub day: i32,
    /// One value per [`WORKOUT_FIELDS`] entry, `Value::Null` for SQL NULL; timestamps
    /// as ISO-8601 strings. A shorter vector reads as null for the missing fields.
    pub values: Vec<Value>,
}

impl Workout {
    /// The value of field `index` (null when absent).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> &Value {
        static NULL: Value = Value::Null;
        self.values.get(index).unwrap_or(&NULL)
    }
}
