-- Comments on the fitness-science functions (src/science.rs). Formulas, validity ranges and
-- sources in full: docs/science.md. Loaded after the pgrx-generated functions (finalize).

COMMENT ON FUNCTION fitflow.one_rm(double precision, integer, text) IS
'Estimated one-repetition maximum (same unit as load_kg) from reps repetitions to failure with load_kg. formula (case-insensitive): epley w(1+r/30) [Epley 1985], brzycki 36w/(37-r) [Brzycki 1993], lander 100w/(101.3-2.67123r) [Lander 1985], lombardi w*r^0.10 [Lombardi 1989], oconner w(1+0.025r) [O''Conner et al. 1989], each for 1 to 10 reps; mayhew 100w/(52.2+41.9e^(-0.055r)) [Mayhew et al. 1992], wathan 100w/(48.8+53.8e^(-0.075r)) [Wathan 1994], for 1 to 15 reps. One rep returns load_kg exactly for every formula. Errors 22023 for an unrecognized formula, reps out of range, or a negative load.';

COMMENT ON FUNCTION fitflow.one_rm_all(double precision, integer) IS
'Every 1RM formula that accepts reps (see fitflow.one_rm), one row each, then a row ''mean'' with their arithmetic mean. Formulas whose rep range excludes reps are left out (11 to 15 reps: mayhew and wathan only). Error 22023 if reps is outside 1 to 15.';

COMMENT ON FUNCTION fitflow.vo2_walking(double precision, double precision) IS
'ACSM walking equation, VO2 in ml/kg/min: 0.1*S + 1.8*S*G + 3.5, S = speed_kmh in m/min, G = grade_pct/100. Validated for 3.0 to 6.0 km/h (50 to 100 m/min); outside that a NOTICE is raised. Source: ACSM''s Guidelines for Exercise Testing and Prescription, 10th ed., 2018. Error 22023 for a negative speed or grade.';

COMMENT ON FUNCTION fitflow.vo2_running(double precision, double precision) IS
'ACSM running equation, VO2 in ml/kg/min: 0.2*S + 0.9*S*G + 3.5, S = speed_kmh in m/min, G = grade_pct/100. Most accurate above 8.04 km/h (134 m/min, 5 mph), valid from 4.8 km/h if the athlete truly jogs; a NOTICE is raised below 8.04 km/h. Source: ACSM''s Guidelines for Exercise Testing and Prescription, 10th ed., 2018. Error 22023 for a negative speed or grade.';

COMMENT ON FUNCTION fitflow.vo2_treadmill(double precision, double precision) IS
'Treadmill VO2 in ml/kg/min from speed and grade: the ACSM walking equation below 6.0 km/h (the top of its validated range), the ACSM running equation from 6.0 km/h on (between 6.0 and 8.04 km/h with a NOTICE that it assumes jogging). Inverse: fitflow.treadmill_speed_for_vo2.';

COMMENT ON FUNCTION fitflow.treadmill_speed_for_vo2(double precision, double precision) IS
'Treadmill speed in km/h at which fitflow.vo2_treadmill gives vo2_ml_kg_min at grade_pct: the walking speed if it is below 6.0 km/h, else the running speed. Where no speed matches under the 6.0 km/h rule (below 11.1 % grade, VO2 between walking and running at 6.0 km/h, e.g. 13.5 to 23.5 ml/kg/min on the level) the jogging speed of the running equation is returned with a NOTICE. Error 22023 if the VO2 is below resting (3.5) or the grade is negative.';

COMMENT ON FUNCTION fitflow.vo2_leg_cycling(double precision, double precision) IS
'ACSM leg cycling equation, VO2 in ml/kg/min: 1.8*WR/body_mass_kg + 7, WR = power_w*6.12 kg.m/min. Validated for 50 to 200 W; outside that a NOTICE is raised. Source: ACSM''s Guidelines for Exercise Testing and Prescription, 10th ed., 2018. Error 22023 for a negative power or a non-positive body mass.';

COMMENT ON FUNCTION fitflow.vo2_arm_cycling(double precision, double precision) IS
'ACSM arm ergometry equation, VO2 in ml/kg/min: 3*WR/body_mass_kg + 3.5, WR = power_w*6.12 kg.m/min. Validated for 25 to 125 W; outside that a NOTICE is raised. Source: ACSM''s Guidelines for Exercise Testing and Prescription, 10th ed., 2018. Error 22023 for a negative power or a non-positive body mass.';

COMMENT ON FUNCTION fitflow.vo2_stepping(double precision, double precision) IS
'ACSM stepping equation, VO2 in ml/kg/min: 0.2*f + 1.33*1.8*H*f + 3.5, f = steps_per_min, H = step_height_m. Validated for 12 to 30 steps/min and 0.04 to 0.40 m; outside that a NOTICE is raised. Source: ACSM''s Guidelines for Exercise Testing and Prescription, 10th ed., 2018. Error 22023 for a negative rate or height.';

COMMENT ON FUNCTION fitflow.vo2max_cooper(double precision) IS
'VO2max in ml/kg/min from the distance in metres covered in a 12-minute run: (distance_m - 504.9)/44.73. Source: Cooper KH, JAMA 1968;203(3):201-204. Error 22023 for distances under 661.455 m, where the equation falls below resting VO2.';

COMMENT ON FUNCTION fitflow.vo2max_uth(integer, integer) IS
'VO2max in ml/kg/min by the heart rate ratio method: 15.3*hr_max/hr_rest (beats/min). Derived on well-trained men aged 21 to 51. Source: Uth N et al., Eur J Appl Physiol 2004;91(1):111-115. Error 22023 unless 0 < hr_rest < hr_max <= 300.';

COMMENT ON FUNCTION fitflow.met(double precision) IS
'Metabolic equivalents from oxygen uptake: vo2_ml_kg_min/3.5 (1 MET = 3.5 ml O2/kg/min). Error 22023 for a negative value.';

COMMENT ON FUNCTION fitflow.kcal_per_min(double precision, double precision) IS
'Energy expenditure in kcal/min: met*3.5*body_mass_kg/200 (ACSM''s Guidelines for Exercise Testing and Prescription). Error 22023 for a negative MET or a non-positive body mass.';

COMMENT ON FUNCTION fitflow.max_reps_per_min(timestamp with time zone[]) IS
'Most reps in any 60-second window, one rep per array element (the window is half-open, so reps exactly 60 s apart never share one); NULL elements are ignored, an empty array gives 0. Error 22023 for an infinite timestamp.';
