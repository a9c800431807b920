#!/usr/bin/env node
// Independent re-check of bisnap's published vectors with Node's crypto module.
//
// Usage: node vectors/tools/check_node.js [VECTORS_DIR]
//
// Reads every vector file, re-derives every stage (minify with its own lexical minifier,
// SHA-256, string to sign, HMAC-SHA512, RSASSA-PKCS1-v1_5/SHA-256 sign and verify) and
// prints a JSON report: {"files", "tests", "checks", "failures"}. Exit code 0 when there
// are no failures, 1 otherwise. CommonJS, no npm dependencies.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const FILES = [
  'access_token_sign.json',
  'access_token_verify.json',
  'service_hmac_sign.json',
  'service_hmac_verify.json',
  'service_rsa_sign.json',
  'service_rsa_verify.json',
  'minify.json',
  'timestamp.json',
  'service_hmac_explain.json',
  'service_rsa_explain.json',
];

// ---------------------------------------------------------------------------------------
// Minifier: an iterative state machine (deliberately not a port of the Python generator's
// recursive parser). Removes space, tab, CR, LF outside strings; copies everything else.
// Throws {offset} on the first byte that cannot continue a JSON text.
// ---------------------------------------------------------------------------------------

class NotJSON extends Error {
  constructor(offset) {
    super('not JSON at byte ' + offset);
    this.offset = offset;
  }
}

const isWs = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c) => c >= 0x30 && c <= 0x39;
const isHex = (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const ESC = new Set(Array.from('"\\/bfnrtu', (ch) => ch.charCodeAt(0)));

function minify(buf) {
  if (buf === null || buf.length === 0) return Buffer.alloc(0);
  const out = [];
  const stack = [];
  let i = 0;
  // states: value, valueOrClose, key, keyOrClose, colon, after, done
  let state = 'value';
  const fail = (at) => {
    throw new NotJSON(at);
  };
  const copy = (from, to) => {
    for (let k = from; k < to; k++) out.push(buf[k]);
  };
  const endValue = () => {
    state = stack.length ? 'after' : 'done';
  };
  const scanString = (start) => {
    let j = start + 1;
    for (;;) {
      if (j >= buf.length) fail(j);
      const c = buf[j];
      if (c < 0x20) fail(j);
      if (c === 0x22) return j + 1;
      if (c === 0x5c) {
        j++;
        if (j >= buf.length || !ESC.has(buf[j])) fail(j);
        if (buf[j] === 0x75) {
          for (let n = 0; n < 4; n++) {
            j++;
            if (j >= buf.length || !isHex(buf[j])) fail(j);
          }
        }
      }
      j++;
    }
  };
  const scanDigits = (j) => {
    if (j >= buf.length || !isDigit(buf[j])) fail(j);
    while (j < buf.length && isDigit(buf[j])) j++;
    return j;
  };
  const scanNumber = (start) => {
    let j = start;
    if (buf[j] === 0x2d) j++;
    if (j < buf.length && buf[j] === 0x30) j++;
    else j = scanDigits(j);
    if (j < buf.length && buf[j] === 0x2e) j = scanDigits(j + 1);
    if (j < buf.length && (buf[j] === 0x65 || buf[j] === 0x45)) {
      j++;
      if (j < buf.length && (buf[j] === 0x2b || buf[j] === 0x2d)) j++;
      j = scanDigits(j);
    }
    return j;
  };
  const LITERALS = { 0x74: 'true', 0x66: 'false', 0x6e: 'null' };

  for (;;) {
    while (i < buf.length && isWs(buf[i])) i++;
    if (i >= buf.length) {
      if (state === 'done') break;
      fail(i);
    }
    const c = buf[i];
    const top = stack[stack.length - 1];
    if (state === 'done') fail(i);
    if (state === 'after') {
      if (c === 0x2c) {
        out.push(c);
        i++;
        state = top === 0x7b ? 'key' : 'value';
      } else if ((c === 0x7d && top === 0x7b) || (c === 0x5d && top === 0x5b)) {
        out.push(c);
        i++;
        stack.pop();
        endValue();
      } else fail(i);
      continue;
    }
    if (state === 'colon') {
      if (c !== 0x3a) fail(i);
      out.push(c);
      i++;
      state = 'value';
      continue;
    }
    if ((state === 'keyOrClose' && c === 0x7d) || (state === 'valueOrClose' && c === 0x5d)) {
      out.push(c);
      i++;
      stack.pop();
      endValue();
      continue;
    }
    if (state === 'key' || state === 'keyOrClose') {
      if (c !== 0x22) fail(i);
      const j = scanString(i);
      copy(i, j);
      i = j;
      state = 'colon';
      continue;
    }
    // state is value or valueOrClose
    if (c === 0x7b || c === 0x5b) {
      out.push(c);
      i++;
      stack.push(c);
      state = c === 0x7b ? 'keyOrClose' : 'valueOrClose';
    } else if (c === 0x22) {
      const j = scanString(i);
      copy(i, j);
      i = j;
      endValue();
    } else if (c === 0x2d || isDigit(c)) {
      const j = scanNumber(i);
      copy(i, j);
      i = j;
      endValue();
    } else if (LITERALS[c] !== undefined) {
      const lit = LITERALS[c];
      for (let n = 0; n < lit.length; n++) {
        if (i + n >= buf.length || buf[i + n] !== lit.charCodeAt(n)) fail(i + n);
      }
      copy(i, i + lit.length);
      i += lit.length;
      endValue();
    } else fail(i);
  }
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const sha256Hex = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const hmac512 = (secret, msg) =>
  crypto.createHmac('sha512', Buffer.from(secret, 'utf8')).update(Buffer.from(msg, 'utf8')).digest();
const rsaSign = (pem, msg) => crypto.sign('sha256', Buffer.from(msg, 'utf8'), pem);
const rsaVerify = (pem, msg, sig) => crypto.verify('sha256', Buffer.from(msg, 'utf8'), pem, sig);

function decodeSig(sig, enc) {
  if (enc === 'hex') {
    if (!/^[0-9a-f]+$/.test(sig) || sig.length % 2) throw new Error('bad hex signature');
    return Buffer.from(sig, 'hex');
  }
  const raw = Buffer.from(sig, 'base64');
  if (raw.toString('base64') !== sig) throw new Error('non-canonical base64 signature');
  return raw;
}

function bodyOf(t) {
  if ('bodyBase64' in t) return Buffer.from(t.bodyBase64, 'base64');
  if (t.body === null || t.body === undefined) return null;
  return Buffer.from(t.body, 'utf8');
}

const signedPath = (p, includeQuery) => (includeQuery ? p : p.split('?')[0]);

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

function main() {
  const dir = process.argv[2] || path.resolve(__dirname, '..');
  const report = { files: 0, tests: 0, checks: {}, failures: [] };
  const count = (name) => {
    report.checks[name] = (report.checks[name] || 0) + 1;
  };
  for (const name of FILES) {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    report.files++;
    for (const g of doc.testGroups) {
      for (const t of g.tests) {
        report.tests++;
        const fail = (msg) => report.failures.push({ file: name, tcId: t.tcId, error: msg });
        const expect = (cond, check, msg) => {
          count(check);
          if (!cond) fail(check + ': ' + msg);
        };
        try {
          if (name === 'minify.json') checkMinify(t, expect);
          else if (name === 'timestamp.json') checkTimestamp(t, expect);
          else if (name.startsWith('access_token')) checkAccessToken(g, t, expect);
          else checkService(name.startsWith('service_hmac') ? 'hmac' : 'rsa', g, t, expect);
          if (name.endsWith('_explain.json')) checkExplain(t, expect);
        } catch (e) {
          fail('exception: ' + (e && e.message ? e.message : String(e)));
        }
      }
    }
  }
  checkEncoders(dir, report, count);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.exit(report.failures.length ? 1 : 0);
}

// The JavaScript outputs in encoders.json are re-derived here with this Node's own
// JSON.parse/JSON.stringify (PHP and Go outputs were recorded from the real tools).
const JS_ENCODERS = {
  'js JSON.stringify(JSON.parse(body))': (v) => JSON.stringify(v),
  'js JSON.stringify(JSON.parse(body), null, 2)': (v) => JSON.stringify(v, null, 2),
};

function checkEncoders(dir, report, count) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'encoders.json'), 'utf8'));
  for (const c of doc.cases) {
    for (const [name, encode] of Object.entries(JS_ENCODERS)) {
      count('jsEncoder');
      const got = encode(JSON.parse(c.body));
      if (got !== c.outputs[name]) {
        report.failures.push({ file: 'encoders.json', tcId: c.id, error: 'jsEncoder: ' + name });
      }
    }
  }
}

