"""The trace page's stylesheet and script, inlined by :mod:`glm_lsp.trace.view`.

Plain CSS and dependency-free JavaScript: the page is opened from ``file://`` on a machine that
may have no network, and its Content-Security-Policy allows nothing but these inline blocks.
Every piece of recorded text reaches the DOM through ``textContent``, never as markup.
"""

from __future__ import annotations

CSS = """
:root { --bg:#fff; --fg:#1d1f21; --mute:#6a737d; --line:#e1e4e8; --sel:#e8f0fe;
  --req:#4c8bf5; --model:#f5a623; --ghost:#8e6cef; --bad:#d73a49; --ok:#28a745; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { padding:8px 12px; border-bottom:1px solid var(--line); display:flex; gap:12px;
  align-items:center; flex-wrap:wrap; }
header h1 { font-size:15px; margin:0; }
.muted { color:var(--mute); }
main { display:grid; grid-template-columns: minmax(320px, 40%) 1fr; height:calc(100vh - 44px); }
#list { overflow:auto; border-right:1px solid var(--line); }
#detail { overflow:auto; padding:8px 16px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:2px 6px; border-bottom:1px solid var(--line);
  vertical-align:top; white-space:nowrap; }
th { position:sticky; top:0; background:#f6f8fa; font-weight:600; }
#requests tr { cursor:pointer; }
#requests tr.selected { background:var(--sel); }
#requests tr:hover { background:#f3f6fa; }
.tag { display:inline-block; padding:0 5px; border-radius:3px; font-size:11px;
  background:#eef; margin-right:4px; }
.tag.inline { background:#efe7ff; } .tag.completion { background:#e3f0ff; }
.tag.accept { background:#dcffe4; } .tag.none { background:#ffeef0; }
h2 { font-size:14px; margin:14px 0 6px; border-bottom:1px solid var(--line); }
.kv td:first-child { color:var(--mute); width:150px; }
.waterfall { position:relative; }
.wf-row { display:grid; grid-template-columns:130px 1fr 70px; align-items:center; height:20px; }
.wf-track { position:relative; height:14px; background:#f6f8fa; }
.wf-bar { position:absolute; top:0; height:14px; min-width:2px; background:var(--req);
  border-radius:2px; }
.wf-bar.model { background:var(--model); } .wf-bar.ghost { background:var(--ghost); }
.fcell { min-width:70px; }
.fbar { height:6px; background:var(--req); border-radius:2px; margin-top:2px; }
.fbar.neg { background:var(--bad); }
.ghost-path { list-style:none; padding:0; margin:0; }
.ghost-path li { border-left:3px solid var(--ghost); padding:4px 8px; margin:4px 0;
  background:#faf8ff; }
.ghost-path li.rejected { border-color:var(--bad); background:#fff5f5; }
.ghost-path li.shown { border-color:var(--ok); background:#f4fff6; }
pre { margin:2px 0; white-space:pre-wrap; word-break:break-all; font:12px/1.35 monospace; }
#summary { padding:4px 12px 10px; border-bottom:1px solid var(--line); display:none; }
#summary.open { display:grid; grid-template-columns:repeat(auto-fit, minmax(380px, 1fr));
  gap:16px; }
#summary > div { overflow-x:auto; }
input[type=search] { width:260px; padding:3px 6px; }
"""

