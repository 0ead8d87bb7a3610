//! A deterministic simulated gym day: athletes, devices, sessions and their sensor readings,
//! the way bridges send them (one reading per rep on weight machines, 1 Hz samples on cardio
//! machines). Used by the ingest benchmark, the demo and the concurrency tests.

use std::fmt::Write as _;

/// xorshift64*: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [lo, hi].
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub struct Athlete {
    pub id: i64,
    pub sex: &'static str,
    pub birth_year: i32,
    pub body_mass_kg: f64,
    pub hr_rest: i32,
    pub hr_max: i32,
    pub gym: &'static str,
}

pub struct Device {
    pub id: String,
    pub exercise: &'static str,
    pub gym: &'static str,
}

pub struct Session {
    pub id: i64,
    pub athlete: i64,
    pub device: usize,
    /// Seconds since the start of the day.
    pub start_s: i64,
    pub end_s: i64,
    pub cardio: bool,
}

/// One reading: (session, seq, offset in ms from the day start, CSV of the other columns).
pub struct Row {
    pub session: i64,
    pub seq: i32,
    pub t_ms: i64,
    pub rest: String,
}

pub struct Day {
    pub date: String,
    pub athletes: Vec<Athlete>,
    pub devices: Vec<Device>,
    pub sessions: Vec<Session>,
    pub rows: Vec<Row>,
}

pub const GYMS: [&str; 2] = ["north", "south"];
const WEIGHT: [&str; 7] = ["chest_press", "leg_press", "shoulder_press", "lat_pulldown", "squat", "bench_press", "deadlift"];
const CARDIO: [&str; 2] = ["treadmill", "bike"];

impl Day {
    /// `sessions` sessions (60% weight, 40% cardio) of `athletes` athletes between 06:00 and 22:00.
    pub fn generate(seed: u64, date: &str, athletes: usize, sessions: usize) -> Day {
        let mut rng = Rng::new(seed);
        let athletes: Vec<Athlete> = (1..=athletes as i64)
            .map(|id| {
                let sex = if rng.unit() < 0.5 { "female" } else { "male" };
                let mass = if sex == "female" { 52.0 + rng.unit() * 30.0 } else { 62.0 + rng.unit() * 38.0 };
                let birth_year = 1960 + rng.range(0, 45) as i32;
                Athlete {
                    id,
                    sex,
                    birth_year,
                    body_mass_kg: (mass * 10.0).round() / 10.0,
                    hr_rest: rng.range(48, 75) as i32,
                    hr_max: 208 - (7 * (2026 - birth_year)) / 10,
                    gym: GYMS[(id % 2) as usize],
                }
            })
            .collect();
        let mut devices = Vec::new();
        for gym in GYMS {
            for ex in WEIGHT.iter().chain(CARDIO.iter()) {
                let copies = if CARDIO.contains(ex) { 6 } else { 3 };
                for k in 1..=copies {
                    devices.push(Device { id: format!("{gym}-{ex}-{k}"), exercise: ex, gym });
                }
            }
        }
        let mut out_sessions = Vec::with_capacity(sessions);
        let mut rows = Vec::new();
        for i in 0..sessions {
            let id = i as i64 + 1;
            let a = &athletes[rng.range(0, athletes.len() as i64 - 1) as usize];
            let cardio = rng.unit() < 0.4;
            let pool: Vec<usize> = devices
                .iter()
                .enumerate()
                .filter(|(_, d)| d.gym == a.gym && (CARDIO.contains(&d.exercise) == cardio))
                .map(|(k, _)| k)
                .collect();
            let device = pool[rng.range(0, pool.len() as i64 - 1) as usize];
            let start_s = 6 * 3600 + rng.range(0, 15 * 3600);
            let mut seq = 0;
            let mut t_ms = start_s * 1000;
            if cardio {
                let secs = rng.range(20 * 60, 45 * 60);
                let treadmill = devices[device].exercise == "treadmill";
                let speed = 7.0 + rng.unit() * 6.0;
                let incline = if treadmill { rng.range(0, 3) as f64 } else { 0.0 };
                let power = 90.0 + rng.unit() * 160.0;
                let mut dist = 0.0f64;
                for s in 0..secs {
                    seq += 1;
                    t_ms = (start_s + s + 1) * 1000;
                    let hr = (a.hr_rest as f64 + (a.hr_max - a.hr_rest) as f64 * (0.45 + 0.3 * (s as f64 / secs as f64))) as i32;
                    let rest = if treadmill {
                        let v = speed + (rng.unit() - 0.5) * 0.4;
                        dist += v / 3.6;
                        format!(",,,,{dist:.1},{v:.1},{incline:.0},{hr},")
                    } else {
                        let p = power + (rng.unit() - 0.5) * 20.0;
                        dist += 7.0;
                        format!(",,,,{dist:.1},,,{hr},{p:.0}")
                    };
                    rows.push(Row { session: id, seq, t_ms, rest });
                }
            } else {
                let sets = rng.range(3, 5);
                let base = (a.body_mass_kg * (0.4 + rng.unit() * 0.6) / 2.5).round() * 2.5;
                for set in 1..=sets {
                    let reps = rng.range(8, 12);
                    let load = base + 2.5 * (set - 1) as f64;
                    for _ in 0..reps {
                        seq += 1;
                        t_ms += rng.range(2200, 3800);
                        let rom = 0.8 + rng.unit() * 0.2;
                        let rest = format!("{set},1,{load:.1},{rom:.2},,,,,");
                        rows.push(Row { session: id, seq, t_ms, rest });
                    }
                    t_ms += rng.range(60_000, 120_000);
                }
            }
            out_sessions.push(Session { id, athlete: a.id, device, start_s, end_s: t_ms / 1000 + 1, cardio });
        }
        rows.sort_by_key(|r| (r.t_ms, r.session, r.seq));
        Day { date: date.to_string(), athletes, devices, sessions: out_sessions, rows }
    }