// An explain case names the real encoder the sender hashed with: for a JavaScript one,
// Node's own JSON.stringify of the body must give the sender's bytes.
function checkExplain(t, expect) {
  const encode = JS_ENCODERS[t.sender.encoder];
  if (encode === undefined) return;
  const body = bodyOf(t).toString('utf8');
  expect(encode(JSON.parse(body)) === t.sender.minifiedBody, 'jsEncoder', 'sender encoder output');
}

function checkMinify(t, expect) {
  const input = 'inputBase64' in t ? Buffer.from(t.inputBase64, 'base64') : Buffer.from(t.input, 'utf8');
  if (t.result === 'valid') {
    const m = minify(input);
    const want =
      'minifiedBodyBase64' in t
        ? Buffer.from(t.minifiedBodyBase64, 'base64')
        : Buffer.from(t.minifiedBody, 'utf8');
    expect(m.equals(want), 'minify', 'minified body differs');
    if ('minifiedBody' in t) expect(Buffer.from(t.minifiedBody, 'utf8').equals(want), 'minify', 'minifiedBody vs base64');
    expect(sha256Hex(m) === t.bodySha256, 'sha256', 'body hash differs');
  } else {
    let offset = null;
    try {
      minify(input);
    } catch (e) {
      if (!(e instanceof NotJSON)) throw e;
      offset = e.offset;
    }
    expect(offset === t.errorOffset, 'minifyRejects', `offset ${offset} != ${t.errorOffset}`);
  }
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{3})?(Z|([+-])(\d{2}):(\d{2}))$/;

