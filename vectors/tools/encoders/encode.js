// Real JavaScript encoders for vectors/encoders.json (run by vectors/tools/generate.py).
// stdin: JSON array of base64 bodies; stdout: JSON array of {name: base64 output | null}.
'use strict';
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const out = input.map((body) => {
  const text = Buffer.from(body, 'base64').toString('utf8');
  let value;
  try { value = JSON.parse(text); } catch (e) { return {}; }
  return {
    'js JSON.stringify(JSON.parse(body))': b64(JSON.stringify(value)),
    'js JSON.stringify(JSON.parse(body), null, 2)': b64(JSON.stringify(value, null, 2)),
  };
});
process.stdout.write(JSON.stringify(out));
