// bisnap debugger page: talks only to its own origin with fetch(); no third-party code.
// Secrets are read from the form at submit time, sent in one JSON request, and never
// written into the document (every value is shown with textContent).
"use strict";

const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function api(name, payload) {
  const response = await fetch("/api/" + name, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
    credentials: "same-origin",
    cache: "no-store",
  });
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = { error: "the debugger answered " + response.status };
  }
  if (!response.ok) {
    const error = new Error(data.error || "HTTP " + response.status);
    error.hint = data.hint || "";
    throw error;
  }
  return data;
}

function formPayload() {
  const form = $("request-form");
  const payload = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === "checkbox") {
      payload[element.name] = element.checked;
    } else if (element.value !== "") {
      payload[element.name] = element.value;
    }
  }
  return payload;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function facts(list, entries) {
  list.replaceChildren();
  for (const [name, value] of entries) {
    if (value === undefined || value === null || value === "") continue;
    list.append(el("dt", name), el("dd", String(value)));
  }
}

const KIND_NAMES = {
  service: "service: HMAC-SHA512",
  notification: "asymmetric service / notification: SHA256withRSA",
  token: "access token: SHA256withRSA",
};

function contextNode(context) {
  const node = el("code", null, "context");
  node.append(context.before);
  node.append(el("mark", context.at, "diff-byte"));
  node.append(context.after);
  return node;
}

function stageCell(label, value, context, offset, missing) {
  const cell = el("td");
  cell.dataset.label = label;
  if (value === null || value === undefined) {
    cell.append(el("span", missing || "— not known", "note"));
    return cell;
  }
  cell.append(el("code", value, "value"));
  if (context) {
    const at = el("span", "first differing byte at offset " + offset, "offset");
    at.dataset.offset = String(offset);
    cell.append(at, contextNode(context));
  }
  return cell;
}

function showDebug(view) {
  const exp = view.explanation;
  $("plain-result").hidden = true;
  const verdict = $("verdict");
  if (exp.valid) {
    verdict.textContent = "✓ valid — the signature matches";
    verdict.className = "verdict-ok";
  } else {
    verdict.textContent = "✗ invalid — first difference at " + exp.mismatchAt;
    verdict.className = "verdict-bad";
  }
  verdict.dataset.valid = String(exp.valid);
  verdict.dataset.mismatchAt = exp.mismatchAt || "";
  const flags = $("flags");
  flags.replaceChildren();
  for (const flag of exp.mistakes || []) flags.append(el("li", flag, "flag"));
  if (!flags.children.length) flags.append(el("li", "none", "note"));
  let encoder = exp.encoder || "—";
  if (exp.sameBytesAs && exp.sameBytesAs.length) {
    encoder += " (same bytes as: " + exp.sameBytesAs.join("; ") + ")";
  }
  $("encoder").textContent = encoder;
  const notes = $("notes");
  notes.replaceChildren();
  for (const note of exp.notes || []) notes.append(el("li", note));
  for (const flag of exp.captureArtefacts || []) notes.append(el("li", "capture artefact: " + flag));
  if (!notes.children.length) notes.append(el("li", "—", "note"));
  $("searched").textContent =
    exp.hypotheses !== undefined
      ? exp.hypotheses + " hypotheses in " + exp.elapsedMs + " ms"
      : "—";
  $("hint").textContent = exp.hint || "";
  $("fingerprint").textContent = exp.keyFingerprint || "";
  $("detected-kind").textContent = KIND_NAMES[view.kind] || view.kind;

  const body = $("stages").tBodies[0];
  body.replaceChildren();
  for (const row of view.stages) {
    const tr = el("tr");
    tr.dataset.stage = row.stage;
    const differs = row.offset !== null && row.offset !== undefined;
    if (differs) tr.classList.add("differs");
    if (row.stage === exp.mismatchAt) tr.classList.add("first");
    tr.append(el("th", row.stage));
    tr.firstChild.scope = "row";
    const providerMissing =
      row.stage === "signature"
        ? "— SHA256withRSA: the verifier checks the presented signature with the public key"
        : undefined;
    const senderMissing = exp.valid ? undefined : "— no known mistake reproduces it";
    tr.append(stageCell("Provider", row.provider, row.providerContext, row.offset, providerMissing));
    const sender = stageCell("Sender", row.sender, row.senderContext, row.offset, senderMissing);
    if (!differs && row.provider !== null && row.sender !== null) {
      sender.append(el("span", "= same bytes", "same"));
    }
    tr.append(sender);
    body.append(tr);
  }
  $("curl").textContent = view.curl.command;
  $("curl-note").textContent = view.curl.note;
  $("result").hidden = false;
  $("verdict-title").focus();
  $("result").scrollIntoView({ block: "start" });
}

function showPlain(title, entries) {
  $("result").hidden = true;
  $("plain-title").textContent = title;
  facts($("plain-facts"), entries);
  $("plain-result").hidden = false;
  $("plain-title").focus();
}

