// json-logic-js side of the rule-engine benchmark (see run.sh and core/benches/rules.rs):
// (a) every case of the JsonLogic conformance suite; (b) the issue-6 example challenge
// as plain JsonLogic over 1,000 synthetic workouts (same formula as the Rust side).
// Prints `RESULT name value` lines. BENCH_SECONDS sets the time per measurement.
'use strict';

const fs = require('fs');
const path = require('path');
const jsonLogic = require('json-logic-js');

const seconds = Number(process.env.BENCH_SECONDS || 2);
const suitePath = path.join(__dirname, '..', '..', 'core', 'tests', 'conformance', 'jsonlogic-tests.json');
const cases = JSON.parse(fs.readFileSync(suitePath, 'utf8')).filter((c) => Array.isArray(c));
if (cases.length !== 277) throw new Error(`expected 277 cases, found ${cases.length}`);

let sink = 0;
function measure(name, perCall, f) {
  const warmEnd = process.hrtime.bigint() + 200_000_000n;
  while (process.hrtime.bigint() < warmEnd) f();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  let now = start;
  while (now < end) {
    f();
    calls++;
    now = process.hrtime.bigint();
  }
  const rate = (calls * perCall) / (Number(now - start) / 1e9);
  console.log(`RESULT ${name} ${rate.toFixed(0)}`);
  return rate;
}

// (a) Conformance suite: check it passes in json-logic-js too, then time it.
let failures = 0;
for (const [rule, data, expected] of cases) {
  if (JSON.stringify(jsonLogic.apply(rule, data)) !== JSON.stringify(expected)) failures++;
}
console.log(`(a) JsonLogic conformance suite: ${cases.length} cases per round, ${cases.length - failures} pass in json-logic-js`);
measure('conformance_evals_per_s', cases.length, () => {
  for (let i = 0; i < cases.length; i++) {
    const r = jsonLogic.apply(cases[i][0], cases[i][1]);
    if (r === sink) sink = 0;
  }
});

// (b) The challenge over 1,000 synthetic workouts (formula of core/benches/rules.rs).
function synthetic(i) {
  const exercise = ['chest_press', 'treadmill', 'squat', 'rowing'][i % 4];
  const cardio = exercise === 'treadmill' || exercise === 'rowing';
  return {
    session_id: i + 1,
    athlete_id: 7,
    exercise,
    kind: cardio ? 'cardio' : 'weight',
    reps: cardio ? null : ((i * 7) % 15) + 1,
    duration_s: cardio ? 600 + ((i * 37) % 1800) : 300 + (i % 5) * 60,
    kcal: ((i * 13) % 400) + 50,
  };
}
const data = { workouts: Array.from({ length: 1000 }, (_, i) => synthetic(i)) };
const rule = {"and":[
  {">=":[{"reduce":[{"filter":[{"var":"workouts"},{"and":[{"==":[{"var":"exercise"},"chest_press"]},{">=":[{"var":"reps"},10]}]}]},{"+":[{"var":"accumulator"},1]},0]},10]},
  {">=":[{"reduce":[{"filter":[{"var":"workouts"},{"==":[{"var":"exercise"},"treadmill"]}]},{"+":[{"var":"accumulator"},{"var":"current.duration_s"}]},0]},3600]}
]};
const count = jsonLogic.apply(rule.and[0][">="][0], data);
const sum = jsonLogic.apply(rule.and[1][">="][0], data);
const complete = jsonLogic.apply(rule, data);
console.log(`(b) challenge over ${data.workouts.length} workouts: plain JsonLogic result ${complete} (count ${count}, sum ${sum})`);
console.log(`RESULT challenge_complete ${complete}`);
console.log(`RESULT challenge_count ${count}`);
console.log(`RESULT challenge_sum ${sum}`);
measure('challenge_evals_per_s', 1, () => {
  if (jsonLogic.apply(rule, data) === sink) sink = 1;
});
