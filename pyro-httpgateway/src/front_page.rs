//! The `/pyro/` front page: the exposed names of the name server, and a small script that
//! calls them from the browser and shows the answers.
//!
//! Calls can also be given in the page's fragment, run one after the other when the page loads
//! (a link that replays calls): `/pyro/#call=http.shop/list&call=http.shop/price?item=tea`.
//! Each call's status and answer are appended to the page's call log (`<ol id="log">`).

use pyro_runtime::dispatch::Metadata;

/// One name on the page: its methods and attributes, or why they could not be read.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) metadata: Result<Metadata, String>,
}

/// At most this many names are listed (as Pyro5's page does).
pub(crate) const MAX_ENTRIES: usize = 10;

/// The page for `entries` of the name server at `ns_location`.
pub(crate) fn render(ns_location: &str, expose: Option<&str>, entries: &[Entry]) -> String {
    let mut rows = String::new();
    for entry in entries {
        let name = escape(&entry.name);
        let (methods, attributes) = match &entry.metadata {
            Ok(metadata) => (
                links(&name, metadata.methods.iter().map(|m| escape(m)), "method"),
                links(&name, metadata.attrs.iter().map(|a| escape(a)), "attribute"),
            ),
            Err(error) => (format!("<span class=\"error\">??error: {}??</span>", escape(error)), "-".into()),
        };
        rows.push_str(&format!(
            "<tr><td><a href=\"#\" class=\"call\" data-name=\"{name}\" data-method=\"$meta\">{name}</a></td>\
             <td>{methods}</td><td>{attributes}</td></tr>\n"
        ));
    }
    let pattern = match expose {
        Some(pattern) => format!("names matching <code>{}</code>", escape(pattern)),
        None => "all names (no expose pattern)".into(),
    };
    TEMPLATE
        .replace("{{ns}}", &escape(ns_location))
        .replace("{{pattern}}", &pattern)
        .replace("{{max}}", &MAX_ENTRIES.to_string())
        .replace("{{rows}}", &rows)
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
}

fn links(name: &str, members: impl Iterator<Item = String>, kind: &str) -> String {
    let all: Vec<String> = members
        .map(|member| {
            format!("<a href=\"#\" class=\"call {kind}\" data-name=\"{name}\" data-method=\"{member}\">{member}</a>")
        })
        .collect();
    if all.is_empty() { "-".into() } else { all.join(" ") }
}

/// Escapes text for HTML content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pyro HTTP gateway</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccd; padding: 4px 8px; text-align: left; }
pre { background: #f4f4f8; border: 1px solid #ccd; padding: 8px; white-space: pre-wrap; }
.error { color: #a00; } label { margin-right: 1em; } input[type=text] { width: 22em; }
#log li { margin-bottom: 0.5em; } #log code { font-weight: bold; }
</style>
</head>
<body>
<h1>pyro HTTP gateway</h1>
<p>Calls Pyro objects with HTTP and JSON: <code>GET /pyro/&lt;name&gt;/&lt;method&gt;?arg=value</code>.
Pick a name to see its methods (<code>$meta</code>), or a method or attribute to call it.</p>
<h2>Exposed names in the name server at {{ns}}</h2>
<p>Showing up to {{max}} {{pattern}}.</p>
<table>
<tr><th>Name</th><th>Methods</th><th>Attributes</th></tr>
{{rows}}</table>
<h2>Call</h2>
<form id="callform">
<label>Name <input type="text" id="f-name" value="Pyro.NameServer"></label>
<label>Method <input type="text" id="f-method" value="$meta"></label><br>
<label>Parameters (query string or JSON object) <input type="text" id="f-params" placeholder="prefix=http."></label>
<label><input type="checkbox" id="f-oneway"> oneway</label>
<label>Gateway key <input type="text" id="f-key"></label>
<button type="submit">Call</button>
</form>
<p>Request: <code id="request">-</code></p>
<p>Status: <code id="status">-</code></p>
<pre id="response">-</pre>
<h2>Call log</h2>
<ol id="log"></ol>
<p><small>pyro-httpgateway {{version}}</small></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);

// Calls name/method through the gateway; params is a query string or a JSON object text.
async function pyroCall(name, method, params, oneway) {
  const headers = { "Accept": "application/json" };
  const key = $("f-key").value;
  if (key) headers["X-Pyro-Gateway-Key"] = key;
  if (oneway) headers["X-Pyro-Options"] = "oneway";
  let url = "/pyro/" + encodeURIComponent(name) + "/" + encodeURIComponent(method);
  let init = { method: "GET", headers };
  params = (params || "").trim();
  if (params.startsWith("{")) {
    init = { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: params };
  } else if (params) {
    url += "?" + params;
  }
  $("request").textContent = init.method + " " + url + (init.body ? " " + init.body : "");
  let status, text;
  try {
    const response = await fetch(url, init);
    status = response.status;
    text = await response.text();
  } catch (error) {
    status = "network error";
    text = String(error);
  }
  let shown = text;
  try { if (text) shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
  $("status").textContent = String(status);
  $("response").textContent = shown || "(no content)";
  const item = document.createElement("li");
  item.dataset.status = String(status);
  item.dataset.call = name + "/" + method;
  const head = document.createElement("code");
  head.textContent = init.method + " " + name + "/" + method + (params ? " " + params : "") + " -> " + status;
  const body = document.createElement("pre");
  body.className = "result";
  body.textContent = text;
  item.append(head, body);
  $("log").append(item);
  return { status, text };
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a.call");
  if (!link) return;
  event.preventDefault();
  $("f-name").value = link.dataset.name;
  $("f-method").value = link.dataset.method;
  const params = link.classList.contains("attribute") || link.dataset.method === "$meta" ? "" : $("f-params").value;
  pyroCall(link.dataset.name, link.dataset.method, params, $("f-oneway").checked);
});

$("callform").addEventListener("submit", (event) => {
  event.preventDefault();
  pyroCall($("f-name").value, $("f-method").value, $("f-params").value, $("f-oneway").checked);
});

// Calls in the fragment: #call=name/method?query&call=... run in order.
async function replayFragment() {
  const calls = new URLSearchParams(location.hash.slice(1)).getAll("call");
  for (const call of calls) {
    const [path, query] = call.split(/\?(.*)/s);
    const cut = path.lastIndexOf("/");
    if (cut <= 0) continue;
    await pyroCall(path.slice(0, cut), path.slice(cut + 1), query || "", false);
  }
  document.body.dataset.replayed = String(calls.length);
}
replayFragment();
</script>
</body>
</html>
"##;