async function run(action) {
  setStatus("working…", false);
  try {
    const payload = formPayload();
    if (action === "debug") {
      showDebug(await api("debug", payload));
    } else if (action === "verify") {
      const data = await api("verify", payload);
      showPlain(data.valid ? "✓ valid" : "✗ invalid — stage " + data.mismatchAt, [
        ["kind", data.kind],
        ["method", data.method],
        ["path", data.path],
        ["timestamp", data.timestamp],
        ["access token", data.accessToken],
        ["minifiedBody", data.minifiedBody],
        ["bodySha256", data.bodySha256],
        ["stringToSign", data.stringToSign],
        ["signature", data.signature],
        ["key", data.keyFingerprint],
        ["error", data.error],
        ["hint", data.hint],
      ]);
    } else if (action === "sign") {
      const data = await api("sign", payload);
      const entries = Object.entries(data.headers).map(([k, v]) => [k, v]);
      showPlain("Headers to send", entries.concat([
        ["minifiedBody", data.minifiedBody],
        ["bodySha256", data.bodySha256],
        ["stringToSign", data.stringToSign],
        ["key", data.keyFingerprint],
      ]));
    }
    setStatus("done", false);
  } catch (err) {
    setStatus("✗ " + err.message + (err.hint ? " — " + err.hint : ""), true);
  }
}

function readFileInto(input, target) {
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      target.value = String(reader.result);
    };
    reader.readAsText(file);
    input.value = "";
  });
}

function pem(label, buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const base64 = btoa(binary).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return "-----BEGIN " + label + "-----\n" + base64 + "\n-----END " + label + "-----\n";
}

async function generateKeyPair() {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  $("gen-private").value = pem("PRIVATE KEY", pkcs8);
  $("gen-public").value = pem("PUBLIC KEY", spki);
  $("gen-fingerprint").textContent = "SHA256:" + hex;
  $("generated").hidden = false;
}

function clearSecrets() {
  // The captured request holds the access token too: the whole form goes.
  $("request-form").reset();
  for (const id of ["inspect-token", "inspect-key", "gen-private"]) $(id).value = "";
  for (const id of ["result", "plain-result", "generated", "token-result", "key-facts"]) {
    $(id).hidden = true;
  }
  setStatus("the form, the secrets and the results are cleared from the page", false);
}

document.addEventListener("DOMContentLoaded", () => {
  $("request-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run("debug");
  });
  $("verify-button").addEventListener("click", () => run("verify"));
  $("sign-button").addEventListener("click", () => run("sign"));
  $("clear-button").addEventListener("click", clearSecrets);
  $("copy-curl").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("curl").textContent);
      setStatus("curl command copied", false);
    } catch (err) {
      const range = document.createRange();
      range.selectNodeContents($("curl"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      setStatus("selected: press Ctrl+C to copy", false);
    }
  });
  readFileInto($("public-key-file"), $("public-key"));
  readFileInto($("private-key-file"), $("private-key"));
  readFileInto($("inspect-key-file"), $("inspect-key"));

  $("generate-key").addEventListener("click", async () => {
    try {
      await generateKeyPair();
    } catch (err) {
      setStatus("✗ key generation failed: " + err.message, true);
    }
  });
  $("use-private").addEventListener("click", () => {
    $("private-key").value = $("gen-private").value;
    $("private-key").focus();
  });
  $("use-public").addEventListener("click", () => {
    $("public-key").value = $("gen-public").value;
    $("public-key").focus();
  });

  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = $("key-facts");
    try {
      const data = await api("inspect-key", { pem: $("inspect-key").value });
      facts(list, [
        ["kind", data.kind],
        ["format", data.format],
        ["encoding", data.encoding],
        ["bits", data.bits],
        ["fingerprint", data.fingerprint],
      ]);
    } catch (err) {
      facts(list, [["error", err.message], ["hint", err.hint]]);
    }
    list.hidden = false;
  });

  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = $("token-facts");
    try {
      const data = await api("inspect-token", { token: $("inspect-token").value });
      const entries = [
        ["format", data.jwt ? "JWT, alg " + data.algorithm + " — claims NOT verified" : data.note],
        ["length", data.length + " characters, sha256:" + data.sha256],
        ["issuer", data.iss],
        ["subject", data.sub],
        ["audience", data.aud],
        ["issued at", data.iat],
        ["not before", data.nbf],
        ["expires", data.exp],
      ];
      if (data.secondsLeft !== undefined) {
        entries.push(["time left", data.expired ? "expired" : data.secondsLeft + " s"]);
      }
      if (data.claims) entries.push(["claims", data.claims.join(", ")]);
      facts(list, entries);
    } catch (err) {
      facts(list, [["error", err.message], ["hint", err.hint]]);
    }
    $("token-result").hidden = false;
  });

  $("check-vectors").addEventListener("click", async () => {
    const out = $("vectors-result");
    out.textContent = "checking…";
    try {
      const data = await api("vectors", {});
      out.replaceChildren();
      const list = el("ul");
      for (const file of data.files) {
        const mark = file.failed ? "✗ " : "✓ ";
        list.append(el("li", mark + file.file + ": " + file.passed + " passed, " + file.failed + " failed"));
      }
      out.append(list, el("p", data.passed + " passed, " + data.failed + " failed", data.failed ? "verdict-bad" : "verdict-ok"));
    } catch (err) {
      out.textContent = "✗ " + err.message + (err.hint ? " — " + err.hint : "");
    }
  });
});