function checkTimestamp(t, expect) {
  const m = TS_RE.exec(t.timestamp);
  let ok = m !== null;
  let offsetMin = 0;
  if (ok) {
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    ok =
      probe.getUTCFullYear() === y &&
      probe.getUTCMonth() === mo - 1 &&
      probe.getUTCDate() === d &&
      probe.getUTCHours() === h &&
      mi < 60 &&
      s < 60;
    if (m[8] !== 'Z') {
      const oh = Number(m[10]);
      const om = Number(m[11]);
      ok = ok && oh < 24 && om < 60;
      offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  if (t.result === 'valid') {
    expect(ok, 'timestamp', 'rejected a valid timestamp');
    const ms = Date.parse(t.timestamp);
    const wantMs = 'epochMillis' in t ? t.epochMillis : t.epochSeconds * 1000;
    expect(ms === wantMs, 'timestamp', `epoch ${ms} != ${wantMs}`);
    expect(Math.abs(t.epochSeconds * 1000 - ms) < 1, 'timestamp', 'epochSeconds');
    expect(offsetMin === t.utcOffsetMinutes, 'timestamp', 'offset');
  } else {
    expect(!ok, 'timestampRejects', 'accepted an invalid timestamp');
  }
}

function checkAccessToken(g, t, expect) {
  const sts = t.clientKey + '|' + t.timestamp;
  expect(sts === t.stringToSign, 'stringToSign', 'string to sign differs');
  const presented = decodeSig(t.signature, t.encoding);
  checkLength(g, t, presented, expect);
  checkRsaSignature(g, t, presented, expect);
}

// A signature made with the sender's (wrong) key has that key's length.
function checkLength(g, t, presented, expect) {
  const keySize =
    t.result === 'invalid' && t.sender.publicKeyPem
      ? crypto.createPublicKey(t.sender.publicKeyPem).asymmetricKeyDetails.modulusLength
      : g.keySize;
  expect(presented.length * 8 === keySize, 'encoding', 'signature length');
}

function checkRsaSignature(g, t, presented, expect) {
  const verifies = rsaVerify(g.publicKeyPem, t.stringToSign, presented);
  if (t.result === 'invalid') {
    expect(!verifies, 'rsaVerify', 'invalid signature verifies against the correct string');
    const s = t.sender;
    const pub = s.publicKeyPem || g.publicKeyPem;
    expect(rsaVerify(pub, s.stringToSign, presented), 'rsaVerify', "sender's string does not verify");
    const priv = s.privateKeyPem || g.privateKeyPem;
    if (priv) expect(rsaSign(priv, s.stringToSign).equals(presented), 'rsaSign', 'sender signature');
  } else {
    expect(verifies, 'rsaVerify', 'signature does not verify');
    if (g.privateKeyPem) expect(rsaSign(g.privateKeyPem, t.stringToSign).equals(presented), 'rsaSign', 'signature differs');
  }
}

function firstDifference(t) {
  const s = t.sender;
  if (!('minifiedBody' in t)) return t.stringToSign !== s.stringToSign ? 'stringToSign' : 'signature';
  if (t.minifiedBody !== s.minifiedBody) return 'minifiedBody';
  if (t.bodySha256 !== s.bodySha256) return 'bodySha256';
  if (t.stringToSign !== s.stringToSign) return 'stringToSign';
  return 'signature';
}

function checkService(kind, g, t, expect) {
  const hashOnly = t.flags.includes('BodyHashOnly');
  if (!hashOnly) {
    const m = minify(bodyOf(t));
    expect(m.equals(Buffer.from(t.minifiedBody, 'utf8')), 'minify', 'minified body differs');
    expect(sha256Hex(m) === t.bodySha256, 'sha256', 'body hash differs');
  }
  const parts = [t.method.toUpperCase(), signedPath(t.path, g.pathIncludesQuery)];
  if (kind === 'hmac') parts.push(t.accessToken);
  parts.push(t.bodySha256, t.timestamp);
  expect(parts.join(':') === t.stringToSign, 'stringToSign', 'string to sign differs');
  const presented = decodeSig(t.signature, t.encoding);
  if (t.result === 'invalid') {
    const s = t.sender;
    expect(sha256Hex(Buffer.from(s.minifiedBody, 'utf8')) === s.bodySha256, 'sha256', 'sender hash');
    expect(firstDifference(t) === t.mismatchAt, 'mismatchAt', 'mismatchAt is not the first differing stage');
  }
  if (kind === 'hmac') {
    const correct = hmac512(t.clientSecret, t.stringToSign);
    if (t.result === 'invalid') {
      expect(!correct.equals(presented), 'hmac', 'invalid signature equals the correct one');
      const secret = t.sender.clientSecret || t.clientSecret;
      expect(hmac512(secret, t.sender.stringToSign).equals(presented), 'hmac', 'sender signature');
    } else {
      expect(correct.equals(presented), 'hmac', 'signature differs');
    }
  } else {
    checkLength(g, t, presented, expect);
    checkRsaSignature(g, t, presented, expect);
  }
}

main();