    fn ts(&self, t_ms: i64) -> String {
        let s = t_ms / 1000;
        format!("{} {:02}:{:02}:{:02}.{:03}+00", self.date, s / 3600, (s / 60) % 60, s % 60, t_ms % 1000)
    }

    /// SQL inserting athletes, devices and sessions (all open).
    pub fn setup_sql(&self) -> String {
        let mut sql = String::from("INSERT INTO fitflow.athletes (athlete_id, display_name, sex, birth_date, body_mass_kg, hr_rest, hr_max, gym) VALUES ");
        for (i, a) in self.athletes.iter().enumerate() {
            let _ = write!(
                sql,
                "{}({}, 'athlete {}', '{}', '{}-06-15', {}, {}, {}, '{}')",
                if i > 0 { "," } else { "" },
                a.id, a.id, a.sex, a.birth_year, a.body_mass_kg, a.hr_rest, a.hr_max, a.gym
            );
        }
        sql.push_str(";\nINSERT INTO fitflow.devices (device_id, exercise, gym) VALUES ");
        for (i, d) in self.devices.iter().enumerate() {
            let _ = write!(sql, "{}('{}', '{}', '{}')", if i > 0 { "," } else { "" }, d.id, d.exercise, d.gym);
        }
        sql.push_str(";\nINSERT INTO fitflow.sessions (session_id, athlete_id, device_id, started_at) VALUES ");
        for (i, s) in self.sessions.iter().enumerate() {
            let _ = write!(
                sql,
                "{}({}, {}, '{}', '{}')",
                if i > 0 { "," } else { "" },
                s.id, s.athlete, self.devices[s.device].id, self.ts(s.start_s * 1000)
            );
        }
        sql.push(';');
        sql
    }

    /// The readings as CSV lines in the bridges' COPY column order.
    pub fn csv_line(&self, r: &Row) -> String {
        format!("{},{},{},{}\n", r.session, r.seq, self.ts(r.t_ms), r.rest)
    }

    /// Split the readings into `streams` connections (by session, as bridges own devices), each in
    /// time order, cut into batches of at most `batch` rows of CSV.
    pub fn batches(&self, streams: usize, batch: usize) -> Vec<Vec<String>> {
        let mut per: Vec<Vec<&Row>> = vec![Vec::new(); streams];
        for r in &self.rows {
            per[(r.session as usize) % streams].push(r);
        }
        per.into_iter()
            .map(|rows| rows.chunks(batch).map(|c| c.iter().map(|r| self.csv_line(r)).collect::<String>()).collect())
            .collect()
    }

    pub fn end_ts(&self, s: &Session) -> String {
        self.ts(s.end_s * 1000)
    }
}

pub const COPY_READINGS: &str = "COPY fitflow.readings (session_id, seq, ts, set_no, reps, load_kg, rom, distance_m, speed_kmh, incline_pct, heart_rate, power_w) FROM STDIN (FORMAT csv)";
