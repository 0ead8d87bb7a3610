// Regenerates core/tests/conformance/json-logic-js-edge-cases.json: edge cases beyond the
// shared suite with the outputs of the reference implementation json-logic-js as the
// expected values. Run with `npm install && node edge-cases.js`.
const fs = require('fs');
const path = require('path');
const jl = require('json-logic-js');
const cases = [
 [{"==":[null,0]},{}], [{"==":[null,false]},{}], [{"==":[0,""]},{}], [{"==":[[1],"1"]},{}], [{"==":[true,"1"]},{}],
 [{"==":[{"var":"a"},{"var":"a"}]},{"a":[1]}], [{"===":[{"var":"a"},{"var":"a"}]},{"a":[1]}], [{"==":[[],[]]},{}],
 [{"<":["10","9"]},{}], [{"<":["10",9]},{}], [{"<=":[null,0]},{}], [{">":["a",1]},{}], [{"<":[1,2,null]},{}],
 [{"+":["3.5kg",1]},{}], [{"+":[]},{}], [{"+":[null,1]},{}], [{"*":["2"]},{}], [{"*":["2",3]},{}], [{"-":[]},{}], [{"-":["5"]},{}],
 [{"/":[1,0]},{}], [{"/":[1]},{}], [{"%":[-7,3]},{}], [{"max":[]},{}], [{"min":[1,"a"]},{}], [{"max":["3",2]},{}],
 [{"cat":[null,"x",[1,[2,null]],true,1.5]},{}], [{"cat":[{"var":"o"}]},{"o":{"a":1}}], [{"cat":[0.1,1e21,1e-7]},{}],
 [{"substr":["jsonlogic",2,null]},{}], [{"substr":["jsonlogic","2"]},{}], [{"substr":[12345,1,2]},{}],
 [{"in":[1,"a1b"]},{}], [{"in":["1",[1,2]]},{}], [{"in":[1,null]},{}],
 [{"var":"a.length"},{"a":[1,2,3]}], [{"var":"s.1"},{"s":"abc"}], [{"var":["a",5]},{"a":null}], [{"var":"01"},["x","y"]],
 [{"var":1.5},{"1":{"5":"deep"}}],
 [{"and":[]},{}], [{"or":[]},{}], [{"if":[null,1]},{}], [{"?:":[0,1]},{}],
 [{"merge":[[1,[2]],3,null]},{}], [{"missing":["a",""]},{"a":""}], [{"missing_some":["1",["a","b"]]},{"a":1}],
 [{"missing_some":[1,[["a","b","c"]]]},{}], [{"missing_some":[1,"ab"]},{}], [{"missing_some":[0,"ab"]},{"ab":1}],
 [{"missing_some":[1,7]},{}], [{"missing_some":[-1,[["a","b"]]]},{}],
 [{"filter":[{"var":"x"},{">":[{"var":""},1]}]},{"x":"abc"}], [{"map":[[1,2],{"var":"nope"}]},{}],
 [{"reduce":[[1,2,3],{"cat":[{"var":"accumulator"},{"var":"current"}]}]},{}],
 [{"reduce":[[1,2],{"var":""},0]},{}], [{"all":[[],true]},{}], [{"all":[[1,0],{"var":""}]},{}],
 [{"some":[null,true]},{}], [{"none":[null,true]},{}],
 [{"!":[]},{}], [{"!!":["0"]},{}], [{"if":[{"var":"x"},"y"]},{"x":[]}],
 [{"+":["0x10",1]},{}], [{"==":["0x10",16]},{}], [{"==":[" 12 ",12]},{}], [{"+":[" 12 ",1]},{}],
 [{}, {}], [{"a":1,"b":2},{}], [[{"var":"a"},{"+":[1,1]}],{"a":"z"}],
 [{"var":""},{"x":1}], [{"var":["a.b.c", "d"]},{"a":{"b":0}}],
];
const header = `Edge cases beyond the shared suite; expected values are the outputs of json-logic-js ` +
  `${require('json-logic-js/package.json').version} (npm) on node ${process.version}, produced by benches/rules/edge-cases.js`;
const out = [header, ...cases.map(([r, d]) => [r, d, jl.apply(r, d)])];
const file = path.join(__dirname, '..', '..', 'core', 'tests', 'conformance', 'json-logic-js-edge-cases.json');
fs.writeFileSync(file, '[\n' + out.map((x) => JSON.stringify(x)).join(',\n') + '\n]\n');
console.log(`wrote ${out.length - 1} cases to ${file}`);