JS = r"""
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var requests = data.records.filter(function (r) { return r.kind !== 'accept'; });
  var shown = [];
  var selected = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { node.textContent = attrs[k]; }
      else if (k === 'cls') { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function fmt(ms) { return (ms === undefined || ms === null) ? '' : Number(ms).toFixed(2); }
  function str(v) { return (v === undefined || v === null) ? '—' : String(v); }
  function model(r) {
    return (r.model && r.model.model) || (r.kind === 'completion' ? 'static' : '');
  }
  function outcome(r) {
    var res = r.result || {};
    if (r.kind === 'inline') {
      return res.shown ? 'ghost ' + res.length + ' chars' : 'none: ' + str(res.why_none);
    }
    return res.items + ' items' + (res.top ? ', top ' + res.top : '');
  }
  function haystack(r) {
    var c = r.context || {};
    return [r.id, r.kind, r.document, c.language, c.scope, c.receiver, model(r), outcome(r),
      r.accepts ? 'accepted' : ''].join(' ').toLowerCase();
  }

  function renderList() {
    var q = document.getElementById('filter').value.toLowerCase().trim();
    var kind = document.getElementById('kind').value;
    var body = document.querySelector('#requests tbody');
    body.textContent = '';
    shown = requests.filter(function (r) {
      return (kind === 'all' || r.kind === kind) && (!q || haystack(r).indexOf(q) >= 0);
    });
    shown.forEach(function (r) {
      var when = new Date(r.ts * 1000).toLocaleTimeString();
      var row = el('tr', {'data-id': r.id, cls: r === selected ? 'selected' : ''}, [
        el('td', {text: when}),
        el('td', {}, [el('span', {cls: 'tag ' + r.kind, text: r.kind})].concat(
          r.accepts ? [el('span', {cls: 'tag accept', text: 'accepted'})] : [])),
        el('td', {text: r.document + ':' + (r.position.line + 1)}),
        el('td', {text: fmt(r.total_ms)}),
        el('td', {text: outcome(r)})
      ]);
      row.addEventListener('click', function () { select(r); });
      body.appendChild(row);
    });
    document.getElementById('count').textContent = shown.length + ' of ' + requests.length;
  }

  function kv(rows) {
    return el('table', {cls: 'kv'}, rows.map(function (p) {
      return el('tr', {}, [el('td', {text: p[0]}), el('td', {text: str(p[1])})]);
    }));
  }

  function waterfall(r) {
    var stages = r.timings || [];
    var end = stages.reduce(function (m, s) { return Math.max(m, s.start_ms + s.ms); }, 0) || 1;
    var box = el('div', {cls: 'waterfall'});
    stages.forEach(function (s) {
      var bar = el('div', {cls: 'wf-bar ' + s.track, title: s.name + ' ' + fmt(s.ms) + ' ms'});
      bar.style.left = (100 * s.start_ms / end) + '%';
      bar.style.width = (100 * s.ms / end) + '%';
      box.appendChild(el('div', {cls: 'wf-row'}, [
        el('span', {text: (s.track === 'request' ? '' : s.track + ': ') + s.name}),
        el('div', {cls: 'wf-track'}, [bar]),
        el('span', {text: fmt(s.ms) + ' ms'})
      ]));
    });
    return box;
  }

  function ranking(r) {
    var cand = r.candidates || {};
    var top = cand.top || [];
    var names = [];
    top.forEach(function (it) {
      Object.keys(it.features).forEach(function (f) { if (names.indexOf(f) < 0) names.push(f); });
    });
    var scale = {};
    names.forEach(function (f) {
      scale[f] = top.reduce(function (m, it) {
        return Math.max(m, Math.abs(it.features[f] || 0));
      }, 0) || 1;
    });
    var head = el('tr', {}, ['#', 'label', 'source', 'kind', 'type', 'score'].concat(names)
      .map(function (h) { return el('th', {text: h}); }));
    var rows = top.map(function (it, i) {
      return el('tr', {}, [el('td', {text: String(i + 1)}), el('td', {text: it.label}),
        el('td', {text: it.source}), el('td', {text: it.kind}), el('td', {text: str(it.type)}),
        el('td', {text: Number(it.score).toFixed(3)})].concat(names.map(function (f) {
          var v = it.features[f] || 0;
          var bar = el('div', {cls: 'fbar' + (v < 0 ? ' neg' : '')});
          bar.style.width = Math.round(60 * Math.abs(v) / scale[f]) + 'px';
          return el('td', {cls: 'fcell', title: f + ' = ' + v}, [String(v), bar]);
        })));
    });
    var counts = Object.keys(cand.by_source || {}).map(function (k) {
      return k + ' ' + cand.by_source[k];
    }).join(', ');
    return el('div', {}, [
      el('p', {cls: 'muted', text: str(cand.total) + ' candidates (' + counts + '), ' +
        str(cand.ranked) + ' ranked, top ' + top.length + ' shown'}),
      el('table', {cls: 'ranking'}, [el('thead', {}, [head]), el('tbody', {}, rows)])
    ]);
  }

  function textOrLength(text, length) {
    if (text !== null && text !== undefined) { return el('pre', {text: text}); }
    return el('span', {cls: 'muted', text: length === null || length === undefined ? '—' :
      length + ' chars (text not recorded: trace.includeText is off)'});
  }

  function ghostPath(g, r) {
    var list = el('ol', {cls: 'ghost-path'});
    list.appendChild(el('li', {cls: 'raw'}, [el('b', {text: 'raw model output'}),
      textOrLength(g.raw, g.raw_length)]));
    (g.steps || []).forEach(function (s) {
      list.appendChild(el('li', {cls: 'step' + (s.rejected ? ' rejected' : '')}, [
        el('b', {text: s.rule + (s.rejected ? ': rejected' : ': changed')}),
        el('span', {cls: 'muted', text: ' ' + s.before_length + ' → ' +
          (s.rejected ? 'nothing' : s.after_length + ' chars')}),
        s.rejected ? el('span') : textOrLength(s.after, s.after_length)]));
    });
    var res = r.result || {};
    var final = r.kind === 'inline' ? res.shown : g.text !== null && g.text !== undefined;
    list.appendChild(el('li', {cls: final ? 'shown' : 'rejected'}, [
      el('b', {text: final ? 'shown' : 'nothing shown: ' + str(g.why_none || res.why_none)}),
      final ? textOrLength(r.kind === 'inline' ? res.text : g.text, res.length) : el('span')]));
    return list;
  }

  function select(r) {
    selected = r;
    Array.prototype.forEach.call(document.querySelectorAll('#requests tr'), function (row) {
      row.className = row.getAttribute('data-id') === r.id ? 'selected' : '';
    });
    var d = document.getElementById('detail');
    d.textContent = '';
    var c = r.context || {};
    d.appendChild(el('h2', {text: r.kind + ' ' + r.id}));
    d.appendChild(kv([['document', r.document + ':' + (r.position.line + 1) + ':' +
      (r.position.character + 1)], ['trigger', JSON.stringify(r.trigger)],
      ['total', fmt(r.total_ms) + ' ms'], ['status', r.status || 'ok'], ['result', outcome(r)]]));
    d.appendChild(el('h2', {text: 'stages'}));
    d.appendChild(waterfall(r));
    d.appendChild(el('h2', {text: 'context'}));
    d.appendChild(kv([['language', c.language], ['scope', c.scope], ['node', c.node],
      ['receiver', c.receiver], ['receiver type', c.receiver_type],
      ['expected type', c.expected_type || (c.expected && c.expected.type)],
      ['in string / comment', String(!!c.in_string) + ' / ' + String(!!c.in_comment)]]));
    if (r.candidates) {
      d.appendChild(el('h2', {text: 'ranking'}));
      d.appendChild(ranking(r));
    }
    var g = r.model;
    if (g) {
      d.appendChild(el('h2', {text: 'model'}));
      d.appendChild(kv([['model', g.model], ['state', g.state], ['mode', g.mode],
        ['why none', g.why_none], ['typed ahead / cache / shared', [g.typeahead_hit,
          g.cache_hit, g.shared].join(' / ')], ['prompt tokens', g.prompt_tokens],
        ['evaluated / reused', g.prompt_tokens_evaluated + ' / ' + g.prompt_tokens_reused],
        ['generated tokens', g.generated_tokens], ['stop reason', g.finish_reason],
        ['cancelled', g.cancelled]]));
      d.appendChild(el('h2', {text: 'post-processing'}));
      d.appendChild(ghostPath(g, r));
    }
    d.appendChild(el('h2', {text: 'accepted'}));
    d.appendChild(r.accepts ? kv(r.accepts.map(function (a) {
      return [a.channel, (a.item || '') + (a.partial ? ' (partial: ' + a.accepted_length + ' of ' +
        a.length + ')' : '')];
    })) : el('p', {cls: 'muted', text: 'not accepted'}));
  }

  function summaryTable(title, cols, rows) {
    return el('div', {}, [el('h2', {text: title}), el('table', {cls: 'summary-table'}, [
      el('tr', {}, cols.map(function (c) { return el('th', {text: c[0]}); }))
    ].concat(rows.map(function (row) {
      return el('tr', {}, cols.map(function (c) { return el('td', {text: str(row[c[1]])}); }));
    })))]);
  }

  function renderSummary() {
    var s = data.summary;
    var box = document.getElementById('summary');
    box.appendChild(summaryTable('latency (ms)', [['feature', 'feature'], ['model', 'model'],
      ['n', 'count'], ['p50', 'p50'], ['p95', 'p95'], ['p99', 'p99'], ['max', 'max']], s.latency));
    box.appendChild(summaryTable('acceptance', [['by', 'by'], ['value', 'value'],
      ['offered', 'offered'], ['accepted', 'accepted'], ['partial', 'partial'], ['rate', 'rate']],
      s.acceptance));
    box.appendChild(summaryTable('post-processing rules', [['rule', 'rule'],
      ['rejected', 'rejected'], ['changed', 'changed']], s.rules));
    box.appendChild(summaryTable('why no ghost text', [['reason', 'reason'], ['n', 'count']],
      s.why_none));
  }

  document.getElementById('filter').addEventListener('input', renderList);
  document.getElementById('kind').addEventListener('change', renderList);
  document.getElementById('toggle-summary').addEventListener('click', function () {
    document.getElementById('summary').classList.toggle('open');
  });
  renderSummary();
  renderList();
  if (shown.length) { select(shown[shown.length - 1]); }
})();
"""
